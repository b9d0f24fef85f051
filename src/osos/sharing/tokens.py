"""API tokens of market participants: random, shown once, stored as their sha256 only."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.errors import NotFound
from osos.store.models import Organisation
from osos.store.models.sharing import ApiToken

PREFIX = "osos_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    id: int
    organisation: str
    token: str  # the secret: shown once, never stored


@dataclass(frozen=True)
class TokenOwner:
    token_id: int
    organisation_id: int
    organisation: str


def create_token(
    session: Session, organisation: str, *, at: dt.datetime, created_by: str, name: str = ""
) -> IssuedToken:
    """A new token for the organisation named ``organisation`` (back office and CLI)."""
    org = session.scalar(select(Organisation).where(Organisation.name == organisation.strip()))
    if org is None:
        raise NotFound(f"no organisation named {organisation!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        organisation_id=org.id,
        name=name or None,
        token_sha256=token_hash(token),
        prefix=token[:12],
        created_at=at,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return IssuedToken(row.id, org.name, token)


def revoke_token(session: Session, token_id: int, *, at: dt.datetime) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = at


def authenticate(session: Session, token: str, *, at: dt.datetime) -> TokenOwner | None:
    """The owner of a live token, or None (unknown or revoked)."""
    if not token.startswith(PREFIX):
        return None
    row = session.execute(
        select(ApiToken, Organisation.name)
        .join(Organisation, Organisation.id == ApiToken.organisation_id)
        .where(ApiToken.token_sha256 == token_hash(token))
    ).first()
    if row is None or row[0].revoked_at is not None:
        return None
    row[0].last_used_at = at
    return TokenOwner(row[0].id, row[0].organisation_id, row[1])


@dataclass(frozen=True)
class TokenInfo:
    id: int
    organisation: str
    prefix: str
    name: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


def list_tokens(session: Session) -> list[TokenInfo]:
    rows = session.execute(
        select(ApiToken, Organisation.name)
        .join(Organisation, Organisation.id == ApiToken.organisation_id)
        .order_by(ApiToken.id)
    ).all()
    return [
        TokenInfo(t.id, org, t.prefix, t.name, t.created_at, t.revoked_at, t.last_used_at)
        for t, org in rows
    ]

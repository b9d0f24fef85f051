"""Who calls the API: a bearer token of an organisation, rate-limited, every call audited."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from osos import audit
from osos.readmodel.access import Principal
from osos.settings import SharingConfig
from osos.sharing.ratelimit import RateLimiter
from osos.sharing.tokens import TokenOwner, authenticate
from osos.store.db import now as db_now
from osos.web.dbsession import DB, runtime_of
from osos.web.forwarded import client_ip

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `osos tokens create --organisation NAME` (shown once).",
)


def config_of(request: Request) -> SharingConfig:
    return runtime_of(request).settings.sharing


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "sharing_rate_limiter", None)
    if not isinstance(limiter, RateLimiter):
        config = config_of(request)
        limiter = RateLimiter(config.rate_per_minute, config.rate_burst)
        request.app.state.sharing_rate_limiter = limiter
    return limiter


@dataclass(frozen=True)
class Caller:
    owner: TokenOwner
    principal: Principal
    ip: str

    @property
    def actor(self) -> str:
        return f"api:{self.owner.organisation}"


def _caller(
    request: Request,
    session: DB,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Caller:
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required", headers=challenge)
    owner = authenticate(session, credentials.credentials, at=db_now(session))
    if owner is None:
        raise HTTPException(401, "unknown or revoked token", headers=challenge)
    wait = _limiter(request).take(owner.token_id)
    if wait > 0:
        raise HTTPException(
            429, "rate limit exceeded", headers={"Retry-After": str(max(1, math.ceil(wait)))}
        )
    principal = Principal("api", None, owner.organisation_id, f"token:{owner.token_id}")
    return Caller(owner, principal, client_ip(request))


CallerDep = Annotated[Caller, Depends(_caller)]


def record(
    session: Session,
    caller: Caller,
    action: str,
    no: str | None,
    detail: dict[str, Any],
    outcome: str = "ok",
) -> None:
    audit.record(
        session,
        actor=caller.actor,
        action=action,
        object_type="service_point" if no else None,
        object_id=no,
        detail={"token_id": caller.owner.token_id, **detail},
        ip=caller.ip,
        outcome=outcome,
    )


def not_found(
    session: Session, caller: Caller, action: str, no: str, detail: dict[str, Any]
) -> JSONResponse:
    """Audit the refused read and answer as for a service point that does not exist."""
    record(session, caller, action, no, detail, outcome="denied")
    return JSONResponse({"detail": f"service point {no!r} not found"}, status_code=404)

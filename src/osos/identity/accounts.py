"""Accounts: create (after the password policy and the login's shape), list, find, enable and
disable. Every function takes a SQLAlchemy session and returns frozen values; logins and
sessions are in :mod:`osos.identity.sessions`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from osos.domain import OrganisationKind, UserKind
from osos.errors import NotFound, OsosError
from osos.identity.passwords import hash_password, policy_problems
from osos.readmodel.access import Principal
from osos.store.db import now as db_now
from osos.store.models import Organisation, ServicePoint, User
from osos.store.models.web import WebSession

EMAIL_KINDS = (UserKind.TEDARIKCI, UserKind.KURUMSAL, UserKind.OPERATOR, UserKind.ADMIN)
ORGANISATION_KINDS = {
    UserKind.TEDARIKCI: OrganisationKind.SUPPLIER,
    UserKind.KURUMSAL: OrganisationKind.CORPORATE,
}
ALSO_ALLOWED = {
    (UserKind.KURUMSAL, OrganisationKind.OSB),
    (UserKind.TEDARIKCI, OrganisationKind.UTILITY),
}


class AccountError(OsosError):
    """An account operation that cannot be done; ``key`` names the message in the catalogue."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key


class PasswordPolicyError(AccountError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("pw_policy", ", ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class UserView:
    id: int
    login: str
    kind: UserKind
    organisation_id: int | None
    organisation_name: str | None
    email: str | None
    full_name: str | None
    language: str
    active: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    service_point_nos: tuple[str, ...]

    @property
    def principal(self) -> Principal:
        return Principal(self.kind, self.id, self.organisation_id, self.login)

    @property
    def is_staff(self) -> bool:
        return self.kind in (UserKind.OPERATOR, UserKind.ADMIN)


def user_view(user: User) -> UserView:
    return UserView(
        id=user.id,
        login=user.login,
        kind=user.kind,
        organisation_id=user.organisation_id,
        organisation_name=user.organisation.name if user.organisation else None,
        email=user.email,
        full_name=user.full_name,
        language=user.language,
        active=user.active,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        service_point_nos=tuple(sorted(sp.no for sp in user.service_points)),
    )


def normalise_login(kind: UserKind, login: str) -> str:
    login = login.strip()
    return login.lower() if kind in EMAIL_KINDS else login


def check_password(password: str, login: str = "") -> None:
    problems = policy_problems(password, login)
    if problems:
        raise PasswordPolicyError(problems)


def _organisation(session: Session, kind: UserKind, name: str | None) -> Organisation | None:
    """The account's organisation, of the kind its user kind needs (an OSB may be kurumsal; a
    water/gas/heat distribution company logs in as a tedarikçi of its own meters)."""
    if not name:
        if kind in ORGANISATION_KINDS:
            raise AccountError(
                "organisation_required", f"a {kind.value} account needs --organisation"
            )
        return None
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise AccountError("organisation_unknown", f"no organisation named {name!r}")
    wanted = ORGANISATION_KINDS.get(kind)
    if wanted is not None and org.kind != wanted and (kind, org.kind) not in ALSO_ALLOWED:
        raise AccountError(
            "organisation_kind", f"{name!r} is a {org.kind.value}, not a {wanted.value}"
        )
    return org


def _points(session: Session, kind: UserKind, nos: list[str]) -> list[ServicePoint]:
    points: list[ServicePoint] = []
    for no in nos:
        sp = session.scalar(select(ServicePoint).where(ServicePoint.no == no.strip()))
        if sp is None:
            raise AccountError("service_point_unknown", f"no service point {no!r}")
        points.append(sp)
    if kind is UserKind.ABONE and not points:
        raise AccountError("service_point_required", "an abone account needs a service point")
    return points


def create_user(
    session: Session,
    *,
    kind: UserKind,
    login: str,
    password: str,
    service_point_nos: list[str] | tuple[str, ...] = (),
    organisation: str | None = None,
    email: str | None = None,
    full_name: str | None = None,
) -> UserView:
    """Add an account after checking the policy, the login's shape and what it points to."""
    login = normalise_login(kind, login)
    if not login:
        raise AccountError("login_required", "the login is empty")
    if kind in EMAIL_KINDS and "@" not in login:
        raise AccountError("login_email", f"{kind.value} logins are e-mail addresses: {login!r}")
    check_password(password, login)
    if session.scalar(select(User.id).where(func.lower(User.login) == login.lower())):
        raise AccountError("login_taken", f"login {login!r} already exists")
    org = _organisation(session, kind, organisation)
    points = _points(
        session, kind, list(service_point_nos) or ([login] if kind is UserKind.ABONE else [])
    )
    user = User(
        login=login,
        kind=kind,
        password_hash=hash_password(password),
        organisation_id=org.id if org else None,
        email=email or (login if "@" in login else None),
        full_name=full_name,
        language="tr",
        active=True,
        failed_logins=0,
        password_changed_at=db_now(session),
    )
    user.service_points = points
    user.organisation = org
    session.add(user)
    session.flush()
    return user_view(user)


def list_users(session: Session) -> list[UserView]:
    return [user_view(u) for u in session.scalars(select(User).order_by(User.kind, User.login))]


def get_user(session: Session, user_id: int) -> UserView | None:
    user = session.get(User, user_id)
    return user_view(user) if user else None


def find_user(session: Session, login: str) -> UserView | None:
    user = session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
    return user_view(user) if user else None


def set_active(session: Session, login: str, active: bool) -> UserView:
    """Enable or disable an account; disabling ends its sessions at once."""
    user = session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
    if user is None:
        raise NotFound(f"no account {login!r}")
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    else:
        user.failed_logins = 0
        user.locked_until = None
    session.flush()
    return user_view(user)

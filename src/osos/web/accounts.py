"""Accounts, logins, sessions and password resets: the rules, without HTTP.

Every function takes a SQLAlchemy session and returns frozen values; the routes and the CLI
call these, so the lock-out and expiry rules are the same wherever an account is used.

The limits are configuration (:class:`osos.settings.LoginLimits`, read once with the settings);
each variable is a positive whole number:

- ``OSOS_LOGIN_MAX_FAILURES`` (5): consecutive wrong passwords before an account locks;
- ``OSOS_LOGIN_LOCK_MINUTES`` (15): how long it stays locked;
- ``OSOS_LOGIN_IP_MAX_FAILURES`` (30): failed logins from one address before it is throttled…
- ``OSOS_LOGIN_IP_WINDOW_MINUTES`` (15): …within this many minutes;
- ``OSOS_LOGIN_SESSION_HOURS`` (12): a session ends this long after login however active it
  is (the idle expiry is ``OSOS_SESSION_MAX_AGE`` of the settings).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from osos import audit
from osos.access import Principal
from osos.domain import OrganisationKind, UserKind
from osos.errors import AccessDenied, NotFound, OsosError
from osos.settings import LoginLimits
from osos.store.db import now as db_now
from osos.store.models import Organisation, ServicePoint, User
from osos.store.models.web import LoginAttempt, PasswordResetToken, WebSession
from osos.web.passwords import (
    burn_verify,
    hash_password,
    needs_rehash,
    policy_problems,
    verify_password,
)

RESET_VALID = dt.timedelta(hours=1)

EMAIL_KINDS = (UserKind.TEDARIKCI, UserKind.KURUMSAL, UserKind.OPERATOR, UserKind.ADMIN)
ORGANISATION_KINDS = {
    UserKind.TEDARIKCI: OrganisationKind.SUPPLIER,
    UserKind.KURUMSAL: OrganisationKind.CORPORATE,
}


DEFAULT_LIMITS = LoginLimits()


class AccountError(OsosError):
    """An account operation that cannot be done; ``key`` names the message in the catalogue."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key


class PasswordPolicyError(AccountError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("pw_policy", ", ".join(problems))
        self.problems = problems


class LoginFailed(AccessDenied):
    """Wrong login or password (deliberately not saying which)."""


class AccountLocked(AccessDenied):
    def __init__(self, until: dt.datetime) -> None:
        super().__init__(f"account locked until {until.isoformat()}")
        self.until = until


class Throttled(AccessDenied):
    """Too many failed logins from one address."""


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


@dataclass(frozen=True)
class SessionInfo:
    session_id: int
    user: UserView
    csrf_token: str
    expires_at: dt.datetime


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _view(user: User) -> UserView:
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
    org: Organisation | None = None
    if organisation:
        org = session.scalar(select(Organisation).where(Organisation.name == organisation))
        if org is None:
            raise AccountError("organisation_unknown", f"no organisation named {organisation!r}")
        wanted = ORGANISATION_KINDS.get(kind)
        if (
            wanted is not None
            and org.kind != wanted
            and not (kind is UserKind.KURUMSAL and org.kind is OrganisationKind.OSB)
        ):
            raise AccountError(
                "organisation_kind", f"{organisation!r} is a {org.kind.value}, not a {wanted.value}"
            )
    elif kind in ORGANISATION_KINDS:
        raise AccountError("organisation_required", f"a {kind.value} account needs --organisation")
    points: list[ServicePoint] = []
    nos = list(service_point_nos) or ([login] if kind is UserKind.ABONE else [])
    for no in nos:
        sp = session.scalar(select(ServicePoint).where(ServicePoint.no == no.strip()))
        if sp is None:
            raise AccountError("service_point_unknown", f"no service point {no!r}")
        points.append(sp)
    if kind is UserKind.ABONE and not points:
        raise AccountError("service_point_required", "an abone account needs a service point")
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
    return _view(user)


def list_users(session: Session) -> list[UserView]:
    return [_view(u) for u in session.scalars(select(User).order_by(User.kind, User.login))]


def get_user(session: Session, user_id: int) -> UserView | None:
    user = session.get(User, user_id)
    return _view(user) if user else None


def find_user(session: Session, login: str) -> UserView | None:
    user = session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
    return _view(user) if user else None


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
    return _view(user)


def authenticate(
    session: Session,
    *,
    kinds: tuple[UserKind, ...],
    login: str,
    password: str,
    ip: str,
    now: dt.datetime | None = None,
    limits: LoginLimits = DEFAULT_LIMITS,
) -> UserView:
    """Check a login of one of ``kinds``; counts failures, locks, throttles, audits."""
    now = now or db_now(session)
    recent = session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.ip == ip, LoginAttempt.at > now - limits.ip_window
        )
    )
    if (recent or 0) >= limits.ip_max_failures:
        audit.record(
            session,
            actor=login[:200],
            action="login",
            ip=ip,
            outcome="denied",
            detail={"reason": "throttled"},
        )
        raise Throttled("too many failed logins from this address")
    normal = login.strip()
    user = session.scalar(select(User).where(func.lower(User.login) == normal.lower()))
    if user is not None and user.kind not in kinds:
        user = None
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit.record(
            session,
            actor=user.login,
            action="login",
            user_id=user.id,
            ip=ip,
            outcome="denied",
            detail={"reason": "locked"},
        )
        raise AccountLocked(user.locked_until)
    if user is None:
        burn_verify(password)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        session.execute(  # forget what no longer counts, so the table stays small
            delete(LoginAttempt).where(
                LoginAttempt.ip == ip, LoginAttempt.at <= now - limits.ip_window
            )
        )
        session.add(LoginAttempt(at=now, ip=ip, login=normal[:200]))
        if user is not None:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= limits.max_failures:
                user.locked_until = now + limits.lock
                user.failed_logins = 0
        audit.record(
            session,
            actor=normal[:200],
            action="login",
            user_id=user.id if user else None,
            ip=ip,
            outcome="denied",
            detail={"reason": "bad_credentials"},
        )
        if user is not None and user.locked_until is not None and user.locked_until > now:
            raise AccountLocked(user.locked_until)
        raise LoginFailed("wrong login or password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, actor=user.login, action="login", user_id=user.id, ip=ip)
    session.flush()
    return _view(user)


def open_session(
    session: Session, user: UserView, *, ip: str, max_age_s: int, now: dt.datetime | None = None
) -> tuple[str, SessionInfo]:
    """A new session for the user; returns the cookie token (only its hash is stored)."""
    now = now or db_now(session)
    session.execute(  # the user's expired sessions go when a new one starts
        delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now)
    )
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_sha256=_sha(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=max_age_s),
        ip=ip[:64],
    )
    session.add(row)
    session.flush()
    return token, SessionInfo(row.id, user, row.csrf_token, row.expires_at)


def load_session(
    session: Session,
    token: str,
    *,
    max_age_s: int,
    now: dt.datetime | None = None,
    limits: LoginLimits = DEFAULT_LIMITS,
) -> SessionInfo | None:
    """The live session of a cookie token, its idle expiry pushed forward; None when expired."""
    now = now or db_now(session)
    row = session.scalar(select(WebSession).where(WebSession.token_sha256 == _sha(token)))
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if (
        user is None
        or not user.active
        or row.expires_at <= now
        or row.created_at + limits.session_absolute <= now
    ):
        session.delete(row)
        return None
    row.last_seen_at = now
    row.expires_at = now + dt.timedelta(seconds=max_age_s)
    return SessionInfo(row.id, _view(user), row.csrf_token, row.expires_at)


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == _sha(token)))


def create_reset_token(
    session: Session, login: str, now: dt.datetime | None = None
) -> tuple[str, UserView] | None:
    """A single-use reset token for an active account, or None (the caller says nothing else)."""
    now = now or db_now(session)
    user = session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
    if user is None or not user.active:
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            token_sha256=_sha(token), user_id=user.id, created_at=now, expires_at=now + RESET_VALID
        )
    )
    session.flush()
    return token, _view(user)


def reset_password(
    session: Session, token: str, new_password: str, now: dt.datetime | None = None
) -> UserView:
    """Use a reset token once: sets the password, unlocks, and ends the account's sessions."""
    now = now or db_now(session)
    row = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_sha256 == _sha(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise AccountError("reset_invalid", "the reset link is invalid or has expired")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AccountError("reset_invalid", "the reset link is invalid or has expired")
    check_password(new_password, user.login)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.failed_logins = 0
    user.locked_until = None
    row.used_at = now
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit.record(session, actor=user.login, action="password_reset", user_id=user.id)
    session.flush()
    return _view(user)


def change_password(
    session: Session,
    user_id: int,
    current: str,
    new_password: str,
    *,
    keep_session_id: int | None = None,
) -> UserView:
    """A logged-in user's own change: the current password first; other sessions end."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(f"no account {user_id}")
    if not verify_password(user.password_hash, current):
        audit.record(
            session,
            actor=user.login,
            action="password_change",
            user_id=user.id,
            outcome="denied",
        )
        raise AccountError("pw_current_wrong", "the current password is wrong")
    check_password(new_password, user.login)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = db_now(session)
    others = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session_id is not None:
        others = others.where(WebSession.id != keep_session_id)
    session.execute(others)
    audit.record(session, actor=user.login, action="password_change", user_id=user.id)
    session.flush()
    return _view(user)

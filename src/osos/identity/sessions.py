"""Logins, sessions and password resets: the rules, without HTTP.

The limits are configuration (:class:`osos.settings.LoginLimits`, read once with the settings);
each variable is a positive whole number:

- ``OSOS_LOGIN_MAX_FAILURES`` (5): failures of one login from one address before each further
  attempt of that pair waits ``OSOS_LOGIN_DELAY_SECONDS`` (2), doubled per failure…
- ``OSOS_LOGIN_LOCK_MINUTES`` (15): …at most this long (failures count this long). There is no
  hard lock-out: the same login from another address is not held up, so nobody can lock a
  customer out by guessing their password wrong;
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
from osos.domain import UserKind
from osos.errors import AccessDenied, NotFound
from osos.identity.accounts import AccountError, UserView, check_password, user_view
from osos.identity.passwords import burn_verify, hash_password, needs_rehash, verify_password
from osos.settings import LoginLimits
from osos.store.db import now as db_now
from osos.store.models import User
from osos.store.models.web import LoginAttempt, PasswordResetToken, WebSession

RESET_VALID = dt.timedelta(hours=1)
ACTIVATION_VALID = dt.timedelta(days=7)  # the link in an approved application's mail
TOUCH_EVERY = dt.timedelta(minutes=1)  # a session's last_seen_at is written at most this often
DEFAULT_LIMITS = LoginLimits()


class LoginFailed(AccessDenied):
    """Wrong login or password (deliberately not saying which)."""


class Throttled(AccessDenied):
    """Too many failed logins from this address (for this login, or for any): wait."""

    def __init__(self, wait: dt.timedelta) -> None:
        super().__init__(f"too many failed logins: wait {wait.total_seconds():.0f} s")
        self.wait = wait


@dataclass(frozen=True)
class SessionInfo:
    session_id: int
    user: UserView
    csrf_token: str
    expires_at: dt.datetime


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _denied(session: Session, actor: str, ip: str, reason: str, user_id: int | None = None) -> None:
    audit.record(
        session,
        actor=actor[:200],
        action="login",
        user_id=user_id,
        ip=ip,
        outcome="denied",
        detail={"reason": reason},
    )


def _waiting(
    session: Session, login: str, ip: str, now: dt.datetime, limits: LoginLimits
) -> dt.timedelta | None:
    """How long this login from this address must still wait, if at all.

    The address as a whole: throttled after ``ip_max_failures`` in ``ip_window``. The login
    from this address: after ``max_failures`` failures each attempt waits ``delay`` doubled per
    further failure, at most ``lock`` — the same for a login that exists and one that does
    not, and never for the same login from another address (no lock-out of a customer)."""
    recent = session.scalar(
        select(func.count(LoginAttempt.id)).where(
            LoginAttempt.ip == ip, LoginAttempt.at > now - limits.ip_window
        )
    )
    if (recent or 0) >= limits.ip_max_failures:
        return limits.ip_window
    count, last = session.execute(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
            LoginAttempt.ip == ip, LoginAttempt.login == login, LoginAttempt.at > now - limits.lock
        )
    ).one()
    if count < limits.max_failures or last is None:
        return None
    wait = min(limits.delay * 2 ** min(count - limits.max_failures, 30), limits.lock)
    left = last + wait - now
    return left if left > dt.timedelta(0) else None


def _failed(
    session: Session, user: User | None, login: str, ip: str, now: dt.datetime, limits: LoginLimits
) -> LoginFailed:
    """Count a failed login (for the address, and for this login from it)."""
    horizon = now - max(limits.ip_window, limits.lock)
    session.execute(  # forget what no longer counts, so the table stays small
        delete(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.at <= horizon)
    )
    session.add(LoginAttempt(at=now, ip=ip, login=login.lower()))
    _denied(session, login, ip, "bad_credentials", user.id if user else None)
    return LoginFailed("wrong login or password")


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
    """Check a login of one of ``kinds``; throttles, counts failures, audits.

    Every path costs one Argon2 verification (a dummy one for an unknown login or a login
    that must wait), and the refusals do not say whether the login exists."""
    now = now or db_now(session)
    typed = login.strip()[:200]  # audited as typed; counted case-blind
    normal = typed.lower()
    wait = _waiting(session, normal, ip, now, limits)
    if wait is not None:
        burn_verify(password)
        _denied(session, typed, ip, "throttled")
        raise Throttled(wait)
    user = session.scalar(select(User).where(func.lower(User.login) == normal))
    if user is not None and user.kind not in kinds:
        user = None
    if user is None:
        burn_verify(password)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise _failed(session, user, typed, ip, now, limits)
    session.execute(delete(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.login == normal))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, actor=user.login, action="login", user_id=user.id, ip=ip)
    session.flush()
    return user_view(user)


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
    """The live session of a cookie token, its idle expiry pushed forward; None when expired.

    The row is written at most once a :data:`TOUCH_EVERY` (every page would otherwise be a
    write: on SQLite one writer at a time, on PostgreSQL a row lock per request)."""
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
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        row.expires_at = now + dt.timedelta(seconds=max_age_s)
    return SessionInfo(row.id, user_view(user), row.csrf_token, row.expires_at)


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == _sha(token)))


def create_reset_token(
    session: Session,
    login: str,
    now: dt.datetime | None = None,
    *,
    valid: dt.timedelta = RESET_VALID,
) -> tuple[str, UserView] | None:
    """A single-use reset token for an active account, or None (the caller says nothing else);
    an approved application's activation link is one with a longer ``valid``."""
    now = now or db_now(session)
    user = session.scalar(select(User).where(func.lower(User.login) == login.strip().lower()))
    if user is None or not user.active:
        return None
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            token_sha256=_sha(token), user_id=user.id, created_at=now, expires_at=now + valid
        )
    )
    session.flush()
    return token, user_view(user)


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
    return user_view(user)


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
    return user_view(user)

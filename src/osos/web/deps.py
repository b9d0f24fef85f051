"""Request plumbing: the database session, who is asking, CSRF and language."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from osos import audit
from osos.domain import UserKind
from osos.errors import AccessDenied, InvalidInput, OsosError
from osos.identity.sessions import SessionInfo, load_session
from osos.readmodel.access import Principal
from osos.settings import LoginLimits, Settings
from osos.store.db import transaction
from osos.web.dbsession import DB as DB  # the routes take it from here
from osos.web.dbsession import runtime_of
from osos.web.forwarded import client_ip as client_ip
from osos.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate

SESSION_COOKIE = "osos_session"
CSRF_COOKIE = "osos_csrf"
LANG_COOKIE = "osos_lang"


class LoginRequired(OsosError):
    """No live session: the page redirects to the login form."""


class CsrfFailed(AccessDenied):
    """A form arrived without the token of the session that rendered it."""


@dataclass(frozen=True)
class Viewer:
    """Who is asking, in what language, and the CSRF token their forms must carry."""

    session: SessionInfo | None
    language: str
    csrf_token: str
    ip: str

    @property
    def principal(self) -> Principal:
        if self.session is None:
            raise LoginRequired("not logged in")
        return self.session.user.principal

    @property
    def login(self) -> str:
        return self.session.user.login if self.session else "anonymous"

    @property
    def user_id(self) -> int | None:
        return self.session.user.id if self.session else None

    @property
    def is_staff(self) -> bool:
        return self.session is not None and self.session.user.is_staff

    def t(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)


def settings_of(request: Request) -> Settings:
    return runtime_of(request).settings


def record(
    session: Session,
    v: Viewer,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> None:
    """Audit what the viewer did (every view and export of meter data)."""
    audit.record(
        session,
        actor=v.login,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
        user_id=v.user_id,
        ip=v.ip,
        outcome=outcome,
    )


def record_denied(session: Session, v: Viewer, action: str, **where: Any) -> None:
    """Audit a refused request (``where``: object_type, object_id, detail) and commit it now:
    the error that follows rolls back the rest. (The request's own session, not a second one:
    SQLite allows one writer at a time.)"""
    record(session, v, action, outcome="denied", **where)
    session.commit()


def login_limits_of(request: Request) -> LoginLimits:
    """The lock-out and session limits of the settings (``OSOS_LOGIN_*``)."""
    return settings_of(request).web.login


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure behind HTTPS, and always in production (a proxy may hide the scheme)."""
    return request.url.scheme == "https" or settings_of(request).is_production


def viewer(request: Request, session: DB) -> Viewer:
    """Who is asking. The session is looked up (and touched, once a minute) in its own short
    transaction before the request's own begins: the request's read never carries a write
    it did not ask for, and on SQLite never waits for another request's touch."""
    settings = settings_of(request)
    info: SessionInfo | None = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with transaction(runtime_of(request).sessions) as own:
            info = load_session(
                own,
                token,
                max_age_s=settings.web.session_max_age_s,
                limits=login_limits_of(request),
            )
    lang = request.cookies.get(LANG_COOKIE) or (info.user.language if info else DEFAULT_LANGUAGE)
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    csrf = info.csrf_token if info else anonymous_csrf(request)
    v = Viewer(info, lang, csrf, client_ip(request))
    request.state.viewer = v
    return v


def anonymous_csrf(request: Request) -> str:
    """The double-submit token of a visitor without a session (set as a cookie on the way out)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return str(token)


Who = Annotated[Viewer, Depends(viewer)]


def user(v: Who) -> Viewer:
    if v.session is None:
        raise LoginRequired("not logged in")
    return v


def staff(request: Request, v: Who, session: DB) -> Viewer:
    if v.session is None:
        raise LoginRequired("not logged in")
    if not v.session.user.is_staff:
        record_denied(session, v, "backoffice", detail={"path": request.url.path})
        raise AccessDenied("back office is for operators")
    return v


def admin(v: Annotated[Viewer, Depends(staff)]) -> Viewer:
    assert v.session is not None
    if v.session.user.kind is not UserKind.ADMIN:
        raise AccessDenied("administrators only")
    return v


User = Annotated[Viewer, Depends(user)]
Staff = Annotated[Viewer, Depends(staff)]
Admin = Annotated[Viewer, Depends(admin)]


async def check_csrf(request: Request, v: Who) -> None:
    """Every state-changing form carries the token; a mismatch is refused (403)."""
    form = await request.form()
    if any(isinstance(value, str) and "\x00" in value for value in form.values()):
        raise InvalidInput("a NUL character in the form")  # PostgreSQL refuses it in text
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, v.csrf_token):
        raise CsrfFailed("missing or wrong CSRF token")
    if v.session is None:
        cookie = request.cookies.get(CSRF_COOKIE)
        if not cookie or not hmac.compare_digest(cookie, sent):
            raise CsrfFailed("missing or wrong CSRF token")


Csrf = Depends(check_csrf)

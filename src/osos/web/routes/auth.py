"""Login (Abone / Tedarikçi / Kurumsal, and staff), logout, password reset, language."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from osos.domain import UserKind
from osos.identity import accounts, outbox, quotas, sessions
from osos.store.db import now as db_now
from osos.web.deps import (
    DB,
    LANG_COOKIE,
    SESSION_COOKIE,
    Csrf,
    User,
    Who,
    login_limits_of,
    secure_cookies,
    settings_of,
)
from osos.web.i18n import LANGUAGES
from osos.web.pages import render

router = APIRouter(include_in_schema=False)

LOGIN_TYPES: dict[str, tuple[UserKind, ...]] = {
    "abone": (UserKind.ABONE,),
    "tedarikci": (UserKind.TEDARIKCI,),
    "kurumsal": (UserKind.KURUMSAL,),
    "personel": (UserKind.OPERATOR, UserKind.ADMIN),
}


def _safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes home (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/giris", response_class=HTMLResponse)
def login_form(
    request: Request, v: Who, next: str = "/", tip: str = "abone", sure: str = ""
) -> Response:
    if v.session is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(
        request,
        v,
        "login.html",
        {"next": next, "tip": tip, "staff": False, "expired": sure == "doldu"},
    )


@router.get("/personel/giris", response_class=HTMLResponse)
def staff_login_form(request: Request, v: Who, next: str = "/yonetim") -> Response:
    return render(request, v, "login.html", {"next": next, "tip": "personel", "staff": True})


@router.post("/giris", dependencies=[Csrf])
def login(
    request: Request,
    v: Who,
    session: DB,
    tip: Annotated[str, Form()],
    login: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    kinds = LOGIN_TYPES.get(tip)
    ctx = {"next": next, "tip": tip, "staff": tip == "personel", "login": login}
    if kinds is None:
        return render(request, v, "login.html", {**ctx, "error": v.t("login_type_invalid")}, 400)
    try:
        user = sessions.authenticate(
            session,
            kinds=kinds,
            login=login,
            password=password,
            ip=v.ip,
            limits=login_limits_of(request),
        )
    except sessions.Throttled as exc:
        seconds = max(1, math.ceil(exc.wait.total_seconds()))
        page = render(request, v, "login.html", {**ctx, "error": v.t("throttled")}, 429)
        page.headers["Retry-After"] = str(seconds)
        return page
    except sessions.LoginFailed:
        return render(request, v, "login.html", {**ctx, "error": v.t("login_failed")}, 401)
    settings = settings_of(request)
    token, _ = sessions.open_session(
        session, user, ip=v.ip, max_age_s=settings.web.session_max_age_s
    )
    target = _safe_next(next)
    if user.is_staff and target == "/":
        target = "/yonetim"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.web.session_max_age_s,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )
    response.set_cookie(LANG_COOKIE, v.language, samesite="lax", path="/")
    return response


@router.post("/cikis", dependencies=[Csrf])
def logout(request: Request, session: DB) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sessions.close_session(session, token)
    response = RedirectResponse("/giris", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/dil/{language}")
def set_language(language: str, next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, samesite="lax", path="/", max_age=365 * 86400)
    return response


@router.get("/sifre-sifirla", response_class=HTMLResponse)
def reset_request_form(request: Request, v: Who) -> Response:
    return render(request, v, "reset_request.html", {})


@router.post("/sifre-sifirla", dependencies=[Csrf])
def reset_request(request: Request, v: Who, session: DB, login: Annotated[str, Form()]) -> Response:
    """Always the same answer, so the form does not tell which logins exist; at most
    ``OSOS_RESETS_PER_HOUR`` per address and per login (the same for a login that exists)."""
    limit, hour = settings_of(request).web.abuse.resets_per_hour, dt.timedelta(hours=1)
    now = db_now(session)
    try:
        quotas.take(
            session,
            now,
            quotas.Use("reset_ip", v.ip, hour, limit),
            quotas.Use("reset_login", login.strip().lower(), hour, limit),
        )
    except quotas.QuotaExceeded as exc:
        page = render(request, v, "reset_request.html", {"error": v.t("quota_exceeded")}, 429)
        page.headers["Retry-After"] = str(math.ceil(exc.wait.total_seconds()))
        return page
    created = sessions.create_reset_token(session, login, now)
    if created is not None:
        token, user = created
        link = str(request.url_for("reset_form", token=token))
        address = user.email or user.login
        outbox.queue(
            session,
            settings_of(request),
            to=address,
            subject=v.t("reset_mail_subject"),
            body=v.t("reset_mail_body", link=link, minutes=int(sessions.RESET_VALID.seconds / 60)),
        )
    return render(request, v, "reset_request.html", {"sent": True})


@router.get("/sifre-sifirla/{token}", response_class=HTMLResponse, name="reset_form")
def reset_form(request: Request, v: Who, token: str) -> Response:
    return render(request, v, "reset_form.html", {"token": token})


@router.post("/sifre-sifirla/{token}", dependencies=[Csrf])
def reset_password(
    request: Request,
    v: Who,
    session: DB,
    token: str,
    password: Annotated[str, Form()],
    password2: Annotated[str, Form()],
) -> Response:
    if password != password2:
        return render(
            request, v, "reset_form.html", {"token": token, "error": v.t("pw_mismatch")}, 400
        )
    try:
        sessions.reset_password(session, token, password)
    except accounts.PasswordPolicyError as exc:
        message = " ".join(v.t(p) for p in exc.problems)
        return render(request, v, "reset_form.html", {"token": token, "error": message}, 400)
    except accounts.AccountError as exc:
        return render(request, v, "reset_form.html", {"token": token, "error": v.t(exc.key)}, 400)
    return render(request, v, "reset_done.html", {})


@router.get("/sifre-degistir", response_class=HTMLResponse)
def change_form(request: Request, v: User) -> Response:
    return render(request, v, "password_change.html", {})


@router.post("/sifre-degistir", dependencies=[Csrf])
def change(
    request: Request,
    v: User,
    session: DB,
    current: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password2: Annotated[str, Form()] = "",
) -> Response:
    assert v.session is not None
    if password != password2:
        return render(request, v, "password_change.html", {"error": v.t("pw_mismatch")}, 400)
    try:
        sessions.change_password(
            session, v.session.user.id, current, password, keep_session_id=v.session.session_id
        )
    except accounts.PasswordPolicyError as exc:
        message = " ".join(v.t(p) for p in exc.problems)
        return render(request, v, "password_change.html", {"error": message}, 400)
    except accounts.AccountError as exc:
        return render(request, v, "password_change.html", {"error": v.t(exc.key)}, 400)
    return render(request, v, "password_change.html", {"done": True})

"""The FastAPI application: panel pages, back office, applications and the market
participants' API, with the security headers, body limit and error pages they share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from osos import __version__
from osos.errors import AccessDenied, NotFound
from osos.runtime import Runtime
from osos.web.api import routes as api
from osos.web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfFailed,
    LoginRequired,
    Viewer,
    anonymous_csrf,
    client_ip,
    secure_cookies,
)
from osos.web.i18n import DEFAULT_LANGUAGE, LANGUAGES
from osos.web.pages import render
from osos.web.routes import alerts, applications, auth, backoffice, losses, panel

STATIC = Path(__file__).parent / "static"
MAX_BODY_BYTES = 60 * 2**20  # the largest upload: a registry file (50 MB) and its form

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _fallback_viewer(request: Request) -> Viewer:
    existing = getattr(request.state, "viewer", None)
    if isinstance(existing, Viewer):
        return existing
    lang = request.cookies.get("osos_lang") or DEFAULT_LANGUAGE
    return Viewer(
        None,
        lang if lang in LANGUAGES else DEFAULT_LANGUAGE,
        anonymous_csrf(request),
        client_ip(request),
    )


def create_app(runtime: Runtime) -> FastAPI:
    """The whole web side of osos on one runtime (database and settings)."""
    app = FastAPI(
        title="osos",
        version=__version__,
        description="OSOS — customer panel, back office and data-sharing API.",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in (
        auth.router,
        applications.router,
        panel.router,
        alerts.router,
        backoffice.router,
        losses.router,
        api.router,
    ):
        app.include_router(router)
    app.middleware("http")(_security)
    _error_pages(app)

    @app.get("/saglik", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


async def _security(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """The body limit, the security headers, and the CSRF cookie of a visitor."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return Response("request too large", status_code=413)
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        if name == "Content-Security-Policy" and request.url.path.startswith("/api/docs"):
            continue  # Swagger UI loads its script from a CDN and runs inline code
        response.headers.setdefault(name, value)
    if is_https(request):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    new_csrf = getattr(request.state, "new_csrf", None)
    if new_csrf:
        response.set_cookie(
            CSRF_COOKIE,
            new_csrf,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
            path="/",
        )
    return response


def _error_page(request: Request, code: int, message: str) -> HTMLResponse:
    v = _fallback_viewer(request)
    return render(request, v, "error.html", {"code": code, "message": message}, code)


def _error_pages(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        """The API keeps FastAPI's JSON answer; a page gets a page."""
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        return _error_page(request, 400, "bad_request")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        expired = "&sure=doldu" if request.cookies.get(SESSION_COOKIE) else ""
        target = f"/giris?next={quote(request.url.path)}{expired}"
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> HTMLResponse:
        return _error_page(request, 404, "not_found")

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> HTMLResponse:
        return _error_page(request, 403, "csrf_failed")

    @app.exception_handler(AccessDenied)
    async def denied(request: Request, exc: AccessDenied) -> HTMLResponse:
        return _error_page(request, 403, "forbidden")

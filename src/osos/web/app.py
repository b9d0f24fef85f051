"""The FastAPI application: panel pages, back office, applications and the market
participants' API, with the security headers, body limit and error pages they share."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
import sqlalchemy.exc
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from osos import __version__
from osos.errors import AccessDenied, InvalidInput, NotFound
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
from osos.web.edge import Edge, security_headers
from osos.web.i18n import DEFAULT_LANGUAGE, LANGUAGES
from osos.web.pages import render
from osos.web.routes import (
    alerts,
    applications,
    auth,
    backoffice,
    bo_exports,
    bo_rules,
    bo_sharing,
    bo_work,
    consent,
    losses,
    panel,
)

STATIC = Path(__file__).parent / "static"
LOG = logging.getLogger(__name__)


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
    web = runtime.settings.web
    if runtime.pool_size is None and "engine" not in runtime.__dict__:
        runtime.pool_size = web.pool_size  # no handler ever waits for a connection

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = web.threads
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="osos",
        version=__version__,
        description="OSOS — customer panel, back office and data-sharing API.",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    panel_routers = (auth, applications, panel, consent, alerts)
    office_routers = (backoffice, bo_sharing, bo_rules, bo_work, bo_exports, losses)
    routers = [m.router for m in (*panel_routers, *office_routers)] + [api.router]
    for router in routers:
        app.include_router(router)
    app.middleware("http")(_csrf_cookie)
    app.add_middleware(
        Edge, max_body=web.body_max_bytes, threads=web.threads, queue_wait_s=web.queue_wait_s
    )
    _error_pages(app)

    @app.get("/saglik", include_in_schema=False)
    async def health() -> dict[str, str]:  # no handler thread: answers under overload
        return {"status": "ok", "version": __version__}

    return app


async def _csrf_cookie(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """The CSRF cookie of a visitor (headers and the body limit are the edge's)."""
    response = await call_next(request)
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


def _busy(exc: Exception) -> bool:
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        return True
    return isinstance(exc, sqlalchemy.exc.OperationalError) and "database is locked" in str(exc)


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

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, exc: InvalidInput) -> Response:
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

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        """A bug's answer, or a database too busy to answer in time (no free connection, a
        SQLite writer waited for too long): 503 with Retry-After, not an error. A plain page
        with the headers (it is sent outside the edge)."""
        headers = security_headers(request.url.path, is_https(request))
        if _busy(exc):
            LOG.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
            busy = {**headers, "Retry-After": "1"}
            return PlainTextResponse("busy: try again in a second", status_code=503, headers=busy)
        LOG.exception("unhandled error on %s %s", request.method, request.url.path)
        return PlainTextResponse("500 internal error", status_code=500, headers=headers)

    @app.exception_handler(AccessDenied)
    async def denied(request: Request, exc: AccessDenied) -> HTMLResponse:
        return _error_page(request, 403, "forbidden")

"""The outer edge of every request, as plain ASGI: security headers and ``Cache-Control`` on
every answer (error pages and refusals too), the body limit enforced while the body is read
(a chunked body has no ``Content-Length`` to check), and admission: at most ``threads``
requests are handled at once, a request beyond them waits ``queue_wait_s`` and is then
answered 503 with ``Retry-After`` (issue 12, items 2, 8, 13, 14). A NUL in the query is
refused (400) here; in a form, by the CSRF check that reads every form.

Plain ASGI rather than ``BaseHTTPMiddleware``: it sees each ``receive`` and ``send`` message,
so it can stop reading at the limit and replace an answer that had not started.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
    ),
}
NOT_ADMITTED = ("/static/", "/saglik")  # files and the health check never wait for a handler


def security_headers(path: str, https: bool) -> dict[str, str]:
    """The headers every answer carries. Pages and API answers hold customer data: never
    stored by a browser or a proxy (``no-store``); only the static files may be cached."""
    headers = dict(SECURITY_HEADERS)
    if path.startswith("/api/docs"):
        del headers["Content-Security-Policy"]  # Swagger UI loads from a CDN, runs inline code
    if not path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def _with_headers(message: Message, extra: dict[str, str]) -> None:
    present = {name.lower() for name, _ in message.get("headers", [])}
    headers = list(message.get("headers", []))
    for name, value in extra.items():
        if name.lower().encode() not in present:
            headers.append((name.lower().encode(), value.encode()))
    message["headers"] = headers


async def _plain(send: Send, status: int, text: str, headers: dict[str, str]) -> None:
    body = text.encode()
    raw = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(body))]
    start: Message = {"type": "http.response.start", "status": status, "headers": raw}
    _with_headers(start, headers)
    await send(start)
    await send({"type": "http.response.body", "body": body})


class Edge:
    """Headers, body limit and admission around the application (see the module text)."""

    def __init__(self, app: ASGIApp, *, max_body: int, threads: int, queue_wait_s: float) -> None:
        self.app = app
        self.max_body = max_body
        self.threads = threads
        self.queue_wait_s = queue_wait_s
        # one semaphore per event loop (a test may run the application on several in turn)
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        headers = security_headers(path, scope.get("scheme") == "https")
        if path.startswith(NOT_ADMITTED):
            await self._limited(scope, receive, send, headers)
            return
        slots = self._slots.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(self.threads))
        try:
            await asyncio.wait_for(slots.acquire(), self.queue_wait_s)
        except TimeoutError:
            busy = {**headers, "Retry-After": "1"}
            await _plain(send, 503, "busy: try again in a second", busy)
            return
        try:
            await self._limited(scope, receive, send, headers)
        finally:
            slots.release()

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        if b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get("raw_path", b""):
            # no text with a NUL is stored or searched (PostgreSQL refuses it in text)
            await _plain(send, 400, "a NUL character in the address", headers)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body:
            await _plain(send, 413, "request too large", headers)
            return
        state = {"read": 0, "over": False, "started": False}

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["read"] += len(message.get("body", b""))
                if state["read"] > self.max_body:
                    state["over"] = True  # stop here: the rest of the body is never read
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if state["over"]:
                return  # the application's answer to a cut body is replaced by the 413
            if message["type"] == "http.response.start":
                state["started"] = True
                _with_headers(message, headers)
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            await _plain(send, 413, "request too large", headers)

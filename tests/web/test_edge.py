"""The edge of every request: headers on every answer, errors included; no-store; the body
limit while a chunked body is read; overload shed with 503 + Retry-After; forwarded addresses
only from trusted proxies; a session row written at most once a minute (issue 12)."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import threading

import pytest
import sqlalchemy.exc
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from osos.runtime import Runtime
from osos.store.db import transaction
from osos.store.models import AuditEntry
from osos.store.models.web import WebSession
from osos.timeutil import FixedClock
from osos.web.app import create_app
from osos.web.edge import SECURITY_HEADERS
from osos.web.forwarded import forwarded_for
from tests.web.conftest import ABONE_SP, World, csrf_of, login


def _app(world: World, **web: object) -> FastAPI:
    """The application on the world's database with some web settings changed."""
    settings = world.runtime.settings
    changed = dataclasses.replace(settings, web=dataclasses.replace(settings.web, **web))
    return create_app(Runtime(changed, clock=world.runtime.clock))


def _has_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name in SECURITY_HEADERS:
        assert name in headers, (response, name)
    assert headers["cache-control"] == "no-store", response


def test_every_error_answer_carries_the_headers(light_world: World) -> None:
    app = _app(light_world)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @app.get("/pool-empty")
    def pool_empty() -> None:
        raise sqlalchemy.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")

    with TestClient(app, raise_server_exceptions=False) as client:
        busy = client.get("/pool-empty")
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        answers = {
            "503 busy": busy,
            "500": client.get("/boom"),
            "404 page": client.get("/no-such-page"),
            "404 point": client.get(f"/hn/{ABONE_SP}/readout", follow_redirects=True),
            "405": client.put("/giris"),
            "403 csrf": client.post("/giris", data={"tip": "abone", "login": "x"}),
            "401 api": client.get("/api/v1/portfolio"),
            "413": client.post("/giris", content=b"x" * 10, headers={"content-length": str(2**40)}),
        }
        assert answers["500"].status_code == 500
        assert answers["404 page"].status_code == 404 and answers["405"].status_code == 405
        assert answers["413"].status_code == 413
        for answer in answers.values():
            _has_headers(answer)
        css = client.get("/static/osos.css")
        assert css.status_code == 200 and "no-store" not in css.headers.get("cache-control", "")


def test_pages_and_api_answers_are_not_stored(light_world: World) -> None:
    with TestClient(_app(light_world)) as client:
        login(client, light_world, "abone")
        for path in ("/", f"/hn/{ABONE_SP}/readout", "/api/v1/portfolio", "/saglik"):
            _has_headers(client.get(path))


def test_a_chunked_body_is_cut_at_the_limit(light_world: World) -> None:
    """150 MB sent in chunks without a Content-Length: reading stops at the limit (1 MB)."""
    app = _app(light_world, body_max_bytes=2**20)
    pulled, answers = [0], []
    chunk = b"x" * 65536

    async def receive() -> dict[str, object]:
        pulled[0] += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled[0] < 2400}

    async def send(message: dict[str, object]) -> None:
        answers.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/basvuru", "raw_path": b"/basvuru", "query_string": b"",
        "root_path": "", "client": ("192.0.2.1", 5000), "server": ("testserver", 80),
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"),
                    (b"transfer-encoding", b"chunked")],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert answers[0]["status"] == 413
    headers = dict(answers[0]["headers"])  # type: ignore[call-overload]
    assert headers[b"cache-control"] == b"no-store" and b"x-frame-options" in headers
    assert pulled[0] == 2**20 // len(chunk) + 1  # not one chunk more than needed to know


def test_overload_is_answered_503_with_retry_after(light_world: World) -> None:
    app = _app(light_world, threads=1, queue_wait_s=0.05)
    inside, release = threading.Event(), threading.Event()

    @app.get("/slow")
    def slow() -> dict[str, str]:
        inside.set()
        release.wait(60)
        return {"ok": "yes"}

    with TestClient(app) as client:
        held: list[int] = []
        worker = threading.Thread(target=lambda: held.append(client.get("/slow").status_code))
        worker.start()
        assert inside.wait(60)
        busy = client.get("/giris")
        health = client.get("/saglik")  # the health check is not admitted, never shed
        release.set()
        worker.join(60)
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        _has_headers(busy)
        assert health.status_code == 200 and held == [200]
        assert client.get("/giris").status_code == 200


PROXY = (ipaddress.ip_network("10.0.0.0/24"),)


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("127.0.0.1", ["6.6.6.6"], "127.0.0.1"),  # nobody is trusted by default
        ("192.0.2.7", ["6.6.6.6"], "192.0.2.7"),  # not a proxy: the header is ignored
        ("10.0.0.5", ["203.0.113.9"], "203.0.113.9"),
        ("10.0.0.5", ["6.6.6.6, 203.0.113.9, 10.0.0.4"], "203.0.113.9"),  # spoofed left part
        ("10.0.0.5", ["not-an-ip"], "10.0.0.5"),
        ("10.0.0.5", [], "10.0.0.5"),
    ],
)
def test_forwarded_for_only_from_trusted_proxies(
    peer: str, header: list[str], expected: str
) -> None:
    proxies = () if peer == "127.0.0.1" else PROXY
    assert forwarded_for(peer, header, proxies) == expected


def test_a_spoofed_forwarded_address_is_not_audited(light_world: World) -> None:
    with TestClient(_app(light_world)) as client:
        page = client.get("/giris")
        client.post(
            "/giris",
            data={
                "tip": "abone",
                "login": "nobody",
                "password": "x" * 12,
                "csrf_token": csrf_of(page.text),
            },
            headers={"x-forwarded-for": "6.6.6.6"},
        )
    with transaction(light_world.runtime.sessions) as session:
        ips = set(session.scalars(select(AuditEntry.ip).where(AuditEntry.action == "login")))
    assert ips == {"testclient"}


def test_a_session_is_written_at_most_once_a_minute(light_world: World) -> None:
    clock = light_world.runtime.clock
    assert isinstance(clock, FixedClock)
    import datetime as dt

    def seen() -> dt.datetime:
        with transaction(light_world.runtime.sessions) as session:
            return session.scalars(select(WebSession.last_seen_at)).one()

    with TestClient(_app(light_world)) as client:
        login(client, light_world, "abone")
        first = seen()
        for _ in range(5):
            clock.advance(dt.timedelta(seconds=10))
            assert client.get("/").status_code == 200
        assert seen() == first
        clock.advance(dt.timedelta(seconds=15))  # 65 s after login
        assert client.get("/").status_code == 200
        assert seen() == first + dt.timedelta(seconds=65)

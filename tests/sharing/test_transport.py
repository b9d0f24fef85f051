"""Transports: bounded retries, what is retried and what is not, the URL forms."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from osos.errors import ConfigError
from osos.sharing.transport import FileDrop, HttpPost, Outgoing, transport_for

ITEM = Outgoing(name="osos-rule1-x", content=b'{"rule":1}', sha256="abc")


def _post(statuses: list[int | Exception]) -> tuple[HttpPost, list[float], list[int]]:
    calls: list[int] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        assert request.headers["X-Content-SHA256"] == "abc"
        assert request.headers["Idempotency-Key"] == "osos-rule1-x"
        outcome = statuses[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome, json={"id": "R-7"} if outcome < 300 else {"e": 1})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return (
        HttpPost(
            "https://epias.test/in", attempts=3, backoff_s=0.5, client=client, sleep=sleeps.append
        ),
        sleeps,
        calls,
    )


def test_retries_server_errors_then_acknowledges() -> None:
    transport, sleeps, calls = _post([503, httpx.ConnectError("down"), 200])
    receipt = transport.send(ITEM)
    assert receipt.ok and receipt.ack == "R-7" and receipt.attempts == 3
    assert sleeps == [0.5, 1.0] and len(calls) == 3


def test_client_errors_are_not_retried() -> None:
    transport, sleeps, calls = _post([400, 200])
    receipt = transport.send(ITEM)
    assert not receipt.ok and receipt.status == 400 and len(calls) == 1 and sleeps == []


def test_gives_up_after_the_attempts() -> None:
    transport, sleeps, calls = _post([500, 500, 500, 200])
    receipt = transport.send(ITEM)
    assert not receipt.ok and receipt.status == 500 and len(calls) == 3 and len(sleeps) == 2


def test_url_forms(tmp_path: Path) -> None:
    drop = transport_for(f"file://{tmp_path}/out")
    assert isinstance(drop, FileDrop) and drop.folder == tmp_path / "out"
    assert isinstance(transport_for("https://epias.test/in"), HttpPost)
    for bad in ("", "ftp://x/y", "https://", "file://"):
        with pytest.raises(ConfigError):
            transport_for(bad)
    receipt = drop.send(Outgoing(name="n", content=b"{}", sha256="x", xlsx=b"PK"))
    assert receipt.ok and sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "n.json",
        "n.xlsx",
    ]

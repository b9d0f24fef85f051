"""A real local HTTP receiver for deliveries, and a fake MDM interval source."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Receiver:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    fail_next: int = 0  # answer 503 to this many requests first
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                good = hashlib.sha256(body).hexdigest() == self.headers["X-Content-SHA256"]
                receiver.received.append(json.loads(body))
                receiver.headers.append(dict(self.headers))
                n = len(receiver.received)
            answer = json.dumps({"ack": f"EPIAS-{n}", "hash_ok": good}).encode()
            self.send_response(200 if good else 400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 that acknowledges each delivery it receives."""
    holder = Receiver(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(holder))
    holder.url = f"http://127.0.0.1:{server.server_address[1]}/pre-settlement"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass(frozen=True)
class FakeInterval:
    start: dt.datetime
    end: dt.datetime
    withdrawal_kwh: Decimal | None
    supply_kwh: Decimal | None
    source: str


@dataclass
class FakeSource:
    """Stands in for mdm.service.interval_consumption: data 'read' up to ``read_until``."""

    read_until: dict[int, dt.datetime] = field(default_factory=dict)
    estimated: dict[int, set[dt.datetime]] = field(default_factory=dict)
    generators: set[int] = field(default_factory=set)

    def __call__(
        self, session: Any, sp_id: int, start: dt.datetime, end: dt.datetime, minutes: int
    ) -> list[FakeInterval]:
        step = dt.timedelta(minutes=minutes)
        until = self.read_until.get(sp_id, end)
        out = []
        t = start
        while t < end:
            if t + step <= until:
                estimated = t in self.estimated.get(sp_id, set())
                value = Decimal("1.000" if estimated else "1.250") * (minutes // 15)
                withdrawal, supply = (
                    (Decimal("0.010"), value) if sp_id in self.generators else (value, None)
                )
                out.append(
                    FakeInterval(
                        t, t + step, withdrawal, supply, "estimated" if estimated else "actual"
                    )
                )
            else:
                out.append(FakeInterval(t, t + step, None, None, "missing"))
            t += step
        return out


@pytest.fixture
def fake_source() -> FakeSource:
    return FakeSource()

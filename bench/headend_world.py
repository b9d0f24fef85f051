"""What the head-end benchmarks share: a fleet process, a registered database, the loop-lag
probe and a raw asyncio session as the baseline. Not a benchmark itself."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.fleet_process import fleet_specs, rss_kb
from sqlalchemy import create_engine, text

from osos.domain import CommMode, Protocol
from osos.runtime import Runtime
from osos.settings import DatabaseSettings, Settings
from osos.store import db
from osos.store.models import Installation, Meter, ServicePoint

PG_ADMIN = os.environ.get(
    "OSOS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def free_port_base(count: int) -> int:
    """A run of ``count`` free loopback ports (checked by binding each)."""
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 60000 - count)
        try:
            with contextlib.ExitStack() as stack:
                for port in range(base, base + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no run of free ports found")


class FleetProcess:
    """``bench.fleet_process`` as a child: ports, and its CPU/memory on demand."""

    def __init__(
        self,
        meters: int,
        per_modem: int,
        latency: float,
        *,
        uvloop: bool,
        dlms_share: float = 0,
        warm: bool = False,
    ) -> None:
        self.dlms_share = dlms_share
        self.port_base = free_port_base(-(-meters // per_modem))
        args = [sys.executable, "-m", "bench.fleet_process", "--meters", str(meters)]
        args += ["--per-modem", str(per_modem), "--port-base", str(self.port_base)]
        args += ["--latency", str(latency)] + (["--uvloop"] if uvloop else [])
        args += ["--dlms-share", str(dlms_share)]
        args += ["--warm"] if warm else []
        self.child = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.child.stdout is not None
        first: dict[str, Any] = json.loads(self.child.stdout.readline())
        self.ports: dict[str, int] = first["ports"]
        self.address: dict[str, str | None] = first["address"]
        self.started = first

    def usage(self) -> dict[str, Any]:
        assert self.child.stdin is not None and self.child.stdout is not None
        self.child.stdin.write("usage\n")
        self.child.stdin.flush()
        found: dict[str, Any] = json.loads(self.child.stdout.readline())
        return found

    def close(self) -> None:
        if self.child.stdin is not None:
            self.child.stdin.close()
        try:
            self.child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()


@contextlib.contextmanager
def database(backend: str) -> Iterator[str | None]:
    """A fresh migrated database (SQLite file, or a PostgreSQL database when reachable)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            db.upgrade(url)
            yield url
        return
    name = f"osos_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no server: the PostgreSQL figures are skipped
        yield None
        return
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        db.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def open_runtime(url: str) -> Runtime:
    home = Path(tempfile.gettempdir())
    return Runtime(Settings(home=home, database=DatabaseSettings(url), secret_key="b" * 48))


def register(
    runtime: Runtime,
    fleet: FleetProcess,
    *,
    meters: int,
    per_modem: int,
    protocol: str | None = None,
) -> int:
    """The fleet's meters in the registry, dialled out to the fleet's ports (only those
    speaking ``protocol``, ``iec`` or ``dlms``, when given), in bulk: one flush for the
    points and meters, one for the installations; returns how many."""
    specs = fleet_specs(meters, per_modem, fleet.port_base, dlms_share=fleet.dlms_share)
    specs = [s for s in specs if protocol is None or s.protocol == protocol]
    with runtime.sessions.begin() as session:
        points = [ServicePoint(no=f"SP{spec.serial}") for spec in specs]
        rows = [
            Meter(
                serial=spec.serial,
                flag=spec.meter_flag,
                comm_mode=CommMode.DIAL_OUT,
                host="127.0.0.1",
                port=fleet.ports[spec.serial],
                device_address=fleet.address[spec.serial],
                password=spec.password,
                protocol=Protocol.DLMS if spec.protocol == "dlms" else Protocol.IEC62056_21,
            )
            for spec in specs
        ]
        session.add_all([*points, *rows])
        session.flush()
        session.add_all(
            Installation(
                meter_id=meter.id,
                service_point_id=point.id,
                installed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                ct_ratio=Decimal(1),
                vt_ratio=Decimal(1),
            )
            for point, meter in zip(points, rows, strict=True)
        )
    return len(specs)


class LagProbe:
    """How late the event loop wakes a 10 ms sleeper (its p99 is the loop's lag), and the
    peak resident memory seen meanwhile."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.peak_kb = rss_kb()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags.append(time.perf_counter() - start - 0.01)
            if len(self.lags) % 20 == 0:
                self.peak_kb = max(self.peak_kb, rss_kb())

    def __enter__(self) -> LagProbe:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def p99(self) -> float:
        if not self.lags:
            return 0.0
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def raw_readout(port: int, address: str) -> int:
    """The baseline: a bare asyncio readout (sign-on, identification, option select, the
    readout up to its BCC) with no parsing, no store; returns the bytes received."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"/?" + address.encode("ascii") + b"!\r\n")
        ident = await reader.readuntil(b"\n")
        writer.write(b"\x06000\r\n")
        data = await reader.readuntil(b"\x03")
        data += await reader.readexactly(1)
        return len(ident) + len(data)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

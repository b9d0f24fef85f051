"""Head-end worker processes and a simulated fleet process for the multi-process tests.

Every wait here is bounded by a count of polls (the tests fail, never hang); nothing asserts
how long anything took.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, text, update

from osos.domain import CommMode
from osos.runtime import Runtime
from osos.simulator.spec import MeterSpec, specs_for
from osos.store.models import Installation, Meter, ServicePoint
from osos.store.models.headend import ReadPlan

ROOT = Path(__file__).resolve().parents[2]

FLEET = """
import asyncio, dataclasses, json, sys
from osos.simulator import Fleet
from osos.simulator.spec import specs_for
ports, addresses = json.loads(sys.argv[1])
specs = [
    dataclasses.replace(s, port=p, device_address=a)
    for s, p, a in zip(specs_for(len(ports), seed=5), ports, addresses)
]
async def main():
    async with Fleet(specs, latency=float(sys.argv[2])):
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
asyncio.run(main())
"""


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def shared_fleet(meters: int, per_modem: int) -> list[MeterSpec]:
    """``meters`` generated meters, ``per_modem`` behind each modem port (addressed by serial)."""
    ports = free_ports(-(-meters // per_modem))
    return [
        dataclasses.replace(spec, port=ports[i // per_modem], device_address=spec.serial)
        for i, spec in enumerate(specs_for(meters, seed=5))
    ]


@contextlib.contextmanager
def fleet_process(specs: list[MeterSpec], latency: float) -> Iterator[None]:
    rows = [[s.port for s in specs], [s.device_address for s in specs]]
    child = subprocess.Popen(
        [sys.executable, "-c", FLEET, json.dumps(rows), str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


def register(runtime: Runtime, specs: list[MeterSpec], *, profile_plans: bool = False) -> None:
    with runtime.sessions.begin() as session:
        for spec in specs:
            point = ServicePoint(no=f"SP{spec.serial}")
            meter = Meter(
                serial=spec.serial,
                flag=spec.meter_flag,
                comm_mode=CommMode.DIAL_OUT,
                host="127.0.0.1",
                port=spec.port,
                device_address=spec.device_address,
                password=spec.password,
            )
            session.add_all([point, meter])
            session.flush()
            session.add(
                Installation(
                    meter_id=meter.id,
                    service_point_id=point.id,
                    installed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
                    ct_ratio=Decimal(1),
                    vt_ratio=Decimal(1),
                )
            )
        if not profile_plans:
            session.execute(
                update(ReadPlan).where(ReadPlan.purpose == "profile").values(enabled=False)
            )


def start_worker(url: str, home: Path, *, concurrency: int = 40) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OSOS_DATABASE_URL": url, "OSOS_HOME": str(home)}
    code = "from osos.cli import main; main()"
    args = ["headend", "--tick", "0.3", "--plan-every", "0.5", "--concurrency", str(concurrency)]
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def kill(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait()


def wait_until(
    check: Callable[[], bool],
    polls: int = 600,
    every: float = 0.2,
    progress: Callable[[], object] | None = None,
) -> bool:
    """Poll ``check``; give up after ``polls`` polls in which ``progress`` (when given) showed
    no change, so a loaded machine that reads slowly still gets there and a stall still fails."""
    quiet, seen = 0, progress() if progress else None
    while not check():
        if progress is not None and (now := progress()) != seen:
            quiet, seen = 0, now
        else:
            quiet += 1
        if quiet >= polls:
            return False
        time.sleep(every)
    return True


def scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def overlaps(engine: Engine) -> list[tuple[str, int, int]]:
    """Attempts on one modem (peer) whose times overlap: (peer, comm-log id, id)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.id, m.host || ':' || m.port AS modem, c.started_at, c.ended_at "
                "FROM comm_log c JOIN meters m ON m.id = c.meter_id ORDER BY modem, started_at"
            )
        ).all()
    found = []
    for earlier, later in itertools.pairwise(rows):
        if earlier.modem == later.modem and later.started_at < earlier.ended_at:
            found.append((earlier.modem, earlier.id, later.id))
    return found

"""``osos read``, ``osos headend --once`` and ``osos comm-status`` against a simulated fleet
served from a thread (the commands run their own event loop)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from osos.cli import app
from osos.runtime import Runtime
from osos.simulator import Fleet
from osos.simulator.spec import MeterSpec, specs_for
from osos.store.models import AuditEntry
from osos.timeutil import to_local
from tests.factories import MeterRow, add_meters


@pytest.fixture
def fleet_ports() -> Iterator[tuple[list[MeterSpec], dict[str, int]]]:
    """Three simulated meters on the system clock, served by a loop in a thread."""
    specs = [dataclasses.replace(s, port=0) for s in specs_for(3, seed=9)]
    loop = asyncio.new_event_loop()
    fleet = Fleet(specs)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fleet.start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(fleet.stop())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(30)
    try:
        yield specs, fleet.ports
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


def test_read_headend_once_and_status(
    sqlite_runtime: Runtime, fleet_ports: tuple[list[MeterSpec], dict[str, int]]
) -> None:
    specs, ports = fleet_ports
    add_meters(
        sqlite_runtime,
        [
            MeterRow(s.serial, flag=s.meter_flag, port=ports[s.serial], password=s.password)
            for s in specs
        ],
    )
    runner = CliRunner()
    serial = specs[0].serial
    now = to_local(dt.datetime.now(dt.UTC)).replace(tzinfo=None, second=0, microsecond=0)
    start = (now - dt.timedelta(hours=2)).isoformat(timespec="minutes")
    result = runner.invoke(app, ["read", serial, "--profile", start, now.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"reading meter {serial}" in result.output
    assert f"{serial}: calling 127.0.0.1:{ports[serial]}" in result.output  # progress lines
    assert f"{serial}: readout:" in result.output and f"{serial}: load profile" in result.output
    assert "1.8.0" in result.output and "kWh" in result.output
    assert "inserted, 0 unchanged, 0 conflicts" in result.output
    assert f"{serial}: ok" in result.output

    result = runner.invoke(app, ["headend", "--once", "--concurrency", "5"])
    assert result.exit_code == 0, result.output
    assert "3 meter(s) read: 3 ok" in result.output

    result = runner.invoke(app, ["comm-status"])
    assert result.exit_code == 0 and all(s.serial in result.output for s in specs)
    assert "3 meter(s)" in result.output


def test_read_refuses_bad_input(sqlite_runtime: Runtime) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["read", "NOPE"])
    assert result.exit_code == 2 and "no meter with serial 'NOPE'" in result.output
    result = runner.invoke(app, ["read", "NOPE", "--profile", "yesterday", "2026-11-02"])
    assert result.exit_code == 2 and "--profile" in result.output
    result = runner.invoke(app, ["read", "NOPE", "--profile", "2026-11-02", "2026-11-01"])
    assert result.exit_code == 2 and "TO is before FROM" in result.output


def test_plans_list_and_set(sqlite_runtime: Runtime) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["plans", "list"])
    assert result.exit_code == 0, result.output
    assert "balancing_unit  profile  every    15 min" in result.output
    result = runner.invoke(
        app, ["plans", "set", "generation", "profile", "--every", "30", "--offset", "3"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["plans", "list"])
    assert "generation      profile  every    30 min +3" in result.output
    with sqlite_runtime.sessions() as session:
        (entry,) = session.scalars(select(AuditEntry))
    assert entry.action == "read_plan.update" and entry.object_id == "generation/profile"
    bad = runner.invoke(app, ["plans", "set", "villa", "profile", "--every", "30"])
    assert bad.exit_code == 2 and "class must be one of" in bad.output
    bad = runner.invoke(app, ["plans", "set", "default", "profile", "--every", "0"])
    assert bad.exit_code == 2 and "--every" in bad.output

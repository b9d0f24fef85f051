"""Findings through the store on both databases: a simulated faulty meter's readouts and
profile stored by the real ingest, a month's run, re-runs that change nothing, the operator's
status changes audited, and ``osos losses --json``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from osos.cli import app
from osos.errors import InvalidInput
from osos.losses.findings import Kind, Status
from osos.losses.service import run_window
from osos.losses.store import listed, set_status
from osos.losses.upkeep import LossHook
from osos.runtime import Runtime
from osos.settings import LossLimits
from osos.simulator import MeterSpec
from osos.simulator.faults import Fault
from osos.simulator.spec import serial_seed
from osos.store.db import transaction
from osos.store.models import AuditEntry
from osos.store.models.losses import LossFinding
from osos.store.raw import raw_of
from osos.timeutil import (
    FixedClock,
    local_iso,
    local_midnight,
    month_bounds,
    month_start_before,
    period_of,
)
from tests.web.data import load_registry, meter_of

from . import simdata

POINT = "2000104137"  # Trakya Çelik, Makel C520 behind 200/5 A and 154 kV/100 V


@pytest.fixture
def stored(runtime: Runtime, frozen_now: dt.datetime) -> tuple[str, dt.datetime]:
    with transaction(runtime.sessions) as session:
        load_registry(session)
        return store_faulty(session, frozen_now, Fault.COVER_OPEN, Fault.BYPASS)


_CAPTURED: dict[tuple[dt.datetime, tuple[Fault, ...]], simdata.Captured] = {}


def store_faulty(session: Session, now: dt.datetime, *faults: Fault) -> tuple[str, dt.datetime]:
    """The demo's Trakya Çelik meter with ``faults`` from the middle of the month before
    ``now``, its month and five weeks before stored: (period, when the faults began). The
    simulation is made once per instant and faults (it is the slow part), stored per test."""
    period = period_of(month_start_before(now, 1))
    low, high = month_bounds(period)
    since = local_midnight((low + dt.timedelta(days=14)).date()) + dt.timedelta(
        hours=10, minutes=30
    )
    meter = meter_of(session, POINT)
    key = (now, faults)
    if key not in _CAPTURED:
        spec = MeterSpec(
            meter.serial, family="makel-c520", seed=serial_seed(meter.serial), peak_w=233
        )
        sim = simdata.one_point(POINT, spec, high, Decimal(61600))
        for fault in faults:
            sim.meter.model.tamper.begin(fault.value, since)
        start = low - dt.timedelta(days=29)
        _CAPTURED[key] = simdata.capture(sim, start, high, dt.timedelta(hours=6))
    simdata.store(session, meter.id, _CAPTURED[key])
    return period, since


def _run(runtime: Runtime, period: str) -> tuple[int, int, int]:
    low, high = month_bounds(period)
    with transaction(runtime.sessions) as session:
        saved = run_window(session, low, high, LossLimits())[1]
    return saved.added, saved.updated, saved.unchanged


def test_a_month_is_stored_once_and_points_at_its_bytes(
    runtime: Runtime, stored: tuple[str, dt.datetime]
) -> None:
    period, since = stored
    assert _run(runtime, period) == (2, 0, 0)
    assert _run(runtime, period) == (0, 0, 2)  # a re-run changes nothing
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(LossFinding)) == 2
        rows = {r.finding.kind: r for r in listed(session, *month_bounds(period))}
        cover = rows[Kind.TERMINAL_COVER]
        assert cover.finding.start == since and cover.status is Status.OPEN
        assert cover.finding.evidence["count"] == "01"  # from the readout's own bytes
        assert cover.finding.readout_id is not None
        raw = raw_of(session, cover.finding.readout_id)
        assert raw is not None and b"96.71(" in raw.raw
        assert rows[Kind.CONSUMPTION_DROP].finding.service_point == POINT


def test_status_changes_are_audited_and_survive_a_re_run(
    runtime: Runtime, stored: tuple[str, dt.datetime]
) -> None:
    period, _ = stored
    _run(runtime, period)
    with transaction(runtime.sessions) as session:
        (first, *_) = listed(session)
        set_status(session, first.id, Status.ACKNOWLEDGED, actor="operator1")
        with pytest.raises(InvalidInput):
            set_status(session, first.id, Status.CLOSED, actor="operator1")  # needs a note
    with transaction(runtime.sessions) as session:
        set_status(session, first.id, Status.CLOSED, actor="operator1", note="mühür yenilendi")
    _run(runtime, period)
    with runtime.sessions() as session:
        row = session.get(LossFinding, first.id)
        assert row is not None and row.status == "closed" and row.note == "mühür yenilendi"
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "loss_finding")
        ).all()
        assert sorted(actions) == ["loss_finding_acknowledged", "loss_finding_closed"]


def test_the_command_prints_the_documented_json(
    runtime: Runtime, stored: tuple[str, dt.datetime]
) -> None:
    period, since = stored
    _run(runtime, period)
    result = CliRunner().invoke(app, ["losses", "--period", period, "--json", "--no-detect"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert sorted(i["kind"] for i in items) == ["consumption_drop", "terminal_cover"]
    cover = next(i for i in items if i["kind"] == "terminal_cover")
    assert list(cover)[:5] == ["service_point", "kind", "start", "end", "evidence"]
    assert cover["service_point"] == POINT and cover["start"] == local_iso(since)
    assert cover["evidence"]["register"] == "96.71" and isinstance(cover["readout_id"], int)
    assert cover["status"] == "open"


def test_the_head_end_hook_scans_the_month_just_ended_once_per_interval(
    runtime: Runtime, stored: tuple[str, dt.datetime]
) -> None:
    period, _ = stored
    after = month_bounds(period)[1] + dt.timedelta(hours=1)  # its last reads still arrive
    frozen = Runtime(runtime.settings, clock=FixedClock(after))
    hook = LossHook(every=dt.timedelta(minutes=30))
    assert hook.periods(after) == [period, period_of(after)]
    (month, this_month) = hook(frozen, after) or []
    assert (month.added, this_month.added) == (2, 0)
    assert hook(frozen, after + dt.timedelta(minutes=10)) is None  # not yet again
    again = hook(frozen, after + dt.timedelta(minutes=31)) or []
    assert [r.unchanged for r in again] == [2, 0]
    assert hook.periods(after + dt.timedelta(days=3)) == [period_of(after)]
    frozen.close()

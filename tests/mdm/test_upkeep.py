"""Automatic validation and determinant upkeep after the head-end's ticks — both databases."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.domain import ReadSource
from osos.mdm import billing, bulk, determinants, months, vee
from osos.mdm.upkeep import ValidationHook
from osos.mdm.validate import Code, Finding
from osos.readings import IntervalRecord
from osos.runtime import Runtime
from osos.settings import ValidationLimits
from osos.store import db
from osos.store.ingest import store_readout
from osos.store.intervals import store_profile
from osos.store.models import Meter
from osos.store.models.mdm import BillingDeterminant, UpkeepWatermark, ValidationFinding
from tests.factories import (
    START_INDEXES,
    Q,
    add_meter,
    add_service_point,
    install,
    local,
    profile_records,
)

OCT1, OCT3, OCT5 = local(2026, 10, 1), local(2026, 10, 3), local(2026, 10, 5)
GAP_START, GAP_END = local(2026, 10, 2, 10), local(2026, 10, 2, 12)
NOW = local(2026, 10, 5, 1)


def _headend_read(
    s: Session, meter: Meter, records: Sequence[IntervalRecord], read_at: dt.datetime
) -> int:
    """Store a load-profile read the way the head-end does: a readout, then its intervals."""
    readout_id = store_readout(
        s,
        meter_id=meter.id,
        read_at=read_at,
        raw=f"P.01 {meter.serial} {read_at.isoformat()}".encode(),
        values=[],
        source=ReadSource.HEADEND,
        kind="profile",
        meter_time=read_at,
    ).readout_id
    store_profile(s, meter_id=meter.id, records=records, readout_id=readout_id)
    return readout_id


def _setup(s: Session, serial: str, sp_no: str) -> tuple[Meter, int]:
    sp = add_service_point(s, sp_no)
    meter = add_meter(s, serial)
    install(s, sp, meter, local(2026, 1, 1))
    return meter, sp.id


def _findings(s: Session) -> list[tuple[str, str, dt.datetime, dt.datetime]]:
    rows = s.execute(
        select(Meter.serial, ValidationFinding.code, ValidationFinding.start_at,
               ValidationFinding.end_at)
        .join(Meter, Meter.id == ValidationFinding.meter_id)
        .order_by(Meter.serial, ValidationFinding.start_at)
    ).all()  # fmt: skip
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _in_gap(end: dt.datetime) -> bool:
    return GAP_START < end <= GAP_END


def test_hook_validates_headend_data_and_stores_findings_once(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        meter, _ = _setup(s, "E1", "4001")
        records, _ = profile_records(OCT1, OCT3, START_INDEXES, skip=_in_gap)
        _headend_read(s, meter, records, OCT3 + dt.timedelta(minutes=3))
    hook = ValidationHook()
    summary = hook(runtime, NOW)
    assert summary is not None
    assert (summary.readouts, summary.meters, summary.findings, summary.errors) == (1, 1, 1, 0)
    with runtime.sessions() as s:
        assert _findings(s) == [("E1", Code.MISSING_INTERVALS.value, GAP_START, GAP_END)]

    assert hook(runtime, NOW + dt.timedelta(minutes=5)) is None  # throttled
    again = hook(runtime, NOW + dt.timedelta(minutes=15))
    assert again is not None and (again.readouts, again.meters) == (0, 0)
    # From the start again (a fresh watermark): the same finding is not stored twice.
    fresh = ValidationHook()
    with db.transaction(runtime.sessions) as s:
        s.execute(ValidationFinding.__table__.update().values(detail="seen"))
        s.execute(UpkeepWatermark.__table__.delete())
    rerun = fresh(runtime, NOW)
    assert rerun is not None and (rerun.meters, rerun.findings) == (1, 0)
    with runtime.sessions() as s:
        assert _findings(s) == [("E1", Code.MISSING_INTERVALS.value, GAP_START, GAP_END)]
        assert s.execute(select(ValidationFinding.detail)).scalar_one() == "8 interval(s) missing"


def test_meter_without_new_data_is_not_revalidated(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        m1, _ = _setup(s, "E1", "4001")
        m2, _ = _setup(s, "E2", "4002")
        first, last1 = profile_records(OCT1, OCT3, START_INDEXES)
        _headend_read(s, m1, first, OCT3)
        _headend_read(s, m2, first, OCT3)
        m2_id = m2.id
    calls: list[tuple[int, dt.datetime, dt.datetime]] = []

    def recording(session: Session, meter_id: int, start: Any, end: Any, **kw: Any) -> Any:
        calls.append((meter_id, start, end))
        return vee.validate_meter(session, meter_id, start, end, **kw)

    hook = ValidationHook(validator=recording)
    hook(runtime, NOW)
    assert sorted(c[0] for c in calls) == [m1.id, m2_id]

    calls.clear()
    with db.transaction(runtime.sessions) as s:
        more, _ = profile_records(OCT3, OCT5, last1)
        _headend_read(s, s.get(Meter, m2_id), more[1:], OCT5)  # type: ignore[arg-type]
    summary = hook(runtime, NOW + dt.timedelta(minutes=15))
    assert summary is not None and summary.meters == 1
    assert [c[0] for c in calls] == [m2_id]
    # the window reaches back far enough for runs (3 days), but not before the first interval
    _, start, end = calls[0]
    assert (start, end) == (OCT1 - Q, OCT5)


def test_month_recomputed_after_new_data(runtime: Runtime) -> None:
    """October read with a gap (its tariff split estimated), then the gap's actual read."""
    nov = local(2026, 11, 1)
    gap_start, gap_end = local(2026, 10, 10, 10), local(2026, 10, 10, 12)

    def in_gap(end: dt.datetime) -> bool:
        return gap_start < end <= gap_end

    with db.transaction(runtime.sessions) as s:
        meter, sp_id = _setup(s, "E1", "4001")
        with_gap, _ = profile_records(OCT1, nov, START_INDEXES, skip=in_gap)
        _headend_read(s, meter, with_gap, nov)
        meter_id = meter.id
    hook = ValidationHook()
    summary = hook(runtime, nov + dt.timedelta(minutes=10))
    assert summary is not None and summary.months_recomputed >= 1

    def stored() -> tuple[bool, int, dict[str, Any]]:
        with runtime.sessions() as s:
            row = s.execute(
                select(BillingDeterminant).where(
                    BillingDeterminant.service_point_id == sp_id,
                    BillingDeterminant.period == "2026-10",
                )
            ).scalar_one()
            assert row.data is not None
            return row.dirty, row.version, json.loads(row.data)

    dirty, version, data = stored()
    assert not dirty and data["estimated"] is True
    assert data["consumption"]["1.8.1"] == "10230.000"

    with db.transaction(runtime.sessions) as s:
        full, _ = profile_records(OCT1, nov, START_INDEXES)
        gap = [r for r in full if in_gap(r.end_at)]
        _headend_read(s, s.get(Meter, meter_id), gap, nov + dt.timedelta(hours=1))  # type: ignore[arg-type]
    summary = hook(runtime, nov + dt.timedelta(hours=2))
    assert summary is not None and summary.months_dirty >= 1 and summary.months_recomputed >= 1
    dirty, new_version, data = stored()
    assert not dirty and new_version == version + 1
    assert data["estimated"] is False  # the tariff split is now measured, not shared
    with db.transaction(runtime.sessions) as s:  # what is stored is what a fresh compute gives
        s.execute(BillingDeterminant.__table__.update().values(dirty=True))
        assert determinants.stored(s, sp_id, "2026-10", runtime.settings) == data


def test_failing_meter_is_logged_and_the_others_go_on(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with db.transaction(runtime.sessions) as s:
        m1, _ = _setup(s, "E1", "4001")
        m2, _ = _setup(s, "E2", "4002")
        records, _ = profile_records(OCT1, OCT3, START_INDEXES, skip=_in_gap)
        _headend_read(s, m1, records, OCT3)
        _headend_read(s, m2, records, OCT3)
        bad = m1.id

    def broken(session: Session, meter_id: int, start: Any, end: Any, **kw: Any) -> list[Finding]:
        if meter_id == bad:
            raise RuntimeError("broken source")
        return vee.validate_meter(session, meter_id, start, end, **kw)

    caplog.set_level(logging.INFO, logger="osos.mdm.upkeep")
    summary = ValidationHook(validator=broken)(runtime, NOW)
    assert summary is not None and (summary.meters, summary.errors, summary.findings) == (2, 1, 1)
    assert "meter E1 skipped" in caplog.text and "1 error(s)" in caplog.text
    with runtime.sessions() as s:
        assert [f[0] for f in _findings(s)] == ["E2"]


def test_hook_never_raises_into_the_headend(
    sqlite_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    def no_database() -> Session:
        raise RuntimeError("database gone")

    broken = SimpleNamespace(sessions=no_database, settings=sqlite_runtime.settings)
    hook = ValidationHook()
    assert hook(broken, NOW) is None  # type: ignore[arg-type]
    assert "validation upkeep failed" in caplog.text and "database gone" in caplog.text
    assert hook(sqlite_runtime, NOW + dt.timedelta(minutes=1)) is None  # waits `every` to retry
    summary = hook(sqlite_runtime, NOW + dt.timedelta(minutes=15))
    assert summary is not None and summary.errors == 0


def test_backlog_is_worked_off_on_following_ticks(sqlite_runtime: Runtime) -> None:
    with db.transaction(sqlite_runtime.sessions) as s:
        meter, _ = _setup(s, "E1", "4001")
        first, last = profile_records(OCT1, OCT3, START_INDEXES)
        _headend_read(s, meter, first, OCT3)
        more, _ = profile_records(OCT3, OCT5, last)
        _headend_read(s, meter, more[1:], OCT5)
    hook = ValidationHook(batch=1)
    one = hook(sqlite_runtime, NOW)
    two = hook(sqlite_runtime, NOW + dt.timedelta(seconds=5))  # behind: not throttled
    assert one is not None and two is not None
    assert (one.readouts, one.behind, two.readouts) == (1, True, 1)
    three = hook(sqlite_runtime, NOW + dt.timedelta(seconds=10))
    assert three is not None and three.readouts == 0 and not three.behind
    assert hook(sqlite_runtime, NOW + dt.timedelta(seconds=15)) is None


def test_a_readout_just_stored_waits_until_it_has_settled(runtime: Runtime) -> None:
    """Ids are handed out before commit: the head-end's newest readouts are left for a later
    run, so the watermark never passes a readout still being written."""
    with db.transaction(runtime.sessions) as s:
        meter, _ = _setup(s, "E1", "4001")
        first, last = profile_records(OCT1, OCT3, START_INDEXES)
        _headend_read(s, meter, first, OCT3)
        more, _ = profile_records(OCT3, OCT5, last)
        _headend_read(s, meter, more[1:], OCT5)
    hook = ValidationHook(every=dt.timedelta(minutes=1))
    early = hook(runtime, OCT5 + dt.timedelta(minutes=1))
    assert early is not None and (early.readouts, early.behind) == (1, False)
    later = hook(runtime, OCT5 + dt.timedelta(minutes=6))
    assert later is not None and later.readouts == 1


def test_zero_consumption_across_reads_is_one_finding(runtime: Runtime) -> None:
    """A standing meter read every few hours: one finding that grows, not one per read."""
    limits = ValidationLimits(zero_consumption=dt.timedelta(hours=2))
    hook = ValidationHook(limits=limits)
    with db.transaction(runtime.sessions) as s:
        meter, _ = _setup(s, "E1", "4001")
        meter_id = meter.id
    values = dict(START_INDEXES)
    at = OCT1
    for read in range(4):  # 4 reads of 3 hours each, nothing consumed
        records = []
        for _ in range(12):
            at += Q
            records.append(IntervalRecord(at, values))
        with db.transaction(runtime.sessions) as s:
            _headend_read(s, s.get(Meter, meter_id), records, at)  # type: ignore[arg-type]
        hook(runtime, NOW + read * dt.timedelta(minutes=15))
    with runtime.sessions() as s:
        rows = s.execute(
            select(ValidationFinding).where(ValidationFinding.code == Code.ZERO_CONSUMPTION.value)
        ).scalars().all()  # fmt: skip
        assert [(r.start_at, r.end_at) for r in rows] == [(OCT1 + Q, at)]


# --------------------------------------------------------------------------------------------
# ValidationLimits from configuration


def test_validation_uses_the_configured_limits(
    sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A meter whose clock is 3 minutes behind: a finding under the default 2-minute limit,
    none once OSOS_VALIDATION_CLOCK_DRIFT_S allows 5 minutes."""
    read_at = OCT3 + dt.timedelta(minutes=3)
    with db.transaction(sqlite_runtime.sessions) as s:
        meter, _ = _setup(s, "E1", "4001")
        meter_id = meter.id
        store_readout(
            s, meter_id=meter_id, read_at=read_at, raw=b"readout", values=[],
            source=ReadSource.HEADEND, meter_time=read_at - dt.timedelta(minutes=3),
        )  # fmt: skip
    lenient = ValidationLimits(clock_drift=dt.timedelta(seconds=300))
    with db.transaction(sqlite_runtime.sessions) as s:
        assert vee.validate_meter(s, meter_id, OCT1, OCT5, limits=lenient) == []
    summary = ValidationHook()(sqlite_runtime, NOW)
    assert summary is not None and summary.findings == 1
    with sqlite_runtime.sessions() as s:
        assert s.execute(select(func.count()).select_from(ValidationFinding)).scalar_one() == 1
        assert s.execute(select(ValidationFinding.code)).scalar_one() == Code.CLOCK_DRIFT.value


def test_validate_command_refuses_a_bad_limit(
    sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from osos.cli import app

    monkeypatch.setenv("OSOS_VALIDATION_SPIKE_FACTOR", "four")
    result = CliRunner().invoke(app, ["validate", "--all", "--period", "2026-10"])
    assert result.exit_code == 2 and "OSOS_VALIDATION_SPIKE_FACTOR='four'" in result.output


def test_a_month_that_fails_does_not_hold_up_the_others(
    sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with db.transaction(sqlite_runtime.sessions) as s:
        m1, bad_sp = _setup(s, "E1", "4001")
        m2, good_sp = _setup(s, "E2", "4002")
        records, _ = profile_records(OCT1, OCT3, START_INDEXES)
        _headend_read(s, m1, records, OCT3)
        _headend_read(s, m2, records, OCT3)
    real = billing.compute_month

    def compute_month(month: Any, limits: Any, **steps: Any) -> Any:
        if month.service_point_no == "4001":
            raise RuntimeError("cannot compute")
        return real(month, limits, **steps)

    # the month fails in the set-based run and in the per-point run alike
    monkeypatch.setattr(bulk, "compute_month", compute_month)
    monkeypatch.setattr(months, "compute_month", compute_month)
    hook = ValidationHook(months=1)
    runs = [hook(sqlite_runtime, NOW + n * dt.timedelta(minutes=15)) for n in range(5)]
    assert all(r is not None for r in runs)
    # two months each (September's last quarter hour is 1 October's first interval start)
    assert sum(r.months_recomputed for r in runs if r) == 2
    assert sum(r.errors for r in runs if r) == 2  # each failing month tried once, not every run
    assert "month 2026-10 of service point id" in caplog.text
    with sqlite_runtime.sessions() as s:
        dirty = s.execute(
            select(BillingDeterminant.service_point_id, BillingDeterminant.dirty)
        ).all()  # fmt: skip
    assert sorted(set(dirty)) == [(bad_sp, True), (good_sp, False)]
    retried = hook(sqlite_runtime, NOW + dt.timedelta(days=1, minutes=15))
    assert retried is not None and retried.errors == 1  # a day later they are tried again


def test_upkeep_command_runs_the_hook_once_over(runtime: Runtime) -> None:
    from typer.testing import CliRunner

    from osos.cli import app

    with db.transaction(runtime.sessions) as s:
        meter, _ = _setup(s, "E1", "4001")
        records, _ = profile_records(OCT1, OCT3, START_INDEXES, skip=_in_gap)
        _headend_read(s, meter, records, OCT3)
    result = CliRunner().invoke(app, ["upkeep"])
    assert result.exit_code == 0, result.output
    assert "1 new readout(s) validated, 1 new finding(s), 2 month(s) recomputed" in result.output
    again = CliRunner().invoke(app, ["upkeep"])
    assert "0 new readout(s) validated, 0 new finding(s)" in again.output
    with runtime.sessions() as s:
        assert _findings(s) == [("E1", Code.MISSING_INTERVALS.value, GAP_START, GAP_END)]

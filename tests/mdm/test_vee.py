"""Validation findings, estimates replaced by actual reads, operator edits — on both databases."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from osos.domain import DataSource
from osos.mdm import determinants, edits, vee
from osos.mdm.service import interval_consumption, monthly_report
from osos.mdm.validate import Code
from osos.runtime import Runtime
from osos.settings import ValidationLimits
from osos.store import db
from osos.store.intervals import store_profile
from osos.store.models import AuditEntry, ProfileIntervalHistory, profile_intervals
from osos.store.models.mdm import BillingDeterminant
from tests.factories import (
    START_INDEXES,
    Q,
    add_meter,
    add_service_point,
    install,
    local,
    profile_records,
    store_intervals,
)

OCT, NOV = local(2026, 10, 1), local(2026, 11, 1)
GAP_START, GAP_END = local(2026, 10, 10, 10), local(2026, 10, 10, 12)
START = START_INDEXES


LIMITS = ValidationLimits()


def _in_gap(end: object) -> bool:
    return GAP_START < end <= GAP_END  # type: ignore[operator]


def test_gap_estimated_then_replaced_by_actual_read(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "3001")
        meter = add_meter(s, "E1")
        meter_id, sp_id = meter.id, sp.id
        install(s, sp, meter, local(2026, 1, 1))
        records, _ = profile_records(OCT, NOV, START, skip=_in_gap)
        store_intervals(s, meter, records)
        full, _ = profile_records(OCT, NOV, START)
        gap_records = [r for r in full if _in_gap(r.end_at)]
    assert len(gap_records) == 8

    with db.transaction(runtime.sessions) as s:
        findings = vee.validate_meter(s, meter_id, OCT, NOV, limits=LIMITS)
        assert [(f.code, f.start, f.end, f.detail) for f in findings] == [
            (Code.MISSING_INTERVALS, GAP_START, GAP_END, "8 interval(s) missing")
        ]
        listed = vee.list_findings(s, meter_serial="E1")
        assert [(v.code, v.state) for v in listed] == [("missing_intervals", "open")]
        before = monthly_report(s, "3001", "2026-10", runtime.settings)
        # month-end indexes are actual; the tariff split had to share the gap: estimated
        assert before.estimated and before.consumption["1.8.1"] == Decimal("10230.000")

    with db.transaction(runtime.sessions) as s:
        assert vee.estimate_meter(s, meter_id, OCT, NOV) == 8
        assert vee.estimate_meter(s, meter_id, OCT, NOV) == 0  # idempotent
        rows = s.execute(
            select(profile_intervals.c.end_at, profile_intervals.c.r1_8_0)
            .where(profile_intervals.c.source == DataSource.ESTIMATED.value)
            .order_by(profile_intervals.c.end_at)
        ).all()
        # 2 kWh over 8 T1 intervals, shared equally: 0.250 each (no history to shape it)
        assert [r[1] for r in rows] == [int(r.values["1.8.0"] * 1000) for r in gap_records]
        quarters = interval_consumption(s, sp_id, GAP_START, GAP_END)
        assert {q.source for q in quarters} == {"estimated"}
        estimated = determinants.stored(s, sp_id, "2026-10", runtime.settings)
        assert estimated["estimated"] is True

    with db.transaction(runtime.sessions) as s:  # the actual read arrives (head-end ingest)
        result = store_profile(s, meter_id=meter_id, records=gap_records, readout_id=None)
        assert result.replaced_estimates == 8

    with db.transaction(runtime.sessions) as s:
        # not marked dirty by the ingest: the fingerprint notices and recomputes
        data = determinants.stored(s, sp_id, "2026-10", runtime.settings)
        assert data["estimated"] is False
        assert data["consumption"]["1.8.0"] == "22506.000"
        history = s.execute(select(ProfileIntervalHistory)).scalars().all()
        assert len(history) == 8 and {h.source for h in history} == {DataSource.ESTIMATED}
        versions = edits.interval_versions(s, meter_id, GAP_START, GAP_START + Q)
        assert [(v.version, v.source, v.current) for v in versions] == [
            (1, "estimated", False),
            (2, "actual", True),
        ]


def test_operator_edit_is_versioned_and_audited(runtime: Runtime) -> None:
    at = local(2026, 10, 20, 12)
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "3002")
        meter = add_meter(s, "E2")
        meter_id, sp_id = meter.id, sp.id
        install(s, sp, meter, local(2026, 1, 1))
        records, _ = profile_records(OCT, NOV, START)
        store_intervals(s, meter, records)
        monthly_report(s, "3002", "2026-10", runtime.settings)
        old = next(r for r in records if r.end_at == at).values["1.8.0"]

    with db.transaction(runtime.sessions) as s:
        version = edits.edit_interval(
            s, meter_id, at, {"1.8.0": old + Decimal("0.100")}, user="op1", reason="probe read"
        )
        assert version == 2

    with db.transaction(runtime.sessions) as s:
        row = (
            s.execute(select(profile_intervals).where(profile_intervals.c.end_at == at))
            .mappings()
            .one()
        )
        assert (row["source"], row["version"], row["r1_8_0"]) == (
            "edited",
            2,
            int(old * 1000) + 100,
        )
        history = s.execute(select(ProfileIntervalHistory)).scalar_one()
        assert (history.superseded_by, history.reason, history.source) == (
            "op1", "probe read", DataSource.ACTUAL,
        )  # fmt: skip
        assert json.loads(history.values)["r1_8_0"] == int(old * 1000)
        entry = s.execute(
            select(AuditEntry).where(AuditEntry.action == "mdm.interval.edit")
        ).scalar_one()
        assert entry.actor == "op1" and "probe read" in (entry.detail or "")
        assert s.execute(select(BillingDeterminant.dirty)).scalar_one() is True
        quarters = interval_consumption(s, sp_id, at - Q, at + Q)
        assert [q.source for q in quarters] == ["edited", "edited"]
        assert [q.withdrawal_kwh for q in quarters] == [Decimal("10.500"), Decimal("4.500")]


def test_edit_needs_a_reason(runtime: Runtime) -> None:
    import pytest

    with db.transaction(runtime.sessions) as s:
        meter = add_meter(s, "E3")
        with pytest.raises(edits.EditRefused):
            edits.edit_interval(s, meter.id, OCT, {"1.8.0": Decimal(1)}, user="op", reason=" ")


def test_findings_resolved(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        meter = add_meter(s, "E4")
        records, _ = profile_records(OCT, OCT + 8 * Q, START, skip=lambda e: e == OCT + 3 * Q)
        store_intervals(s, meter, records)
        found = vee.validate_meter(s, meter.id, OCT, OCT + 8 * Q, limits=LIMITS)
        again = vee.validate_meter(s, meter.id, OCT, OCT + 8 * Q, limits=LIMITS)
        assert found == again and len(found) == 1
        [view] = vee.list_findings(s)
        vee.resolve_finding(s, view.id, user="op", resolution="modem replaced")
        assert vee.list_findings(s) == []
        [closed] = vee.list_findings(s, state="resolved")
        assert (closed.resolved_by, closed.resolution) == ("op", "modem replaced")


def test_storing_a_month_twice_at_once_keeps_one_row(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two panel requests store the same month: the second finds the row only on insert."""
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "3009")
        install(s, sp, add_meter(s, "E9"), local(2026, 1, 1))
        monthly_report(s, "3009", "2026-10", runtime.settings)
    real = determinants._row
    calls = {"n": 0}

    def not_yet_visible(session: object, sp_id: int, period: str) -> object:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(session, sp_id, period)  # type: ignore[arg-type]

    monkeypatch.setattr(determinants, "_row", not_yet_visible)
    with db.transaction(runtime.sessions) as s:
        report = monthly_report(s, "3009", "2026-10", runtime.settings)
    monkeypatch.setattr(determinants, "_row", real)
    with db.transaction(runtime.sessions) as s:
        rows = s.execute(select(BillingDeterminant)).scalars().all()
        assert len(rows) == 1 and rows[0].version == 2
        assert json.loads(rows[0].data or "{}") == report.to_json()

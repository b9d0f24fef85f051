"""``osos alerts preview --json``: the shape, nothing stored; operators' freshness alerts; the
clock's month edges; the head-end hook behind its setting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import func, select
from typer.testing import CliRunner

from osos.alerts.evaluate import preview
from osos.alerts.hook import AlertsHook
from osos.alerts.model import Kind, Level
from osos.alerts.send import periods_due, run
from osos.alerts.sms import LoggingSms
from osos.app.headend import after_tick_hooks
from osos.cli import app
from osos.domain import CommMode, UserKind
from osos.runtime import Runtime
from osos.settings import AlertSettings
from osos.store import db
from osos.store.models import MeterCommStatus
from osos.store.models.alerts import Alert, AlertSend
from osos.timeutil import QUARTER, FixedClock, floor_to, month_start_before, period_of
from tests.factories import local

from .world import build, point, run_profile, user

KEYS = {"service_point", "kind", "level", "period", "value", "limit", "excess_kvarh",
        "advice_kvar"}  # fmt: skip


def test_preview_prints_the_alerts_as_json_and_stores_nothing(runtime: Runtime) -> None:
    runtime.upgrade()
    with db.transaction(runtime.sessions) as session:
        build(session, local(2026, 10, 1), local(2026, 10, 3))
    args = ["alerts", "preview", "--period", "2026-10", "--as-of", "2026-10-03T00:00", "--json"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert all(set(r) >= KEYS for r in rows) and len(rows) == 3
    a1 = next(r for r in rows if r["kind"] == "reactive_inductive")
    assert (a1["service_point"], a1["level"], a1["value"], a1["limit"]) == (
        "A1", "exceeded", "23.80", "20"
    )  # fmt: skip
    assert Decimal(a1["excess_kvarh"]) == Decimal("55.2") and a1["advice_kvar"] == "5"
    assert set(a1["zones"]) == {"T1", "T2", "T3"} and a1["projected"] == "23.80"
    kinds = {r["kind"] for r in rows}
    assert kinds == {"reactive_inductive", "reactive_capacitive", "contract_power"}
    with db.transaction(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 0
    bad = CliRunner().invoke(app, ["alerts", "preview", "--period", "2026-13"])
    assert bad.exit_code == 2 and "--period" in bad.output


def test_an_unread_meter_alerts_the_operators_only(runtime: Runtime) -> None:
    runtime.upgrade()
    now = local(2026, 10, 3, 12)
    settings = dataclasses.replace(
        runtime.settings, alerts=AlertSettings(unread=dt.timedelta(hours=24))
    )
    with db.transaction(runtime.sessions) as session:
        sp, meter = point(session, "A1", local(2026, 9, 1))
        meter.comm_mode = CommMode.DIAL_OUT
        tried = local(2026, 10, 3, 11)
        session.add(MeterCommStatus(meter_id=meter.id, last_attempt_at=tried,
                                    last_success_at=local(2026, 10, 2, 6)))  # fmt: skip
        _fresh_sp, fresh = point(session, "B2", local(2026, 9, 1))
        fresh.comm_mode = CommMode.DIAL_OUT
        session.add(MeterCommStatus(meter_id=fresh.id, last_attempt_at=tried,
                                    last_success_at=local(2026, 10, 3, 6)))  # fmt: skip
        _new_sp, untried = point(session, "R3", local(2026, 9, 1))
        untried.comm_mode = CommMode.DIAL_OUT  # never tried by the head-end: not "unread"
        operator = user(session, "op@edas.example", UserKind.OPERATOR, [], "op@edas.example")
        customer = user(session, "A1", UserKind.ABONE, [sp], "a1@example.com")
        found = [f for f in preview(session, settings, "2026-10", now)]
        assert [(f.service_point, f.kind, f.level, f.value, f.limit) for f in found] == [
            ("A1", Kind.METER_UNREAD, Level.EXCEEDED, Decimal(30), Decimal(24))
        ]  # B2 was read six hours ago; R3 was never tried
        summary = run(session, settings, LoggingSms(), now)
        sent = {s.user_id for s in session.scalars(select(AlertSend))}
    assert summary.raised == 1 and sent == {operator.id} and customer.id not in sent


def test_the_month_so_far_at_the_clock_s_instants(
    runtime: Runtime, frozen_now: dt.datetime
) -> None:
    """A flat pattern (0.25 kWh, 0.06 kvarh a quarter, ×30): 24 % inductive whatever the day;
    the excess is 0.3 kvarh a quarter read. At a month's first instant nothing of it is read
    yet, and the month before is looked at again."""
    runtime.upgrade()
    first = month_start_before(frozen_now)
    previous = month_start_before(frozen_now, 1)
    cut = floor_to(frozen_now, QUARTER)
    flat = {"1.8.0": Decimal("0.25"), "1.8.1": Decimal(0), "1.8.2": Decimal(0),
            "1.8.3": Decimal(0), "5.8.0": Decimal("0.060"), "8.8.0": Decimal(0)}  # fmt: skip
    with db.transaction(runtime.sessions) as session:
        _sp, meter = point(session, "A1", previous)
        run_profile(session, meter, previous, cut, flat)
        found = preview(session, runtime.settings, period_of(frozen_now), frozen_now)
        before = preview(session, runtime.settings, period_of(previous), frozen_now)
    quarters = (cut - first) // QUARTER
    inductive = [f for f in found if f.kind == Kind.REACTIVE_INDUCTIVE]
    if quarters == 0:
        assert inductive == []
    else:
        [a1] = inductive
        assert a1.value == Decimal("24.00") and a1.excess_kvarh == Decimal("0.3") * quarters
    [whole] = [f for f in before if f.kind == Kind.REACTIVE_INDUCTIVE]
    assert whole.excess_kvarh == Decimal("0.3") * ((first - previous) // QUARTER)
    assert periods_due(frozen_now)[-1] == period_of(frozen_now)
    assert (period_of(previous) in periods_due(frozen_now)) == (
        frozen_now - first < 3 * QUARTER * 96
    )
    with db.transaction(runtime.sessions) as session:
        summary = run(session, runtime.settings, LoggingSms(), frozen_now)
    assert summary.raised == len(periods_due(frozen_now)) - (quarters == 0)


def test_the_head_end_runs_the_alerts_only_when_set(runtime: Runtime) -> None:
    runtime.upgrade()
    assert not any(isinstance(h, AlertsHook) for h in after_tick_hooks(runtime))
    every = dt.timedelta(hours=1)
    settings = dataclasses.replace(runtime.settings, alerts=AlertSettings(headend_every=every))
    timed = Runtime(settings, clock=FixedClock(local(2026, 10, 3)))
    try:
        [hook] = [h for h in after_tick_hooks(timed) if isinstance(h, AlertsHook)]
        now = local(2026, 10, 3)
        assert hook(timed, now) is not None
        assert hook(timed, now + dt.timedelta(minutes=30)) is None  # not again within the hour
        assert hook(timed, now + every) is not None
    finally:
        timed.close()

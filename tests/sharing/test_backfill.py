"""A first start, as ``osos demo``'s: the head-end's first tick comes while it is still
reading weeks of history. Nothing is late then and no alert goes out; once every meter has
had its first complete read, the genuinely missing hour is overdue and the alerts appear."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from osos.alerts.hook import AlertsHook
from osos.alerts.model import Kind
from osos.alerts.send import run
from osos.alerts.sms import LoggingSms
from osos.domain import CommMode, Generation, UserKind
from osos.headend.backfill import FIRST_READ_GRACE, backfill_state
from osos.headend.commlog import FAILED, OK, PARTIAL, finish_attempt, start_attempt
from osos.headend.jobs import add_job
from osos.runtime import Runtime
from osos.settings import SharingConfig
from osos.sharing.board import delivery_board
from osos.sharing.deliveries import decide_due
from osos.store import db
from osos.store.models import Meter, ServicePoint
from osos.store.models.alerts import Alert, AlertSend
from osos.store.models.sharing import DeliveryAlert
from osos.timeutil import QUARTER, FixedClock
from tests import factories as f
from tests.alerts.world import user

START = f.local(2026, 10, 1)  # go-live: the start of the back-fill
NOW = f.local(2026, 10, 3, 12)  # the first tick
GAP = (NOW - dt.timedelta(hours=6), NOW - dt.timedelta(hours=5))  # never read, for real
CONFIG = SharingConfig(obligations_from=START, estimate_before=None, lookback=dt.timedelta(days=3))
INITIAL = {o: Decimal("1000.000") for o in ("1.8.0", "2.8.0", "5.8.0", "8.8.0")}


def _world(rt: Runtime) -> dict[str, int]:
    """A balancing unit and a customer over its 50 kW contract, both read by dial-out, and
    their users; the head-end's first tick has planned a read of each."""
    with db.transaction(rt.sessions) as s:
        bu = f.service_point(s, "BU1", etso_code="40Z000000000001A", balancing_unit=True,
                             generation=Generation.LICENSED)  # fmt: skip
        a1 = f.service_point(s, "A1", installed_power_kva=Decimal(100),
                             contract_power_kw=Decimal(50), ct=Decimal(30))  # fmt: skip
        meters = {"BU1": f.meter_id(s, bu), "A1": f.meter_id(s, a1)}
        user(s, "A1", UserKind.ABONE, [a1], "a1@example.com")
        user(s, "operator", UserKind.OPERATOR, [], "ops@example.com")
        for meter in meters.values():
            add_job(s, meter, "profile", NOW, profile_from=START)
    return meters


def _store(rt: Runtime, meter: int, start: dt.datetime, end: dt.datetime) -> None:
    """Profile rows in [start, end] as a read stores them, the rows of GAP left out."""
    records, _last = f.profile_records(start, end, INITIAL, skip=lambda e: GAP[0] < e < GAP[1])
    with db.transaction(rt.sessions) as s:
        f.store_intervals(s, s.get_one(Meter, meter), records)


def _attempt(rt: Runtime, meter: int, at: dt.datetime, outcome: str) -> None:
    with db.transaction(rt.sessions) as s:
        log_id = start_attempt(s, meter_id=meter, started_at=at, direction=CommMode.DIAL_OUT,
                               purpose="profile", peer="127.0.0.1:1")  # fmt: skip
        finish_attempt(s, log_id, ended_at=at + dt.timedelta(minutes=2), outcome=outcome,
                       error=None if outcome == OK else "cut off", bytes_sent=1,
                       bytes_received=1, transcript=None)  # fmt: skip


def _alerts(rt: Runtime, at: dt.datetime) -> tuple[int, int, int]:
    with db.transaction(rt.sessions) as s:
        summary = run(s, rt.settings, LoggingSms(), at)
    return summary.raised, summary.emails, summary.held


def _count(rt: Runtime, model: type) -> int:
    with rt.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_first_start_reports_nothing_late_and_sends_no_alert_until_its_back_fill_is_done(
    runtime: Runtime,
) -> None:
    runtime.upgrade()
    rt = Runtime(runtime.settings, clock=FixedClock(NOW))
    meters = _world(rt)
    # the first tick: BU1's session has brought its first day, A1's is still running
    _store(rt, meters["BU1"], START, START + dt.timedelta(days=1))
    _attempt(rt, meters["BU1"], NOW - dt.timedelta(minutes=3), PARTIAL)
    _store(rt, meters["A1"], START, START + dt.timedelta(hours=20))

    with rt.sessions() as s:
        state = backfill_state(s, NOW)
        assert state.service_points == {"BU1", "A1"} and not state.complete
    summary = decide_due(rt, NOW, config=CONFIG)
    assert summary.alerts == [] and summary.held == summary.waiting > 30  # 24 h were ready
    assert _count(rt, DeliveryAlert) == 0
    with rt.sessions() as s:
        board = delivery_board(s, NOW, config=CONFIG)
    unread = {r.state for r in board if r.period_end > START + dt.timedelta(days=1)}
    assert unread == {"backfill"}  # not "late": the history is being read
    raised, emails, held = _alerts(rt, NOW)
    assert (raised, emails) == (0, 0) and held >= 1  # A1's contract power is held back
    assert _count(rt, Alert) == _count(rt, AlertSend) == 0
    hook = AlertsHook(dt.timedelta(hours=1))
    first = hook(rt, NOW)
    assert first is not None and first.raised == 0 and hook(rt, NOW + QUARTER) is None

    # the back-fill completes: every meter read to the present, one hour never read
    later = NOW + dt.timedelta(minutes=20)
    for meter in meters.values():
        _store(rt, meter, START, later)
        _attempt(rt, meter, later - dt.timedelta(minutes=2), OK)
    with rt.sessions() as s:
        assert backfill_state(s, later).complete
    after = decide_due(rt, later, config=CONFIG)
    assert after.held == 0
    assert [a.split(":")[0] for a in after.alerts] == ["overdue"]  # GAP's hour, nothing else
    ran = hook(rt, later)  # at once, not an hour later: the back-fill it waited for is done
    assert ran is not None and ran.held == 0 and ran.emails == 2
    with rt.sessions() as s:
        rows = s.execute(
            select(Alert.kind, ServicePoint.no).join(
                ServicePoint, ServicePoint.id == Alert.service_point_id
            )
        ).all()
    kinds = {(kind, no) for kind, no in rows}
    assert kinds == {(Kind.CONTRACT_POWER, "A1"), (Kind.DELIVERY_AT_RISK, "BU1")}


def test_a_meter_that_never_answers_is_not_back_filling_after_the_grace(
    runtime: Runtime,
) -> None:
    runtime.upgrade()
    meters = _world(runtime)
    with runtime.sessions() as s:
        assert backfill_state(s, NOW).meter_ids == set(meters.values())  # planned, untried
    _attempt(runtime, meters["BU1"], NOW, FAILED)
    _attempt(runtime, meters["A1"], NOW, OK)
    with runtime.sessions() as s:
        assert backfill_state(s, NOW + FIRST_READ_GRACE - QUARTER).meter_ids == {meters["BU1"]}
        assert backfill_state(s, NOW + FIRST_READ_GRACE).complete
    # a meter nobody plans or tries (no head-end running) is never "back-filling"
    with db.transaction(runtime.sessions) as s:
        f.service_point(s, "C1")
    with runtime.sessions() as s:
        state = backfill_state(s, NOW + FIRST_READ_GRACE + QUARTER)
        assert state.complete and "C1" not in state.service_points

"""Deliveries from interval data stored as the head-end stores it (store_profile) and read
through the MDM's interval_consumption: a simulated day, a silent modem, a late actual read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.domain import DataSource, Generation
from osos.readings import IntervalRecord
from osos.runtime import Runtime
from osos.settings import SharingConfig
from osos.sharing.board import delivery_board
from osos.sharing.deliveries import run_due
from osos.sharing.transport import HttpPost
from osos.store import db
from osos.store.intervals import store_profile
from osos.store.models.sharing import Delivery, DeliveryAlert, DeliveryCorrection
from osos.timeutil import FixedClock, parse_local
from tests import factories as f
from tests.sharing.conftest import Receiver

CONFIG = SharingConfig(lookback=dt.timedelta(minutes=15), http_backoff_s=0)
STEP = dt.timedelta(minutes=15)
DAY = parse_local("2026-10-05T00:00")


def _index(at: dt.datetime, per_quarter: Decimal) -> Decimal:
    quarters = int((at - parse_local("2026-09-01")) / STEP)
    return Decimal("1000") + per_quarter * quarters


def _store(
    runtime: Runtime,
    meters: dict[str, int],
    times: list[dt.datetime],
    source: DataSource = DataSource.ACTUAL,
    bump: Decimal = Decimal(0),
) -> None:
    """Store interval rows as the head-end does after a read."""
    with db.transaction(runtime.sessions) as s:
        for name, meter in meters.items():
            records = [
                IntervalRecord(
                    t,
                    {
                        "1.8.0": _index(t, Decimal("0.100")) + bump,
                        "2.8.0": _index(t, Decimal("2.000")),
                    },
                )
                if name != "cons"
                else IntervalRecord(t, {"1.8.0": _index(t, Decimal("0.250"))})
                for t in times
            ]
            store_profile(s, meter_id=meter, records=records, readout_id=None, source=source)


def _registry(runtime: Runtime) -> dict[str, int]:
    with db.transaction(runtime.sessions) as s:
        bu = f.service_point(
            s,
            "BU1",
            etso_code="40Z000000000001A",
            balancing_unit=True,
            generation=Generation.LICENSED,
            ct=Decimal(10),
        )
        gen = f.service_point(
            s, "GEN1", etso_code="40Z000000000002B", generation=Generation.UNLICENSED
        )
        cons = f.service_point(s, "CONS1", etso_code="40Z000000000003C")
        return {"bu": f.meter_id(s, bu), "gen": f.meter_id(s, gen), "cons": f.meter_id(s, cons)}


def _grid(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    return [start + STEP * k for k in range(int((end - start) / STEP) + 1)]


def test_a_read_day_is_delivered_on_time(runtime: Runtime, receiver: Receiver) -> None:
    meters = _registry(runtime)
    _store(
        runtime,
        {"cons": meters["cons"]},
        _grid(parse_local("2026-09-01"), parse_local("2026-10-01")),
    )
    _store(runtime, {"bu": meters["bu"], "gen": meters["gen"]}, [DAY])
    transport = HttpPost(receiver.url, backoff_s=0)
    clock = FixedClock(DAY + STEP)
    while clock.now() <= parse_local("2026-10-06T03:00"):
        _store(runtime, {"bu": meters["bu"], "gen": meters["gen"]}, [clock.now()])  # read
        run_due(runtime, clock.now(), transport=transport, config=CONFIG)
        clock.advance(STEP)
    with db.transaction(runtime.sessions) as s:
        deliveries = s.query(Delivery).order_by(Delivery.id).all()
        assert [d.rule for d in deliveries].count(1) == 27  # 24 hours + 3 of the next day
        assert [d.rule for d in deliveries].count(2) == 1
        assert [d.rule for d in deliveries].count(3) == 1
        assert all(
            d.status == "sent" and d.sent_at is not None and d.sent_at <= d.due_at
            for d in deliveries
        )
        assert not any(d.estimated for d in deliveries)
    hour = next(r for r in receiver.received if r["rule"] == 1)
    assert hour["meters"][0]["datas"][0] == {
        "day": "2026-10-05",
        "period": 1,
        "supply": "20.000",
        "withdrawal": "1.000",
        "estimated": False,
    }
    day = next(r for r in receiver.received if r["rule"] == 2)["meters"][0]
    assert len(day["datas"]) == 96 and day["datas"][95]["supply"] == "2.000"
    month = next(r for r in receiver.received if r["rule"] == 3)["meters"][0]
    assert month["period"] == "2026-09-01" and len(month["datas"]) == 720
    assert month["datas"][0] == {
        "period": 1,
        "supply": "0.000",
        "withdrawal": "1.000",
        "estimated": False,
    }


def test_silent_modem_then_late_delivery(runtime: Runtime, receiver: Receiver) -> None:
    meters = _registry(runtime)
    bu = {"bu": meters["bu"]}
    _store(runtime, bu, _grid(parse_local("2026-10-05T09:00"), parse_local("2026-10-05T10:15")))
    transport = HttpPost(receiver.url, backoff_s=0)
    clock = FixedClock(parse_local("2026-10-05T10:15"))
    while clock.now() <= parse_local("2026-10-05T13:15"):  # the modem does not answer
        run_due(runtime, clock.now(), transport=transport, config=CONFIG)
        clock.advance(STEP)
    ten = parse_local("2026-10-05T10:00")
    with db.transaction(runtime.sessions) as s:
        late = s.query(Delivery).filter_by(rule=1, period_start=ten).one()
        assert late.status == "pending"
        alerts = {
            a.kind: a.raised_at for a in s.query(DeliveryAlert).filter_by(delivery_id=late.id)
        }
        assert alerts == {
            "at_risk": parse_local("2026-10-05T12:30"),
            "overdue": parse_local("2026-10-05T13:15"),
        }
        assert delivery_board(s, parse_local("2026-10-05T13:15"))[0].delivery_id == late.id
    _store(runtime, bu, _grid(parse_local("2026-10-05T10:30"), parse_local("2026-10-05T14:00")))
    run_due(runtime, parse_local("2026-10-05T14:00"), transport=transport, config=CONFIG)
    with db.transaction(runtime.sessions) as s:
        late = s.query(Delivery).filter_by(rule=1, period_start=ten).one()
        assert late.status == "sent" and late.sent_at is not None
        assert late.sent_at - late.due_at == dt.timedelta(hours=1)


def test_late_actual_read_creates_a_correction(runtime: Runtime, receiver: Receiver) -> None:
    meters = _registry(runtime)
    bu = {"bu": meters["bu"]}
    nine = parse_local("2026-10-05T09:00")
    half = parse_local("2026-10-05T09:30")
    _store(runtime, bu, [t for t in _grid(nine, nine + 4 * STEP) if t != half])
    _store(runtime, bu, [half], source=DataSource.ESTIMATED, bump=Decimal("-0.050"))
    transport = HttpPost(receiver.url, backoff_s=0)
    run_due(runtime, parse_local("2026-10-05T10:00"), transport=transport, config=CONFIG)
    sent = next(r for r in receiver.received if r["rule"] == 1)["meters"][0]["datas"]
    assert [d["estimated"] for d in sent] == [False, True, True, False]
    assert [d["withdrawal"] for d in sent] == ["1.000", "0.500", "1.500", "1.000"]
    _store(runtime, bu, [half])  # the actual read replaces the estimate
    run_due(runtime, parse_local("2026-10-05T10:15"), transport=transport, config=CONFIG)
    correction = next(r for r in receiver.received if "correction_of" in r)
    assert [d["withdrawal"] for d in correction["meters"][0]["datas"]] == ["1.000"] * 4
    with db.transaction(runtime.sessions) as s:
        (row,) = s.query(DeliveryCorrection).all()
        assert row.status == "pending"
        delivery = s.get(Delivery, row.delivery_id)
        assert delivery is not None and delivery.estimated
        assert row.content_sha256 != delivery.content_sha256


def test_a_deadline_is_met_with_flagged_estimates_then_corrected(
    runtime: Runtime, receiver: Receiver
) -> None:
    """The balancing unit's modem fell silent at 10:30: half an hour before the 13:00 deadline
    of the 10:00 hour its last two quarters are estimated from its own earlier weeks, the
    delivery goes out on time flagged as estimated, and the actual read queues a correction."""
    meters = _registry(runtime)
    bu = {"bu": meters["bu"]}
    hour = parse_local("2026-10-05T10:00")
    _store(runtime, bu, _grid(hour - dt.timedelta(weeks=3), hour + 2 * STEP))  # to 10:30
    config = SharingConfig(lookback=dt.timedelta(hours=3), http_backoff_s=0, obligations_from=hour)
    transport = HttpPost(receiver.url, backoff_s=0)
    early = run_due(runtime, parse_local("2026-10-05T12:00"), transport=transport, config=config)
    assert early.sent == 0 and early.waiting >= 1  # an hour before the deadline: wait for data
    summary = run_due(runtime, parse_local("2026-10-05T12:31"), transport=transport, config=config)
    with db.transaction(runtime.sessions) as s:
        delivery = s.query(Delivery).filter(Delivery.rule == 1, Delivery.period_start == hour).one()
        assert (
            delivery.status == "sent" and delivery.estimated and delivery.sent_at <= delivery.due_at
        )
    assert summary.sent >= 1
    sent = [
        p for p in receiver.received if p["rule"] == 1 and p["meters"][0]["datas"][0]["day"]
        == "2026-10-05" and p["meters"][0]["datas"][0]["period"] == 41  # 10:00 local
    ]  # fmt: skip
    assert [d["estimated"] for d in sent[0]["meters"][0]["datas"]] == [False, False, True, True]
    # the actual read arrives: the estimates are replaced and a correction goes out
    _store(runtime, bu, [hour + 3 * STEP, hour + 4 * STEP], bump=Decimal("0.050"))
    later = run_due(runtime, parse_local("2026-10-05T14:00"), transport=transport, config=config)
    assert later.corrections_queued >= 1 and later.corrections_sent >= 1
    with db.transaction(runtime.sessions) as s:
        correction = s.query(DeliveryCorrection).filter_by(delivery_id=delivery.id).one()
        assert correction.status == "pending"

"""The functions the panel and sharing call: month-end indexes, interval consumption, history."""

from __future__ import annotations

from decimal import Decimal

from osos.mdm import reactive
from osos.mdm.service import interval_consumption, month_end_indexes, monthly_history
from osos.runtime import Runtime
from osos.settings import ReactiveLimits
from osos.store import db
from tests.factories import (
    START_INDEXES,
    Q,
    add_meter,
    add_readout,
    add_service_point,
    install,
    local,
    profile_records,
    store_intervals,
)

START = START_INDEXES


def test_month_end_indexes_and_latest_read(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "4001")
        m = add_meter(s, "P1")
        sp_id = sp.id
        install(s, sp, m, local(2026, 1, 1))
        # 1 Sep 00:00 … 3 Nov 12:00: 30 + 31 days + 2.5 days of the pattern
        records, _ = profile_records(local(2026, 9, 1), local(2026, 11, 3, 12), START)
        store_intervals(s, m, records)
        add_readout(s, m, local(2026, 11, 1, 0, 5), {"1.8.0*1": "2476.300"})
    with db.transaction(runtime.sessions) as s:
        entries = month_end_indexes(s, sp_id, 3, now=local(2026, 11, 5, 9))
    assert [(e.kind, e.label) for e in entries] == [
        ("month_end", "2026-08-31T23:59:59"),
        ("month_end", "2026-09-30T23:59:59"),
        ("month_end", "2026-10-31T23:59:59"),
        ("latest", "2026-11-03T12:00:00"),
    ]
    first, sep, octo, latest = entries
    assert first.indexes["1.8.0"] == Decimal("1000.000") and first.consumption["1.8.0"] is None
    assert sep.indexes["1.8.0"] == Decimal("1726.000")  # + 30 × 24.2
    assert sep.consumption["1.8.0"] == Decimal("21780.000")  # 726 × 30
    # the meter's frozen register wins over the profile at the month-end
    assert octo.indexes["1.8.0"] == Decimal("2476.300") and octo.origins["1.8.0"] == "frozen"
    assert octo.consumption["1.8.0"] == Decimal("22509.000")  # (2476.3 − 1726.0) × 30
    assert octo.period == "2026-10" and not octo.is_estimate and not octo.meter_changed
    assert latest.origins["1.8.0"] == "profile" and latest.meter_serial == "P1"
    # the profile's 2476.2 at 1 Nov + 2 days × 24.2 + 00:00–12:00 (6 h T3 × 0.4 + 6 h T1 × 1.0)
    assert latest.indexes["1.8.0"] == Decimal("2533.000")


def test_interval_consumption_across_a_meter_change(runtime: Runtime) -> None:
    change = local(2026, 10, 16)
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "4002")
        old, new = add_meter(s, "P2"), add_meter(s, "P3")
        sp_id = sp.id
        install(s, sp, old, local(2026, 1, 1), change, ct="30")
        install(s, sp, new, change, ct="10", install_index={"1.8.0": "0.000"})
        records, _ = profile_records(local(2026, 10, 15, 23), change, START)
        store_intervals(s, old, records)
        zero = dict.fromkeys(START, Decimal(0))
        records, _ = profile_records(change, local(2026, 10, 16, 1), zero)
        store_intervals(s, new, [r for r in records if r.end_at != change + 2 * Q])
    with db.transaction(runtime.sessions) as s:
        quarters = interval_consumption(s, sp_id, change - 2 * Q, change + 3 * Q)
        hours = interval_consumption(
            s, sp_id, local(2026, 10, 15, 23), local(2026, 10, 16, 1), minutes=60
        )
    assert [(q.meter_serial, q.withdrawal_kwh, q.source) for q in quarters] == [
        ("P2", Decimal("3.000"), "actual"),  # 0.100 × 30 (T3)
        ("P2", Decimal("3.000"), "actual"),
        ("P3", Decimal("1.000"), "actual"),  # from its installation index, × 10
        ("P3", None, "missing"),  # no row at 00:30: both intervals touching it are unknown
        ("P3", None, "missing"),
    ]
    assert quarters[0].indexes["1.8.0"] == Decimal("1000.300")  # raw, at 23:45
    assert [(h.meter_serial, h.withdrawal_kwh, h.source) for h in hours] == [
        ("P2", Decimal("12.000"), "actual"),
        ("P3", None, "missing"),
    ]


def test_reactive_boundaries() -> None:
    limits = ReactiveLimits()
    at_limit = reactive.assess(Decimal(100), Decimal(20), Decimal(15), Decimal(50), limits)
    assert (at_limit.inductive_exceeded, at_limit.capacitive_exceeded) == (False, False)
    above = reactive.assess(Decimal(100), Decimal("20.005"), Decimal("15.01"), Decimal(50), limits)
    assert above.inductive_ratio == Decimal("20.01") and above.inductive_exceeded
    assert above.capacitive_exceeded
    small = reactive.assess(Decimal(100), Decimal("33"), Decimal("20.004"), Decimal("49.9"), limits)
    assert (small.inductive_limit, small.capacitive_limit) == (Decimal(33), Decimal(20))
    assert (small.inductive_exceeded, small.capacitive_exceeded) == (False, False)
    exempt = reactive.assess(Decimal(100), Decimal(90), Decimal(90), None, limits, exempt=True)
    assert exempt.inductive_limit is None and not exempt.inductive_exceeded
    nothing = reactive.assess(Decimal(0), Decimal(1), Decimal(0), Decimal(100), limits)
    assert nothing.inductive_ratio is None and nothing.inductive_exceeded
    assert not nothing.capacitive_exceeded


def test_monthly_history(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "4003")
        m = add_meter(s, "P4")
        sp_id = sp.id
        install(s, sp, m, local(2026, 1, 1))
        records, _ = profile_records(local(2026, 9, 1), local(2026, 11, 1), START)
        store_intervals(s, m, records)
    with db.transaction(runtime.sessions) as s:
        history = monthly_history(s, sp_id, 2, runtime.settings, now=local(2026, 11, 20))
    assert [(h.period, h.reactive.inductive_ratio) for h in history] == [
        ("2026-09", Decimal("11.90")),
        ("2026-10", Decimal("11.90")),
    ]
    assert history[0].max_demand["1.6.0"] is not None

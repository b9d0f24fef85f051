"""Properties of the pure computations over generated months (hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from osos.mdm.billing import MonthInput, compute_month
from osos.mdm.estimate import distribute
from osos.mdm.intervals import aggregate, quarter_intervals, withdrawal_total
from osos.mdm.model import INTERVAL, InstallationSpan, ProfileSeries
from osos.readmodel.intervals import totals
from osos.settings import ReactiveLimits
from osos.timeutil import month_bounds

from .pure import meter, series

MONTHS = st.sampled_from(["2026-02", "2026-06", "2026-10", "2026-12"])
REGS = ("1.8.0", "2.8.0", "5.8.0", "8.8.0")
MULTIPLIERS = st.sampled_from([Decimal(1), Decimal(30), Decimal("7.5"), Decimal(120)])


@st.composite
def months(draw: st.DrawFn) -> MonthInput:
    """A month with 0–2 changes (meter or multiplier), random consumption per interval."""
    period = draw(MONTHS)
    start, end = month_bounds(period)
    quarters = (end - start) // INTERVAL
    cuts = sorted(draw(st.sets(st.integers(1, quarters - 1), max_size=2)))
    edges = [start, *(start + c * INTERVAL for c in cuts), end]
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    spans, meters = [], {}
    meter_id = 0
    for k in range(len(edges) - 1):
        new_meter = k == 0 or draw(st.booleans())
        if new_meter:
            meter_id += 1
            initial = {o: rng.randrange(0, 10**9) for o in REGS}
            profile = series(
                edges[k], edges[-1], initial,
                lambda _t: {o: rng.randrange(0, 5000) for o in REGS},
            )  # fmt: skip
            meters[meter_id] = meter(meter_id, f"M{meter_id}", profile)
        spans.append(
            InstallationSpan(meter_id, f"M{meter_id}", edges[k],
                             edges[k + 1] if k + 2 < len(edges) else None, draw(MULTIPLIERS))
        )  # fmt: skip
    return MonthInput("SP", period, start, end, tuple(spans), meters, Decimal(100))


@settings(max_examples=25, deadline=None)
@given(months())
def test_consumption_is_the_sum_of_segment_differences(month: MonthInput) -> None:
    report = compute_month(month, ReactiveLimits())
    expected = Decimal(0)
    for seg in report.segments:
        column = month.meters[seg.span.meter_id].profile
        first, last = column.value("1.8.0", seg.start), column.value("1.8.0", seg.end)
        assert first is not None and last is not None
        expected += Decimal(last[0] - first[0]).scaleb(-3) * seg.multiplier
    assert report.consumption["1.8.0"] == expected
    # the tariff zones split the same energy exactly
    parts = [report.consumption[o] for o in ("1.8.1", "1.8.2", "1.8.3")]
    assert sum(p for p in parts if p is not None) == expected
    assert report.estimated is False

    quarters = quarter_intervals(month.spans, month.meters, month.start, month.end)
    assert len(quarters) == (month.end - month.start) // INTERVAL
    assert sum(q.withdrawal_kwh for q in quarters if q.withdrawal_kwh is not None) == expected
    assert all(q.source == "actual" for q in quarters)
    hours = aggregate(quarters, 4)
    assert sum(h.withdrawal_kwh for h in hours if h.withdrawal_kwh is not None) == expected


@given(st.integers(-(10**12), 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=50))
def test_distribute_keeps_the_total(total: int, weights: list[int]) -> None:
    shares = distribute(total, weights)
    assert sum(shares) == total and len(shares) == len(weights)
    if total >= 0:
        assert all(s >= 0 for s in shares)


def test_interval_with_a_gap_is_missing_and_hour_too() -> None:
    start, _ = month_bounds("2026-10")
    end = start + 8 * INTERVAL
    gap = start + 2 * INTERVAL
    profile = series(start, end, {"1.8.0": 0}, lambda _t: {"1.8.0": 250}, skip=lambda e: e == gap)
    spans = (InstallationSpan(1, "M1", start - dt.timedelta(days=1), None, Decimal(2)),)
    quarters = quarter_intervals(spans, {1: meter(1, "M1", profile)}, start, end)
    assert [q.source for q in quarters] == ["actual", "missing", "missing"] + ["actual"] * 5
    assert quarters[0].withdrawal_kwh == Decimal("0.500") and quarters[1].withdrawal_kwh is None
    hours = aggregate(quarters, 4)
    assert [h.source for h in hours] == ["missing", "actual"]
    assert hours[1].withdrawal_kwh == Decimal("2.000")


def _holed(profile: ProfileSeries, rng: random.Random, hole: dt.datetime) -> ProfileSeries:
    """The profile with the row ending at ``hole`` and about one in twenty others missing, and
    some values None."""
    keep = [k for k in range(len(profile)) if rng.random() > 0.05 and profile.ends[k] != hole]
    columns = {
        o: tuple(None if rng.random() < 0.02 else c[k] for k in keep)
        for o, c in profile.columns.items()
    }
    ends = tuple(profile.ends[k] for k in keep)
    return ProfileSeries(ends, columns, tuple(profile.sources[k] for k in keep))


@settings(max_examples=25, deadline=None)
@given(months(), st.integers(0, 2**32), st.sampled_from([0, 5, 15]))
def test_withdrawal_total_is_the_total_of_the_quarters(
    month: MonthInput, seed: int, offset_minutes: int
) -> None:
    """The comparison's quick sum agrees with the intervals it replaces, gaps and meter changes
    (with an installation index) included, from a start off the quarter grid too."""
    rng = random.Random(seed)
    start = month.start + dt.timedelta(days=rng.randrange(0, 20), minutes=offset_minutes)
    end = start + dt.timedelta(days=rng.randrange(1, 8))
    hole = month.start + dt.timedelta(days=(start - month.start).days) + 3 * INTERVAL
    meters = {
        m: dataclasses.replace(d, profile=_holed(d.profile, rng, hole))
        for m, d in month.meters.items()
    }
    spans = [
        dataclasses.replace(s, install_index={"1.8.0": rng.randrange(0, 10**6)}) if k else s
        for k, s in enumerate(month.spans)
    ]
    quarters = quarter_intervals(spans, meters, start, end)
    total, count = withdrawal_total(spans, meters, start, end)
    assert total == totals(quarters).withdrawal_kwh
    assert count == sum(1 for q in quarters if q.withdrawal_kwh is not None)
    assert count < len(quarters)  # the hole is there (off the grid: no quarter has rows)

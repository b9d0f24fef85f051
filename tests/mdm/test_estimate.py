"""Estimates: exact shares, shaped by the meter's own past weeks when it has them."""

from __future__ import annotations

import datetime as dt
import itertools

from osos.mdm.estimate import distribute, estimate_gaps, extrapolate, interval_deltas
from osos.mdm.model import INTERVAL
from osos.timeutil import month_bounds

from .pure import series

START, _ = month_bounds("2026-10")
WEEK = dt.timedelta(days=7)


def test_distribute_by_weight() -> None:
    assert distribute(10, [1, 1, 1]) == [3, 3, 4]
    assert distribute(1000, [0, 3, 1]) == [0, 750, 250]
    assert distribute(7, [0, 0]) == [3, 4]


def test_gap_shaped_by_past_weeks_and_exact() -> None:
    """Two weeks of a meter that uses 4× more in the second half of every hour; a two-hour gap
    in the third week is shared the same way, and the shares add up to the index difference."""

    def step(t: dt.datetime) -> dict[str, int]:
        return {"1.8.0": 400 if t.minute >= 30 else 100}

    gap_from, gap_to = (
        START + 2 * WEEK + dt.timedelta(hours=10),
        START + 2 * WEEK + dt.timedelta(hours=12),
    )
    profile = series(
        START, START + 2 * WEEK + dt.timedelta(days=1), {"1.8.0": 0}, step,
        skip=lambda e: gap_from < e < gap_to,
    )  # fmt: skip
    rows = estimate_gaps(profile, ["1.8.0"], START, START + 3 * WEEK, history=profile)
    assert [r.end for r in rows] == [gap_from + k * INTERVAL for k in range(1, 8)]
    before = profile.value("1.8.0", gap_from)
    assert before is not None
    values = [before[0]] + [r.values["1.8.0"] for r in rows]
    deltas = [b - a for a, b in itertools.pairwise(values)]
    assert deltas == [100, 100, 400, 400, 100, 100, 400]  # the shape of the past weeks
    after = profile.value("1.8.0", gap_to)
    assert after is not None and after[0] - values[-1] == 400


def test_linear_without_history_and_flagged() -> None:
    profile = series(START, START + 8 * INTERVAL, {"1.8.0": 0}, lambda _t: {"1.8.0": 250},
                     skip=lambda e: START < e < START + 8 * INTERVAL)  # fmt: skip
    deltas = interval_deltas(profile, "1.8.0", START, START + 8 * INTERVAL, 0, 2000)
    assert deltas is not None and deltas.estimated
    assert list(deltas.values) == [250] * 8
    complete = series(START, START + 8 * INTERVAL, {"1.8.0": 0}, lambda _t: {"1.8.0": 250})
    exact = interval_deltas(complete, "1.8.0", START, START + 8 * INTERVAL, 0, 2000)
    assert exact is not None and not exact.estimated and list(exact.values) == [250] * 8


def test_no_estimate_past_the_last_actual_value() -> None:
    profile = series(START, START + 4 * INTERVAL, {"1.8.0": 0}, lambda _t: {"1.8.0": 250})
    assert estimate_gaps(profile, ["1.8.0"], START, START + WEEK) == []


def test_the_unread_tail_follows_the_points_own_weeks_else_similar_points() -> None:
    """After the last read, each interval is the mean of the same weekday and time of the
    earlier weeks; where the point has no such history, what similar points consumed."""
    start = dt.datetime(2026, 9, 7, tzinfo=dt.UTC)
    last = start + 3 * WEEK

    def step(end: dt.datetime) -> dict[str, int]:
        return {"1.8.0": 100 + 10 * (end.hour % 4)}  # a shape that repeats every week

    history = series(start, last, {"1.8.0": 0}, step)
    last_value = history.columns["1.8.0"][-1]
    assert last_value is not None
    ends = [last + INTERVAL * k for k in (1, 2, 3)]
    values = extrapolate(history, "1.8.0", last_value, ends)
    assert values is not None
    expected = [step(e)["1.8.0"] for e in ends]
    assert [b - a for a, b in zip([last_value, *values], values, strict=False)] == expected
    young = series(last - INTERVAL, last, {"1.8.0": 0}, step)  # no earlier weeks at all
    assert extrapolate(young, "1.8.0", 5, ends) is None  # no guess without a basis
    similar = {e: 7 for e in ends}
    assert extrapolate(young, "1.8.0", 5, ends, similar) == [12, 19, 26]

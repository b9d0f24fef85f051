"""The validation checks on in-memory meters: every finding gathered, with its code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.mdm.model import INTERVAL, RegisterRead
from osos.mdm.validate import Code, ReadClock, validate
from osos.settings import ValidationLimits
from osos.timeutil import month_bounds

from .pure import meter, series

START, _ = month_bounds("2026-10")
WEEK = dt.timedelta(days=7)


def test_every_problem_is_found_at_once() -> None:
    """One meter with a gap, a backwards index, a spike, a power failure, a clock set, a stuck
    register, a prolonged estimate, a drifting clock and readouts that do not add up."""
    begin = START - WEEK  # one week of history before the checked range
    end = START + 9 * dt.timedelta(days=1)
    gap = START + 10 * INTERVAL
    back = START + 20 * INTERVAL
    spike = START + 30 * INTERVAL
    stuck_from, stuck_to = START + dt.timedelta(days=1), START + dt.timedelta(days=4, hours=1)
    est_from, est_to = START + dt.timedelta(days=4, hours=2), START + dt.timedelta(days=7, hours=6)

    def step(t: dt.datetime) -> dict[str, int]:
        e = t + INTERVAL
        if e == back:
            return {"1.8.0": -5}
        if e == spike:
            return {"1.8.0": 40_000}
        if stuck_from < e <= stuck_to:
            return {"1.8.0": 0}
        return {"1.8.0": 500}

    profile = series(
        begin, end, {"1.8.0": 1_000_000}, step,
        skip=lambda e: e == gap,
        sources=lambda e: "estimated" if est_from < e <= est_to else "actual",
        statuses=lambda e: "00000080" if e == START + 40 * INTERVAL
        else "00000020" if e == START + 41 * INTERVAL else "00000000",
    )  # fmt: skip
    read_at = START + dt.timedelta(hours=12, minutes=7)
    i = profile.position(START + dt.timedelta(hours=12))
    assert i is not None
    index = profile.columns["1.8.0"][i]
    assert index is not None
    reads = [
        RegisterRead(read_at, "1.8.0", Decimal(index + 50_000).scaleb(-3)),  # beyond the profile
        RegisterRead(read_at, "1.8.1", Decimal("1.000")),
        RegisterRead(read_at, "1.8.2", Decimal("1.000")),
        RegisterRead(read_at, "1.8.3", Decimal("1.000")),
    ]
    clocks = [ReadClock(read_at, read_at + dt.timedelta(minutes=5))]
    findings = validate(meter(1, "V1", profile, reads), START, end, clocks=clocks)
    codes = {f.code for f in findings}
    assert codes == set(Code)
    by_code = {f.code: f for f in findings}
    assert (by_code[Code.MISSING_INTERVALS].start, by_code[Code.MISSING_INTERVALS].end) == (
        gap - INTERVAL, gap,
    )  # fmt: skip
    assert by_code[Code.INDEX_BACKWARDS].end == back
    assert by_code[Code.SPIKE].start == spike - INTERVAL
    assert by_code[Code.POWER_FAIL].end == START + 40 * INTERVAL
    assert by_code[Code.CLOCK_SET].end == START + 41 * INTERVAL
    assert by_code[Code.ZERO_CONSUMPTION].end == stuck_to
    assert by_code[Code.CLOCK_DRIFT].detail == "meter clock ahead by 300 s"
    assert by_code[Code.ESTIMATE_PROLONGED].end == est_to


def test_clean_data_has_no_findings() -> None:
    profile = series(START - WEEK, START + WEEK, {"1.8.0": 0}, lambda _t: {"1.8.0": 250})
    assert validate(meter(1, "V2", profile), START, START + WEEK) == []


def test_limits_are_configuration() -> None:
    profile = series(START, START + dt.timedelta(hours=3), {"1.8.0": 0}, lambda _t: {"1.8.0": 0})
    data = meter(1, "V3", profile)
    assert validate(data, START, START + dt.timedelta(hours=3)) == []
    short = ValidationLimits(zero_consumption=dt.timedelta(hours=2))
    [finding] = validate(data, START, START + dt.timedelta(hours=3), limits=short)
    assert (
        finding.code is Code.ZERO_CONSUMPTION and finding.detail == "no active consumption for 3 h"
    )

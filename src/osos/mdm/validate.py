"""Validation of reads and intervals: every finding gathered, none fixed.

Each check looks at one meter's data and reports what looked wrong with a stable code, the
time range and a detail for the operator. Raw values are never changed here; estimation and
edits are separate, recorded steps.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from osos.channels import to_milli
from osos.mdm.model import INTERVAL, REGISTERS, MeterData, ProfileSeries, milli_text
from osos.settings import ValidationLimits
from osos.timeutil import local_iso


class Code(StrEnum):
    """Stable finding codes (stored, filtered on, shown to operators)."""

    MISSING_INTERVALS = "missing_intervals"
    INDEX_BACKWARDS = "index_backwards"
    SPIKE = "spike"
    SUM_CHECK = "sum_check"
    TARIFF_SUM = "tariff_sum"
    CLOCK_DRIFT = "clock_drift"
    POWER_FAIL = "power_fail"
    CLOCK_SET = "clock_set"
    ZERO_CONSUMPTION = "zero_consumption"
    ESTIMATE_PROLONGED = "estimate_prolonged"


@dataclass(frozen=True)
class Finding:
    code: Code
    meter_id: int
    meter_serial: str
    start: dt.datetime
    end: dt.datetime
    detail: str
    register: str = ""


@dataclass(frozen=True)
class ReadClock:
    """When a readout was taken by our clock and what the meter's clock said."""

    read_at: dt.datetime
    meter_time: dt.datetime | None


def _hours(span: dt.timedelta) -> str:
    """A duration in hours as exact text (quarters: 72, 72.25)."""
    quarters = span // INTERVAL
    return str(quarters // 4) if quarters % 4 == 0 else str(quarters / 4)


def _runs(times: Iterable[dt.datetime]) -> list[tuple[dt.datetime, dt.datetime]]:
    """Consecutive interval ends → (first end, last end) runs."""
    runs: list[tuple[dt.datetime, dt.datetime]] = []
    for t in times:
        if runs and t - runs[-1][1] == INTERVAL:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def missing_intervals(meter: MeterData, start: dt.datetime, end: dt.datetime) -> list[Finding]:
    """Interval ends in ``(start, end]`` with no row, up to the newest stored row."""
    profile = meter.profile
    window = profile.window(start, end)
    if not len(window):
        return []
    last = profile.ends[window[-1]]
    have = set(profile.ends[i] for i in window)
    missing = []
    t = start + INTERVAL
    while t <= last:
        if t not in have:
            missing.append(t)
        t += INTERVAL
    return [
        Finding(
            Code.MISSING_INTERVALS,
            meter.meter_id,
            meter.serial,
            first - INTERVAL,
            final,
            f"{(final - first) // INTERVAL + 1} interval(s) missing",
        )
        for first, final in _runs(missing)
    ]


def index_backwards(meter: MeterData, start: dt.datetime, end: dt.datetime) -> list[Finding]:
    """A cumulative register lower than the one before it (profile rows and readouts)."""
    findings = []
    profile = meter.profile
    window = profile.window(start - INTERVAL, end)
    for obis in REGISTERS:
        column = profile.columns.get(obis)
        if column is None:
            continue
        previous: tuple[dt.datetime, int] | None = None
        for i in window:
            value = column[i]
            if value is None:
                continue
            if previous is not None and value < previous[1]:
                findings.append(
                    Finding(
                        Code.INDEX_BACKWARDS,
                        meter.meter_id,
                        meter.serial,
                        previous[0],
                        profile.ends[i],
                        f"{obis} went from {milli_text(previous[1])} to {milli_text(value)}",
                        obis,
                    )
                )
            previous = (profile.ends[i], value)
        reads = [r for r in meter.reads if r.obis == obis and start <= r.read_at <= end]
        for a, b in itertools.pairwise(reads):
            if b.value < a.value:
                findings.append(
                    Finding(
                        Code.INDEX_BACKWARDS,
                        meter.meter_id,
                        meter.serial,
                        a.read_at,
                        b.read_at,
                        f"{obis} read {a.value} then {b.value}",
                        obis,
                    )
                )
    return findings


def _deltas(profile: ProfileSeries, obis: str, rows: Iterable[int]) -> list[tuple[int, int]]:
    """(row, consumption) for rows whose previous row is one interval earlier."""
    column = profile.columns.get(obis)
    if column is None:
        return []
    result = []
    for i in rows:
        if i == 0 or profile.ends[i] - profile.ends[i - 1] != INTERVAL:
            continue
        a, b = column[i], column[i - 1]
        if a is not None and b is not None and a >= b:
            result.append((i, a - b))
    return result


def spikes(
    meter: MeterData, start: dt.datetime, end: dt.datetime, limits: ValidationLimits
) -> list[Finding]:
    """Interval consumption far above the meter's own history before ``start``."""
    profile = meter.profile
    findings = []
    history_rows = range(0, profile.window(start - INTERVAL, end).start)
    for obis in ("1.8.0", "2.8.0", "5.8.0", "8.8.0"):
        history = sorted(d for _, d in _deltas(profile, obis, history_rows))
        if len(history) < limits.spike_min_history:
            continue
        p95 = history[(len(history) * 95) // 100]
        threshold = max(p95 * limits.spike_factor, limits.spike_min_milli)
        for i, delta in _deltas(profile, obis, profile.window(start, end)):
            if delta > threshold:
                findings.append(
                    Finding(
                        Code.SPIKE,
                        meter.meter_id,
                        meter.serial,
                        profile.ends[i] - INTERVAL,
                        profile.ends[i],
                        f"{obis} {milli_text(delta)} in 15 minutes, over {limits.spike_factor}× "
                        f"the meter's usual peak ({milli_text(p95)})",
                        obis,
                    )
                )
    return findings


def _floor(t: dt.datetime) -> dt.datetime:
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return epoch + ((t - epoch) // INTERVAL) * INTERVAL


def sum_checks(
    meter: MeterData, start: dt.datetime, end: dt.datetime, limits: ValidationLimits
) -> list[Finding]:
    """A readout's index must lie between the profile's indexes around its time, and the
    tariff registers must add up to the total."""
    findings = []
    profile = meter.profile
    for read in meter.reads:
        if not start <= read.read_at <= end:
            continue
        if read.obis in REGISTERS:
            before, after = _floor(read.read_at), _floor(read.read_at + INTERVAL - _MICRO)
            low, high = profile.value(read.obis, before), profile.value(read.obis, after)
            value = to_milli(read.value)
            if low is not None and high is not None and not low[0] <= value <= high[0]:
                findings.append(
                    Finding(
                        Code.SUM_CHECK,
                        meter.meter_id,
                        meter.serial,
                        before,
                        after,
                        f"readout {read.obis} {read.value} at {local_iso(read.read_at)} is "
                        f"outside the profile's {milli_text(low[0])}…{milli_text(high[0])}",
                        read.obis,
                    )
                )
    by_time: dict[dt.datetime, dict[str, int]] = {}
    for read in meter.reads:
        if start <= read.read_at <= end and read.obis in ("1.8.0", "1.8.1", "1.8.2", "1.8.3"):
            by_time.setdefault(read.read_at, {})[read.obis] = to_milli(read.value)
    for at, values in sorted(by_time.items()):
        if len(values) < 4:
            continue
        parts = values["1.8.1"] + values["1.8.2"] + values["1.8.3"]
        if abs(parts - values["1.8.0"]) > limits.tariff_tolerance_milli:
            findings.append(
                Finding(
                    Code.TARIFF_SUM,
                    meter.meter_id,
                    meter.serial,
                    at,
                    at,
                    f"T1+T2+T3 = {milli_text(parts)} but 1.8.0 = {milli_text(values['1.8.0'])}",
                    "1.8.0",
                )
            )
    return findings


_MICRO = dt.timedelta(microseconds=1)


def clock_drift(
    meter: MeterData, clocks: Sequence[ReadClock], limits: ValidationLimits
) -> list[Finding]:
    findings = []
    for clock in clocks:
        if clock.meter_time is None:
            continue
        drift = clock.meter_time - clock.read_at
        if abs(drift) > limits.clock_drift:
            findings.append(
                Finding(
                    Code.CLOCK_DRIFT,
                    meter.meter_id,
                    meter.serial,
                    clock.read_at,
                    clock.read_at,
                    f"meter clock {'ahead' if drift > dt.timedelta(0) else 'behind'} by "
                    f"{abs(int(drift.total_seconds()))} s",
                )
            )
    return findings


def _status_bits(status: str | None) -> int:
    bits = 0
    for part in (status or "").split(","):
        try:
            bits |= int(part.strip() or "0", 16)
        except ValueError:
            continue
    return bits


def status_flags(
    meter: MeterData, start: dt.datetime, end: dt.datetime, limits: ValidationLimits
) -> list[Finding]:
    profile = meter.profile
    findings = []
    for code, mask, what in (
        (Code.POWER_FAIL, limits.power_fail_mask, "power failure"),
        (Code.CLOCK_SET, limits.clock_set_mask, "clock set or invalid"),
    ):
        flagged = [
            profile.ends[i]
            for i in profile.window(start, end)
            if _status_bits(profile.statuses[i]) & mask
        ]
        for first, last in _runs(flagged):
            count = (last - first) // INTERVAL + 1
            findings.append(
                Finding(
                    code,
                    meter.meter_id,
                    meter.serial,
                    first - INTERVAL,
                    last,
                    f"meter flagged {what} on {count} interval(s)",
                )
            )
    return findings


def zero_consumption(
    meter: MeterData, start: dt.datetime, end: dt.datetime, limits: ValidationLimits
) -> list[Finding]:
    """1.8.0 standing still for at least the limit (a stopped meter or a bypass)."""
    profile = meter.profile
    zero = [
        profile.ends[i] for i, d in _deltas(profile, "1.8.0", profile.window(start, end)) if not d
    ]
    findings = []
    for first, last in _runs(zero):
        if last - first + INTERVAL >= limits.zero_consumption:
            findings.append(
                Finding(
                    Code.ZERO_CONSUMPTION,
                    meter.meter_id,
                    meter.serial,
                    first - INTERVAL,
                    last,
                    f"no active consumption for {_hours(last - first + INTERVAL)} h",
                    "1.8.0",
                )
            )
    return findings


def estimates_prolonged(
    meter: MeterData, start: dt.datetime, end: dt.datetime, limits: ValidationLimits
) -> list[Finding]:
    profile = meter.profile
    estimated = [
        profile.ends[i] for i in profile.window(start, end) if profile.sources[i] == "estimated"
    ]
    findings = []
    for first, last in _runs(estimated):
        if last - first + INTERVAL > limits.estimate_prolonged:
            findings.append(
                Finding(
                    Code.ESTIMATE_PROLONGED,
                    meter.meter_id,
                    meter.serial,
                    first - INTERVAL,
                    last,
                    f"estimated for {_hours(last - first + INTERVAL)} h "
                    f"without an actual read (limit {limits.estimate_prolonged})",
                )
            )
    return findings


def validate(
    meter: MeterData,
    start: dt.datetime,
    end: dt.datetime,
    *,
    clocks: Sequence[ReadClock] = (),
    limits: ValidationLimits | None = None,
) -> list[Finding]:
    """Every finding for ``meter`` over ``(start, end]``; the profile before ``start`` is the
    meter's own history for the spike check."""
    limits = limits or ValidationLimits()
    return [
        *missing_intervals(meter, start, end),
        *index_backwards(meter, start, end),
        *spikes(meter, start, end, limits),
        *sum_checks(meter, start, end, limits),
        *clock_drift(meter, [c for c in clocks if start <= c.read_at <= end], limits),
        *status_flags(meter, start, end, limits),
        *zero_consumption(meter, start, end, limits),
        *estimates_prolonged(meter, start, end, limits),
    ]

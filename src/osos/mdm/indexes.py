"""A register's value at an instant, from the best evidence a meter left.

Order of trust (DOMAIN.md "Derived values"): at a month start the meter's own frozen billing
register (``1.8.0*1`` in the first readout after the reset); then the load-profile row ending
at that instant; then a readout taken at that instant; else a straight line between the
nearest actual values before and after — an estimate, and marked as one.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterator

from osos.channels import to_milli
from osos.mdm.model import IndexValue, MeterData, RegisterRead
from osos.timeutil import is_month_start, next_month_start

# A frozen value is trusted only when the meter's reset time (0.1.2*1) is this close to the
# month start it stands for (meters drift; a reset a week off is another month's value).
RESET_TOLERANCE = dt.timedelta(hours=1)
# Billing periods a readout keeps (``*1`` … ``*n``): Turkish meters keep at least the last 3.
BILLING_PERIODS = 3


def frozen_reads(
    meter: MeterData, at: dt.datetime, wanted: str
) -> Iterator[tuple[int, RegisterRead]]:
    """``(n, read)`` for reads of ``wanted*n`` that were frozen at the reset at ``at``.

    A readout taken in the month after the reset holds it as ``*1``, one taken a month later
    as ``*2``, and so on (up to :data:`BILLING_PERIODS`). A readout that states a different
    reset time (``0.1.2*n``) is not trusted.
    """
    reads = meter.reads
    if not reads or not is_month_start(at):
        return
    times = [r.read_at for r in reads]
    since = at
    for n in range(1, BILLING_PERIODS + 1):
        until = next_month_start(since)
        code = f"{wanted}*{n}"
        checked: dict[dt.datetime, bool] = {}
        for read in reads[bisect_left(times, since) : bisect_left(times, until)]:
            if read.obis != code:
                continue
            ok = checked.get(read.read_at)
            if ok is None:
                ok = checked[read.read_at] = _reset_matches(reads, read.read_at, at, n)
            if ok:
                yield n, read
        since = until


def frozen_read(meter: MeterData, at: dt.datetime, obis: str) -> RegisterRead | None:
    """The register's value frozen at the reset at ``at`` (a month start), when read."""
    return next((read for _, read in frozen_reads(meter, at, obis)), None)


def _reset_matches(
    reads: tuple[RegisterRead, ...], read_at: dt.datetime, at: dt.datetime, n: int
) -> bool:
    """The readout at ``read_at`` says its n-th last reset was at ``at`` (or says nothing)."""
    code = f"0.1.2*{n}"
    for read in reads:
        if read.read_at == read_at and read.obis == code and read.value_time is not None:
            return abs(read.value_time - at) <= RESET_TOLERANCE
    return True


def index_at(meter: MeterData, at: dt.datetime, obis: str) -> IndexValue | None:
    """The register ``obis`` of ``meter`` at instant ``at``, or None when nothing supports one."""
    frozen = frozen_read(meter, at, obis)
    if frozen is not None:
        return IndexValue(to_milli(frozen.value), "frozen", False)
    stored = meter.profile.value(obis, at)
    if stored is not None:
        value, source = stored
        return IndexValue(value, "profile", source == "estimated")
    for read in meter.reads:
        if read.read_at == at and read.obis == obis:
            return IndexValue(to_milli(read.value), "readout", False)
    return interpolate(meter, at, obis)


def _anchors(
    meter: MeterData, at: dt.datetime, obis: str
) -> tuple[tuple[dt.datetime, int] | None, tuple[dt.datetime, int] | None]:
    """The nearest actual values before and after ``at`` (profile rows and readouts)."""
    before: tuple[dt.datetime, int] | None = None
    after: tuple[dt.datetime, int] | None = None
    profile = meter.profile
    column = profile.columns.get(obis)
    if column is not None:
        i = bisect_left(profile.ends, at)
        for j in range(i - 1, -1, -1):
            v = column[j]
            if v is not None and profile.sources[j] != "estimated":
                before = (profile.ends[j], v)
                break
        for j in range(i, len(profile.ends)):
            v = column[j]
            if v is not None and profile.sources[j] != "estimated" and profile.ends[j] > at:
                after = (profile.ends[j], v)
                break
    for read in meter.reads:
        if read.obis != obis:
            continue
        if read.read_at < at and (before is None or read.read_at > before[0]):
            before = (read.read_at, to_milli(read.value))
        elif read.read_at > at and (after is None or read.read_at < after[0]):
            after = (read.read_at, to_milli(read.value))
    return before, after


_MICRO = dt.timedelta(microseconds=1)


def _div_round(numerator: int, denominator: int) -> int:
    """Integer division rounded half up (exact; no float ever sees an index)."""
    return (2 * numerator + denominator) // (2 * denominator)


def interpolate(meter: MeterData, at: dt.datetime, obis: str) -> IndexValue | None:
    """Straight line between the nearest actual values around ``at`` (an estimate)."""
    before, after = _anchors(meter, at, obis)
    if before is None or after is None:
        return None
    (t0, v0), (t1, v1) = before, after
    if v1 < v0:  # the register went backwards (meter fault, rollover): no honest estimate
        return None
    span = (t1 - t0) // _MICRO
    part = (at - t0) // _MICRO
    value = v0 + _div_round((v1 - v0) * part, span)
    return IndexValue(value, "interpolated", True)

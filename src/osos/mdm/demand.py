"""Maximum demand: the largest 15-minute average power of a period, with its time.

From the meter's own register when it was read (``1.6.0*1`` frozen at the reset that closed
the period, with its time stamp), else from the load profile: the interval's average-power
channel, or its energy × 4. A profile interval is named by its start (DESIGN.md "Time").
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from decimal import Decimal

from osos.mdm.indexes import frozen_reads
from osos.mdm.model import INTERVAL, MeterData

ENERGY_OF = {"1.6.0": "1.8.0", "2.6.0": "2.8.0"}
PER_HOUR = dt.timedelta(hours=1) // INTERVAL


@dataclass(frozen=True)
class RawDemand:
    """A demand in the meter's own units (kW before the multiplier)."""

    value: Decimal
    time: dt.datetime
    origin: str
    estimated: bool = False


def _within(when: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> bool:
    return when is not None and start <= when < end


def from_reads(
    meter: MeterData, obis: str, start: dt.datetime, end: dt.datetime, period_end: dt.datetime
) -> RawDemand | None:
    """The register frozen at the reset at ``period_end`` (``*1`` in the month after it, ``*2``
    a month later …) when its time stamp falls in ``[start, end)``."""
    for _, read in frozen_reads(meter, period_end, obis):
        if _within(read.value_time, start, end):
            assert read.value_time is not None
            return RawDemand(read.value, read.value_time, "readout")
    return None


def running_max(
    meter: MeterData, obis: str, start: dt.datetime, end: dt.datetime
) -> RawDemand | None:
    """The current-period register of the latest readout inside ``[start, end]``."""
    best = None
    for read in meter.reads:
        if (
            start <= read.read_at <= end
            and read.obis == obis
            and _within(read.value_time, start, end)
        ):
            best = read
    if best is None or best.value_time is None:
        return None
    return RawDemand(best.value, best.value_time, "readout")


def from_profile(
    meter: MeterData, obis: str, start: dt.datetime, end: dt.datetime
) -> RawDemand | None:
    """The largest interval average in ``[start, end)`` from the profile."""
    profile = meter.profile
    power = profile.columns.get(obis)
    energy = profile.columns.get(ENERGY_OF[obis])
    fast = _contiguous_max(meter, obis, start, end)
    if fast is not None:
        return fast
    best: tuple[int, dt.datetime, bool] | None = None
    for i in profile.window(start, end):
        value: int | None = None
        if power is not None and power[i] is not None:
            value = power[i]
        elif energy is not None and i > 0 and profile.ends[i - 1] == profile.ends[i] - INTERVAL:
            a, b = energy[i], energy[i - 1]
            if a is not None and b is not None and a >= b:
                value = (a - b) * PER_HOUR
        if value is None:
            continue
        if best is None or value > best[0]:
            best = (value, profile.ends[i] - INTERVAL, profile.sources[i] == "estimated")
    if best is None:
        return None
    return RawDemand(Decimal(best[0]).scaleb(-3), best[1], "profile", best[2])


def _contiguous_max(
    meter: MeterData, obis: str, start: dt.datetime, end: dt.datetime
) -> RawDemand | None:
    """Column-wise for the common case: no power channel, an energy row at every interval
    end from ``start`` on. The earliest of equal maxima wins, as in the general loop."""
    profile = meter.profile
    power = profile.columns.get(obis)
    energy = profile.columns.get(ENERGY_OF[obis])
    window = profile.window(start, end)
    if energy is None or not len(window) or window.start == 0:
        return None
    if power is not None and any(p is not None for p in power[window.start : window.stop]):
        return None
    first, last = window.start - 1, window.stop - 1
    if profile.ends[last] - profile.ends[first] != (last - first) * INTERVAL:
        return None
    values = energy[first : last + 1]
    if None in values:
        return None
    deltas = list(map(operator.sub, values[1:], values[:-1]))
    top = max(deltas)
    if min(deltas) < 0:
        return None
    k = deltas.index(top)
    estimated = profile.sources[first + 1 + k] == "estimated"
    when = profile.ends[first + 1 + k] - INTERVAL
    return RawDemand(Decimal(top * PER_HOUR).scaleb(-3), when, "profile", estimated)


def segment_demand(
    meter: MeterData, obis: str, start: dt.datetime, end: dt.datetime, period_end: dt.datetime
) -> RawDemand | None:
    """Best evidence first: frozen register, load profile, running register."""
    return (
        from_reads(meter, obis, start, end, period_end)
        or from_profile(meter, obis, start, end)
        or running_max(meter, obis, start, end)
    )

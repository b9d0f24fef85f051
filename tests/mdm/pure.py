"""In-memory meters for the pure computations (no database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from osos.mdm.model import INTERVAL, MeterData, ProfileSeries


def series(
    start: dt.datetime,
    end: dt.datetime,
    initial: dict[str, int],
    step: Callable[[dt.datetime], dict[str, int]],
    *,
    skip: Callable[[dt.datetime], bool] = lambda _e: False,
    sources: Callable[[dt.datetime], str] = lambda _e: "actual",
    statuses: Callable[[dt.datetime], str | None] = lambda _e: None,
) -> ProfileSeries:
    """Rows ending in [start, end] of cumulative registers in milli-units."""
    values = dict(initial)
    ends: list[dt.datetime] = []
    cols: dict[str, list[int | None]] = {o: [] for o in initial}
    srcs: list[str] = []
    stats: list[str | None] = []
    t = start
    while True:
        if not skip(t):
            ends.append(t)
            for o in initial:
                cols[o].append(values[o])
            srcs.append(sources(t))
            stats.append(statuses(t))
        if t >= end:
            break
        for o, d in step(t).items():
            values[o] += d
        t += INTERVAL
    return ProfileSeries(tuple(ends), {o: tuple(v) for o, v in cols.items()}, tuple(srcs),
                         tuple(stats))  # fmt: skip


def meter(
    meter_id: int, serial: str, profile: ProfileSeries, reads: Sequence[object] = ()
) -> MeterData:
    return MeterData(meter_id, serial, profile, tuple(reads))  # type: ignore[arg-type]

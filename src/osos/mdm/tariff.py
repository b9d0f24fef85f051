"""Tariff zones of three-time meters (EPDK Board decision 6561, 27.10.2016), all year.

T1 day 06–17, T2 peak 17–22, T3 night 22–06, local time. An interval belongs to the zone of
its start. When a meter does not report T1/T2/T3 registers, its 15-minute profile is summed
per zone instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import compress

from osos.timeutil import ZONES, zone_of

_STEP = dt.timedelta(minutes=15)

_MASKS: dict[
    tuple[dt.datetime, int], tuple[tuple[dt.datetime, ...], tuple[tuple[bool, ...], ...]]
] = {}


def _masks(starts: Sequence[dt.datetime]) -> tuple[tuple[bool, ...], ...] | None:
    """Per-zone masks of a run of interval starts 15 minutes apart, computed once per run
    (every meter of a month has the same starts); None when the starts are not such a run."""
    n = len(starts)
    if not n:
        return None
    key = (starts[0], n)
    cached = _MASKS.get(key)
    if cached is None:
        expected = tuple(starts[0] + k * _STEP for k in range(n))
        zones = [zone_of(t) for t in expected]
        masks = tuple(tuple(z == zone for z in zones) for zone in ZONES)
        if len(_MASKS) > 1000:
            _MASKS.clear()
        cached = _MASKS[key] = (expected, masks)
    expected, masks = cached
    return masks if tuple(starts) == expected else None


def split_by_zone(starts: Sequence[dt.datetime], values: Sequence[int]) -> dict[str, int]:
    """Sum interval consumptions (milli-units, by interval start) per tariff zone."""
    masks = _masks(starts)
    if masks is not None:
        return {zone: sum(compress(values, mask)) for zone, mask in zip(ZONES, masks, strict=True)}
    totals = dict.fromkeys(ZONES, 0)
    for start, delta in zip(starts, values, strict=True):
        totals[zone_of(start)] += delta
    return totals

"""Tariff zones of three-time meters (EPDK Board decision 6561, 27.10.2016), all year.

T1 day 06–17, T2 peak 17–22, T3 night 22–06, local time. An interval belongs to the zone of
its start. When a meter does not report T1/T2/T3 registers, its 15-minute profile is summed
per zone instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from osos.timeutil import LOCAL_TZ

T1, T2, T3 = "1.8.1", "1.8.2", "1.8.3"
ZONES: tuple[str, ...] = (T1, T2, T3)


def zone_of_hour(hour: int) -> str:
    """The tariff register of a local hour 0–23."""
    if 6 <= hour < 17:
        return T1
    if 17 <= hour < 22:
        return T2
    return T3


_BY_HOUR: tuple[str, ...] = tuple(zone_of_hour(h) for h in range(24))


def zone_of(interval_start: dt.datetime) -> str:
    """The tariff register an interval starting at this (aware) instant counts towards."""
    return _BY_HOUR[interval_start.astimezone(LOCAL_TZ).hour]


_ZONE_CACHE: dict[dt.datetime, str] = {}


def _cached_zone(start: dt.datetime) -> str:
    """zone_of, remembered: a month's interval starts are the same for every meter."""
    zone = _ZONE_CACHE.get(start)
    if zone is None:
        if len(_ZONE_CACHE) > 200_000:
            _ZONE_CACHE.clear()
        zone = _ZONE_CACHE[start] = zone_of(start)
    return zone


def split_by_zone(deltas: Iterable[tuple[dt.datetime, int]]) -> dict[str, int]:
    """Sum interval consumptions (start, milli-units) per tariff zone; every zone present."""
    totals = dict.fromkeys(ZONES, 0)
    for start, delta in deltas:
        totals[_cached_zone(start)] += delta
    return totals


def zone_total(totals: Mapping[str, int]) -> int:
    return sum(totals[z] for z in ZONES)

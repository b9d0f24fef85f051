"""Consumption that drops suddenly: the by-pass signature.

Each day of the period is compared with the point's own norm — the mean consumption of the
same weekday and hour over the ``drop_history_weeks`` weeks before that day (two at least) —
over the hours that day has data for. A day at most ``drop_ratio`` of its norm is low. A low day is
also compared with the similar points (same tariff group and contract power band, else the
same tariff group) on the same day: when they dropped as much (a holiday, a strike, a storm)
it is not the point's own drop. ``drop_days`` low days in a row make a finding.

Energy is the profile's 1.8.0 index differences, primary side (× CT × VT), exact.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from osos.settings import LossLimits
from osos.timeutil import local_date, local_midnight, to_local

from .findings import Finding, Kind
from .inputs import QUARTER, Point, Sample
from .spans import by_key, ratio, runs, text

MIN_HOURS = 12  # a day with fewer hours of data is not judged
Hourly = dict[tuple[dt.date, int], Decimal]  # (local day, hour) → kWh primary


@dataclass(frozen=True)
class Day:
    day: dt.date
    actual: Decimal
    norm: Decimal
    readout_id: int | None

    @property
    def share(self) -> Decimal:
        return ratio(self.actual, self.norm)


def hourly(samples: Sequence[Sample]) -> tuple[Hourly, dict[dt.date, int]]:
    """Consumption per local day and hour from consecutive profile indexes of one meter."""
    out: Hourly = {}
    sources: dict[dt.date, int] = {}
    for before, after in itertools.pairwise(samples):
        if after.end - before.end != QUARTER or before.import_index is None:
            continue
        if after.import_index is None or after.import_index < before.import_index:
            continue
        start = to_local(before.end)
        key = (start.date(), start.hour)
        out[key] = (
            out.get(key, Decimal(0)) + (after.import_index - before.import_index) * after.multiplier
        )
        if after.readout_id is not None:
            sources.setdefault(start.date(), after.readout_id)
    return out, sources


def days(
    samples: Sequence[Sample], low: dt.datetime, high: dt.datetime, limits: LossLimits
) -> list[Day]:
    """The judged days of [low, high) of one meter: actual and norm over the same hours."""
    energy, sources = hourly(samples)
    weeks = range(1, limits.drop_history_weeks + 1)
    out = []
    first_day = local_date(low)
    inside = sorted(k for k in energy if k[0] >= first_day and local_midnight(k[0]) < high)
    for day, group in itertools.groupby(inside, key=lambda k: k[0]):
        norms = {}
        for _, hour in group:
            before = [energy.get((day - dt.timedelta(weeks=w), hour)) for w in weeks]
            known = [kwh for kwh in before if kwh is not None]
            if len(known) >= 2:
                norms[hour] = _mean(known)
        if len(norms) < MIN_HOURS:
            continue
        norm = sum(norms.values(), Decimal(0))
        actual = sum((energy[(day, h)] for h in norms), Decimal(0))
        if norm >= limits.drop_min_kwh:
            out.append(Day(day, actual, norm, sources.get(day)))
    return out


def _mean(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def _band(point: Point) -> int:
    """Contract power band: powers of two of kW (100 and 180 kW are alike, 100 and 900 not)."""
    return int(point.contract_kw).bit_length() if point.contract_kw else 0


def peer_groups(points: Iterable[Point], minimum: int) -> dict[str, list[str]]:
    """Each point's similar points (itself excluded): same tariff group and power band when
    there are ``minimum`` of them, else the same tariff group."""
    points = list(points)
    out = {}
    for p in points:
        same_group = [q.no for q in points if q.no != p.no and q.tariff_group == p.tariff_group]
        banded = [q for q in same_group if _band(next(x for x in points if x.no == q)) == _band(p)]
        out[p.no] = banded if len(banded) >= minimum else same_group
    return out


def drop_findings(
    points: Sequence[Point],
    samples: Iterable[Sample],
    low: dt.datetime,
    high: dt.datetime,
    limits: LossLimits,
) -> list[Finding]:
    """Runs of ``drop_days`` days at most ``drop_ratio`` of the norm that the similar points
    did not share (their median share that day × ``peer_ratio`` or less)."""
    profile = [s for s in samples if s.profile and s.import_index is not None]
    per_meter = by_key(profile, lambda s: f"{s.point}\0{s.meter}")
    judged: dict[str, tuple[str, list[Day]]] = {}
    for key, group in per_meter.items():
        group.sort(key=lambda s: s.end)
        point, meter = key.split("\0")
        judged[point] = (meter, days(group, low, high, limits))
    shares = {p: {d.day: d.share for d in ds} for p, (_, ds) in judged.items()}
    peers = peer_groups(points, limits.peer_min_points)
    out = []
    for point, (meter, point_days) in sorted(judged.items()):
        near = peers.get(point, [])
        low_day = functools.partial(_own_drop, near=near, shares=shares, limits=limits)
        for run in runs(point_days, low_day, limits.drop_days):
            out.append(_finding(point, meter, run, shares, near, limits))
    return out


def _own_drop(
    d: Day,
    *,
    near: Sequence[str],
    shares: Mapping[str, Mapping[dt.date, Decimal]],
    limits: LossLimits,
) -> bool:
    if d.actual > limits.drop_ratio * d.norm:
        return False
    median = _peer_median(shares, near, d.day, limits.peer_min_points)
    return median is None or d.share <= limits.peer_ratio * median


def _peer_median(
    shares: Mapping[str, Mapping[dt.date, Decimal]],
    peers: Sequence[str],
    day: dt.date,
    minimum: int,
) -> Decimal | None:
    values = sorted(shares[p][day] for p in peers if p in shares and day in shares[p])
    if len(values) < minimum:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _finding(
    point: str,
    meter: str,
    run: list[Day],
    shares: Mapping[str, Mapping[dt.date, Decimal]],
    peers: Sequence[str],
    limits: LossLimits,
) -> Finding:
    actual = sum((d.actual for d in run), Decimal(0))
    norm = sum((d.norm for d in run), Decimal(0))
    evidence = {
        "days": str(len(run)),
        "kwh": text(actual.quantize(Decimal("0.001"))),
        "norm_kwh": text(norm.quantize(Decimal("0.001"))),
        "share": text(ratio(actual, norm)),
        "lowest_day": min(run, key=lambda d: d.share).day.isoformat(),
    }
    medians = [_peer_median(shares, peers, d.day, limits.peer_min_points) for d in run]
    known = [m for m in medians if m is not None]
    if known:
        evidence["peers"] = str(len(peers))
        evidence["peer_share"] = text(ratio(sum(known, Decimal(0)), Decimal(len(known))))
    source = next((d.readout_id for d in run if d.readout_id is not None), None)
    start = local_midnight(run[0].day)
    end = local_midnight(run[-1].day + dt.timedelta(days=1))
    return Finding(point, Kind.CONSUMPTION_DROP, start, end, evidence, meter, source)

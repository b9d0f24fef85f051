"""Estimates for missing intervals, per register, exact to the milli-unit.

The index difference across a gap is known exactly from the actual values on both sides; only
its distribution over the missing intervals is estimated. It is shared by the shape of the
meter's own past (the same weekday and time of earlier weeks) when that history exists, by
duration otherwise, and the shares always add up to the difference — an estimate never
creates or loses energy.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from osos.mdm.model import INTERVAL, ProfileSeries

WEEK = dt.timedelta(days=7)
SHAPE_WEEKS = 4


def distribute(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` into integer shares proportional to ``weights``; they sum to ``total``.

    Cumulative flooring: share i = ⌊T·W_i/W⌋ − ⌊T·W_{i-1}/W⌋. Zero weights everywhere fall
    back to equal weights.
    """
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares, cumulative, previous = [], 0, 0
    for weight in weights:
        cumulative += weight
        point = total * cumulative // whole
        shares.append(point - previous)
        previous = point
    return shares


def grid(start: dt.datetime, end: dt.datetime, step: dt.timedelta = INTERVAL) -> list[dt.datetime]:
    """``start``, every clock-aligned step boundary strictly between, ``end``."""
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    first = epoch + -((epoch - start) // step) * step  # ceil to the step
    points = [start]
    t = first if first > start else first + step
    while t < end:
        points.append(t)
        t += step
    points.append(end)
    return points


@dataclass(frozen=True)
class Deltas:
    """Consumption per interval of a range (start of the interval, milli-units).

    ``estimated`` says whether any share had to be estimated (a gap or a stored estimate).
    """

    starts: tuple[dt.datetime, ...]
    values: tuple[int, ...]
    estimated: bool

    @property
    def items(self) -> Iterator[tuple[dt.datetime, int]]:
        return zip(self.starts, self.values, strict=True)


def shape_weights(
    history: ProfileSeries, obis: str, starts: Sequence[dt.datetime]
) -> list[int] | None:
    """Weights for intervals starting at ``starts`` from the same slots of earlier weeks.

    None when the history has no actual consumption at those slots (then share by duration).
    """
    column = history.columns.get(obis)
    if column is None:
        return None
    weights = []
    found = False
    for start in starts:
        total = 0
        for week in range(1, SHAPE_WEEKS + 1):
            end = start + INTERVAL - week * WEEK
            i, j = history.position(end), history.position(end - INTERVAL)
            if i is None or j is None:
                continue
            a, b = column[i], column[j]
            if a is None or b is None or history.sources[i] != "actual" or a < b:
                continue
            total += a - b
            found = True
        weights.append(total)
    return weights if found and sum(weights) > 0 else None


def interval_deltas(
    profile: ProfileSeries,
    obis: str,
    start: dt.datetime,
    end: dt.datetime,
    start_value: int,
    end_value: int,
    history: ProfileSeries | None = None,
) -> Deltas | None:
    """Interval consumptions of ``obis`` over ``[start, end)`` anchored at both ends.

    Rows inside the range give exact differences; gaps are filled by :func:`distribute`.
    None when the register goes backwards somewhere (no honest split exists).
    """
    fast = _contiguous_deltas(profile, obis, start, end, start_value, end_value)
    if fast is not None:
        return fast
    points = grid(start, end)
    known: dict[dt.datetime, int] = {start: start_value, end: end_value}
    estimated_rows = False
    column = profile.columns.get(obis)
    if column is not None:
        for i in profile.window(start, end - dt.timedelta(microseconds=1)):
            value = column[i]
            if value is not None:
                known[profile.ends[i]] = value
                estimated_rows = estimated_rows or profile.sources[i] == "estimated"
    items: list[tuple[dt.datetime, int]] = []
    estimated = estimated_rows
    last = 0
    for k in range(1, len(points)):
        if points[k] not in known:
            continue
        total = known[points[k]] - known[points[last]]
        if total < 0:
            return None
        starts = points[last:k]
        if len(starts) == 1:
            items.append((starts[0], total))
        else:
            estimated = True
            weights = shape_weights(history, obis, starts) if history is not None else None
            if weights is None:
                weights = [int((points[j + 1] - points[j]).total_seconds()) for j in range(last, k)]
            items.extend(zip(starts, distribute(total, weights), strict=True))
        last = k
    return Deltas(tuple(t for t, _ in items), tuple(v for _, v in items), estimated)


def _contiguous_deltas(
    profile: ProfileSeries,
    obis: str,
    start: dt.datetime,
    end: dt.datetime,
    start_value: int,
    end_value: int,
) -> Deltas | None:
    """The common case, column-wise: a row at every interval end from ``start`` to ``end``."""
    i, j = profile.position(start), profile.position(end)
    column = profile.columns.get(obis)
    if i is None or j is None or column is None or (end - start) // INTERVAL != j - i:
        return None
    if profile.ends[j] - profile.ends[i] != (j - i) * INTERVAL:
        return None
    values = list(column[i : j + 1])
    if None in values:
        return None
    values[0], values[-1] = start_value, end_value
    deltas = tuple(map(operator.sub, values[1:], values[:-1]))
    if deltas and min(deltas) < 0:
        return None
    estimated = "estimated" in profile.sources[i + 1 : j + 1]
    return Deltas(profile.ends[i:j], deltas, estimated)


@dataclass(frozen=True)
class EstimatedInterval:
    """A row to store with ``source=estimated``: index registers at the interval end."""

    end: dt.datetime
    values: Mapping[str, int]


def estimate_gaps(
    profile: ProfileSeries,
    registers: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    history: ProfileSeries | None = None,
) -> list[EstimatedInterval]:
    """Rows for every missing interval end in ``(start, end]`` that lies between actual values.

    Each register is estimated on its own, between its own nearest actual values; a gap at
    the edge of the data (no actual value after it yet) is left missing rather than guessed.
    """
    have = set(profile.ends)
    result: dict[dt.datetime, dict[str, int]] = {}
    for obis in registers:
        column = profile.columns.get(obis)
        if column is None:
            continue
        anchors = [
            (profile.ends[i], column[i])
            for i in range(len(profile))
            if column[i] is not None and profile.sources[i] != "estimated"
        ]
        for (t0, v0), (t1, v1) in itertools.pairwise(anchors):
            assert v0 is not None and v1 is not None
            if t1 - t0 <= INTERVAL or t1 <= start or t0 >= end or v1 < v0:
                continue
            deltas = interval_deltas(ProfileSeries(), obis, t0, t1, v0, v1, history)
            if deltas is None:
                continue
            value = v0
            for interval_start, delta in deltas.items:
                value += delta
                interval_end = interval_start + INTERVAL
                if interval_end >= t1 or interval_end in have:
                    continue
                if start < interval_end <= end:
                    result.setdefault(interval_end, {})[obis] = value
    return [EstimatedInterval(t, result[t]) for t in sorted(result)]


def slot_increment(history: ProfileSeries, obis: str, end: dt.datetime) -> int | None:
    """The interval ending at ``end`` as earlier weeks had it: the mean (floored) of the actual
    consumption of the same weekday and time over the last :data:`SHAPE_WEEKS` weeks."""
    column = history.columns.get(obis)
    if column is None:
        return None
    found: list[int] = []
    for week in range(1, SHAPE_WEEKS + 1):
        at = end - week * WEEK
        i, j = history.position(at), history.position(at - INTERVAL)
        if i is None or j is None:
            continue
        a, b = column[i], column[j]
        if a is None or b is None or history.sources[i] != "actual" or a < b:
            continue
        found.append(a - b)
    return sum(found) // len(found) if found else None


def extrapolate(
    history: ProfileSeries,
    obis: str,
    last_value: int,
    ends: Sequence[dt.datetime],
    similar: Mapping[dt.datetime, int] | None = None,
) -> list[int] | None:
    """Index values for ``ends`` after the last actual one (``last_value``): each interval as
    the point's own earlier weeks had it, else as similar points consume then (``similar``,
    already scaled to this point); None when neither knows an interval (no guess is made)."""
    values: list[int] = []
    value = last_value
    for end in ends:
        step = slot_increment(history, obis, end)
        if step is None and similar is not None:
            step = similar.get(end)
        if step is None:
            return None
        value += step
        values.append(value)
    return values

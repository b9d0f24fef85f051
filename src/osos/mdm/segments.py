"""Split a period at every meter change and multiplier change (installations rows).

Each segment uses its own meter's indexes — the old meter up to its removal index, the new one
from its installation index — and its own multiplier. One meter's index is never subtracted
from another's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from osos.mdm.indexes import index_at
from osos.mdm.model import IndexValue, InstallationSpan, MeterData


@dataclass(frozen=True)
class Segment:
    """One meter with one multiplier over ``[start, end)`` of a period."""

    span: InstallationSpan
    start: dt.datetime
    end: dt.datetime
    start_index: Mapping[str, IndexValue]
    end_index: Mapping[str, IndexValue]

    @property
    def meter_serial(self) -> str:
        return self.span.meter_serial

    @property
    def multiplier(self) -> Decimal:
        return self.span.multiplier

    def raw_delta(self, obis: str) -> int | None:
        """End minus start index in milli-units (the meter's own units, no multiplier)."""
        first, last = self.start_index.get(obis), self.end_index.get(obis)
        if first is None or last is None:
            return None
        return last.value - first.value

    def consumption(self, obis: str) -> Decimal | None:
        delta = self.raw_delta(obis)
        return None if delta is None else Decimal(delta).scaleb(-3) * self.multiplier

    @property
    def estimated(self) -> bool:
        return any(v.estimated for v in (*self.start_index.values(), *self.end_index.values()))


def spans_in(
    spans: Iterable[InstallationSpan], start: dt.datetime, end: dt.datetime
) -> list[tuple[InstallationSpan, dt.datetime, dt.datetime]]:
    """The installations overlapping ``[start, end)``, clipped to it, in time order."""
    parts = []
    for span in spans:
        first = max(span.installed_at, start)
        last = end if span.removed_at is None else min(span.removed_at, end)
        if first < last:
            parts.append((span, first, last))
    parts.sort(key=lambda p: (p[1], p[2]))
    return parts


def _index(
    span: InstallationSpan,
    meter: MeterData,
    at: dt.datetime,
    obis: str,
    recorded: Mapping[str, int],
    edge: dt.datetime | None,
    origin: str,
) -> IndexValue | None:
    if edge is not None and at == edge and obis in recorded:
        return IndexValue(recorded[obis], origin, False)
    return index_at(meter, at, obis)


def build_segments(
    spans: Iterable[InstallationSpan],
    meters: Mapping[int, MeterData],
    start: dt.datetime,
    end: dt.datetime,
    registers: Sequence[str],
) -> list[Segment]:
    """The segments of ``[start, end)`` with their start and end indexes per register."""
    segments = []
    for span, first, last in spans_in(spans, start, end):
        meter = meters.get(span.meter_id) or MeterData(span.meter_id, span.meter_serial)
        starts: dict[str, IndexValue] = {}
        ends: dict[str, IndexValue] = {}
        for obis in registers:
            a = _index(span, meter, first, obis, span.install_index, span.installed_at, "install")
            b = _index(span, meter, last, obis, span.removal_index, span.removed_at, "removal")
            if a is not None:
                starts[obis] = a
            if b is not None:
                ends[obis] = b
        segments.append(Segment(span, first, last, starts, ends))
    return segments

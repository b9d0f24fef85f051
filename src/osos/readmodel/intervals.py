"""Interval data of a service point: consumption per interval (from the MDM), phases, freshness.

Intervals come from :func:`osos.mdm.service.interval_consumption`, which follows the
installations: each interval uses the meter installed at the point then, after its multiplier,
so a meter moved to another point brings none of its earlier rows. :func:`service_point_intervals`
is that function with the delivery code's :data:`IntervalSource` signature; :func:`intervals`
clips it to what a caller may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.channels import BY_OBIS, from_milli
from osos.mdm import loading
from osos.mdm.intervals import consumption_of, meter_profiles, withdrawal_total
from osos.mdm.model import INTERVAL, InstallationSpan, MeterData
from osos.mdm.service import ConsumptionInterval, interval_consumption
from osos.readmodel.access import Sight
from osos.store.models import Installation, profile_intervals
from osos.timeutil import ceil_to, floor_to

Interval = ConsumptionInterval
PHASES = (("L1", "32.7.0", "31.7.0"), ("L2", "52.7.0", "51.7.0"), ("L3", "72.7.0", "71.7.0"))


class IntervalLike(Protocol):
    """What an interval source returns per interval (a :class:`ConsumptionInterval`)."""

    @property
    def start(self) -> dt.datetime: ...
    @property
    def end(self) -> dt.datetime: ...
    @property
    def withdrawal_kwh(self) -> Decimal | None: ...
    @property
    def supply_kwh(self) -> Decimal | None: ...
    @property
    def source(self) -> str: ...


IntervalSource = Callable[[Session, int, dt.datetime, dt.datetime, int], Sequence[IntervalLike]]
"""``(session, service_point_id, start, end, minutes)`` → intervals after the multiplier."""


def service_point_intervals(
    session: Session, service_point_id: int, start: dt.datetime, end: dt.datetime, minutes: int
) -> list[Interval]:
    """Every interval of [start, end) of the point, gaps as ``missing`` rows, each from the meter
    installed there then (an :data:`IntervalSource`: the deliveries and the paid files use it)."""
    return interval_consumption(session, service_point_id, start, end, minutes=minutes)


Edges = Literal["keep", "drop", "quarters"]


def whole_parts(
    sight: Sight, start: dt.datetime, end: dt.datetime, minutes: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) inside the windows, shrunk to whole intervals of ``minutes``
    on the local grid (empty when none holds a whole interval)."""
    step = dt.timedelta(minutes=minutes)
    parts = [(ceil_to(lo, step), floor_to(hi, step)) for lo, hi in sight.parts(start, end)]
    return [(lo, hi) for lo, hi in parts if lo < hi]


Fetch = Callable[[dt.datetime, dt.datetime, int], Sequence[Interval]]
"""``(start, end, minutes)`` → the point's intervals of one visible part."""


def intervals(
    session: Session,
    sight: Sight,
    start: dt.datetime,
    end: dt.datetime,
    minutes: int = 15,
    edges: Edges = "keep",
) -> list[Interval]:
    """The intervals of [start, end) inside the caller's windows.

    Where a part does not start or end on a boundary of ``minutes`` (local grid), ``edges``
    says what happens: ``keep`` buckets from the part's own start, ``drop`` shrinks it to whole
    intervals (the API), ``quarters`` adds the partial edges as quarters so any range sums
    exactly (YKP Listesi).
    """

    def fetch(lo: dt.datetime, hi: dt.datetime, size: int) -> list[Interval]:
        return service_point_intervals(session, sight.point.id, lo, hi, size)

    return visible_intervals(fetch, sight, start, end, minutes, edges)


def visible_intervals(
    fetch: Fetch,
    sight: Sight,
    start: dt.datetime,
    end: dt.datetime,
    minutes: int = 15,
    edges: Edges = "keep",
) -> list[Interval]:
    """:func:`intervals` with the rows of each part from ``fetch``."""
    if edges == "drop":
        return [
            row
            for lo, hi in whole_parts(sight, start, end, minutes)
            for row in fetch(lo, hi, minutes)
        ]
    step = dt.timedelta(minutes=minutes)
    rows: list[Interval] = []
    for lo, hi in sight.parts(start, end):
        if edges == "keep" or minutes == 15:
            rows.extend(fetch(lo, hi, minutes))
            continue
        first, last = ceil_to(lo, step), floor_to(hi, step)
        if first >= last:
            rows.extend(fetch(lo, hi, 15))
            continue
        if lo < first:
            rows.extend(fetch(lo, first, 15))
        rows.extend(fetch(first, last, minutes))
        if last < hi:
            rows.extend(fetch(last, hi, 15))
    return rows


@dataclass(frozen=True)
class Loaded:
    """A point's installations and profiles over a range, read once (:func:`load_range`);
    intervals and withdrawal totals of any visible range inside it, computed in memory."""

    sight: Sight
    spans: tuple[InstallationSpan, ...]
    meters: Mapping[int, MeterData]

    def fetch(self, lo: dt.datetime, hi: dt.datetime, minutes: int) -> list[Interval]:
        return consumption_of(self.spans, self.meters, lo, hi, minutes)

    def intervals(
        self, start: dt.datetime, end: dt.datetime, minutes: int = 15, edges: Edges = "keep"
    ) -> list[Interval]:
        """Exactly :func:`intervals` of the same sight and range."""
        return visible_intervals(self.fetch, self.sight, start, end, minutes, edges)

    def withdrawal(self, start: dt.datetime, end: dt.datetime) -> tuple[Decimal, int]:
        """``totals(intervals(start, end)).withdrawal_kwh`` and the quarters that have one."""
        total, count = Decimal(0), 0
        for lo, hi in self.sight.parts(start, end):
            part_total, part_count = withdrawal_total(self.spans, self.meters, lo, hi)
            total, count = total + part_total, count + part_count
        return total, count


def installations(
    session: Session, sight: Sight, start: dt.datetime, end: dt.datetime
) -> tuple[InstallationSpan, ...]:
    """The point's installations overlapping ``[start, end]`` (meters and multipliers)."""
    point = sight.point.id
    return tuple(loading.installation_spans(session, [point], start, end)[point])


def load_range(
    session: Session,
    sight: Sight,
    spans: Sequence[InstallationSpan],
    start: dt.datetime,
    end: dt.datetime,
) -> Loaded:
    """The profiles of ``spans``' meters for ``[start, end)`` in one indexed query."""
    return Loaded(sight, tuple(spans), meter_profiles(session, spans, start, end))


def data_stamp(
    session: Session, spans: Sequence[InstallationSpan], start: dt.datetime, end: dt.datetime
) -> tuple[tuple[int, int, int | None, int | None], ...]:
    """What changes whenever a stored interval of ``[start, end)`` of these meters does: per
    meter the rows' count, their version sum (every correction raises a version) and newest
    readout. One grouped query on the primary key (meter, end)."""
    meters = sorted({s.meter_id for s in spans})
    if not meters:
        return ()
    t = profile_intervals
    rows = session.execute(
        select(t.c.meter_id, func.count(), func.sum(t.c.version), func.max(t.c.readout_id))
        .where(t.c.meter_id.in_(meters), t.c.end_at >= start - INTERVAL, t.c.end_at <= end)
        .group_by(t.c.meter_id)
        .order_by(t.c.meter_id)
    )
    return tuple((int(m), int(n), None if v is None else int(v), r) for m, n, v, r in rows)


@dataclass(frozen=True)
class Totals:
    withdrawal_kwh: Decimal
    supply_kwh: Decimal
    inductive_kvarh: Decimal
    capacitive_kvarh: Decimal
    count: int
    missing: int
    estimated: int


def totals(rows: Sequence[Interval]) -> Totals:
    def total(name: str) -> Decimal:
        return sum((getattr(r, name) or Decimal(0) for r in rows), Decimal(0))

    return Totals(
        total("withdrawal_kwh"),
        total("supply_kwh"),
        total("inductive_kvarh"),
        total("capacitive_kvarh"),
        len(rows),
        sum(1 for r in rows if r.source == "missing"),
        sum(1 for r in rows if r.source in ("estimated", "edited")),
    )


# --------------------------------------------------------------------------------------------
# Phases and freshness, from the stored rows of the meters while installed


@dataclass(frozen=True)
class PhaseRow:
    """Voltages and currents as the meter measured them: behind transformers these are the
    secondary values; ``primary_*`` are them through the VT and CT ratios."""

    end: dt.datetime
    voltages: tuple[Decimal | None, ...]
    currents: tuple[Decimal | None, ...]
    source: str  # the profile row's source, or "readout" when built from readouts
    ct: Decimal = Decimal(1)
    vt: Decimal = Decimal(1)

    @property
    def secondary(self) -> bool:
        return self.ct != 1 or self.vt != 1

    @property
    def primary_voltages(self) -> tuple[Decimal | None, ...]:
        return tuple(None if v is None else v * self.vt for v in self.voltages)

    @property
    def primary_currents(self) -> tuple[Decimal | None, ...]:
        return tuple(None if a is None else a * self.ct for a in self.currents)


@dataclass(frozen=True)
class Span:
    """A meter's time at the point, clipped to a part of the caller's windows."""

    meter_id: int
    start: dt.datetime
    end: dt.datetime | None
    ct: Decimal = Decimal(1)
    vt: Decimal = Decimal(1)

    def holds(self, at: dt.datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


def spans(
    session: Session, sight: Sight, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[Span]:
    """Each installation at the point within each window (and within [start, end) if given)."""
    out: list[Span] = []
    i = Installation
    for meter_id, installed_at, removed_at, ct, vt in session.execute(
        select(i.meter_id, i.installed_at, i.removed_at, i.ct_ratio, i.vt_ratio)
        .where(i.service_point_id == sight.point.id)
        .order_by(i.installed_at)
    ):
        for lo, hi in sight.windows:
            a = max(x for x in (installed_at, lo, start) if x is not None)
            ends = [x for x in (removed_at, hi, end) if x is not None]
            b = min(ends) if ends else None
            if b is None or a < b:
                out.append(Span(meter_id, a, b, ct, vt))
    return out


def _milli(value: int | None) -> Decimal | None:
    return None if value is None else from_milli(value)


def phases(session: Session, sight: Sight, start: dt.datetime, end: dt.datetime) -> list[PhaseRow]:
    """Voltages and currents per phase from the profile, inside the windows."""
    t = profile_intervals
    result: list[PhaseRow] = []
    for span in spans(session, sight, start, end):
        query = select(t).where(t.c.meter_id == span.meter_id, t.c.end_at > span.start)
        if span.end is not None:
            query = query.where(t.c.end_at <= span.end)
        for r in session.execute(query.order_by(t.c.end_at)):
            volts = tuple(_milli(getattr(r, BY_OBIS[v].column)) for _, v, _ in PHASES)
            amps = tuple(_milli(getattr(r, BY_OBIS[c].column)) for _, _, c in PHASES)
            result.append(PhaseRow(r.end_at, volts, amps, str(r.source), span.ct, span.vt))
    return result


def profile_bounds(session: Session, sight: Sight) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The earliest and the latest stored interval end the caller may see (one query a span)."""
    t = profile_intervals
    lows: list[dt.datetime] = []
    highs: list[dt.datetime] = []
    for span in spans(session, sight):
        query = select(func.min(t.c.end_at), func.max(t.c.end_at)).where(
            t.c.meter_id == span.meter_id, t.c.end_at > span.start
        )
        if span.end is not None:
            query = query.where(t.c.end_at <= span.end)
        low, high = session.execute(query).one()
        if low is not None:
            lows.append(low)
            highs.append(high)
    return (min(lows), max(highs)) if lows else (None, None)


def first_profile_end(session: Session, sight: Sight) -> dt.datetime | None:
    """The earliest stored interval the caller may see (the date pickers' floor)."""
    return profile_bounds(session, sight)[0]


def last_profile_end(session: Session, sight: Sight) -> dt.datetime | None:
    """The latest stored interval the caller may see (freshness, the screens' default day)."""
    return profile_bounds(session, sight)[1]

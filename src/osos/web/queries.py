"""What the panel screens show, as frozen values; the SQL of the web layer lives here only.

Consumption and month figures come from the data-management layer (``osos.mdm.service``);
this module adds what is the panel's own: readouts, phases, visibility windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.access import ServicePointView, within_supply
from osos.channels import BY_OBIS, from_milli
from osos.mdm.service import ConsumptionInterval, interval_consumption
from osos.store.models import (
    Installation,
    Readout,
    ReadoutValue,
    profile_intervals,
)
from osos.timeutil import LOCAL_TZ, UTC

QUARTER = dt.timedelta(minutes=15)
INDEX_REGISTERS = ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "8.8.0")
PHASES = (("L1", "32.7.0", "31.7.0"), ("L2", "52.7.0", "51.7.0"), ("L3", "72.7.0", "71.7.0"))


Interval = ConsumptionInterval


@dataclass(frozen=True)
class Span:
    meter_id: int
    serial: str
    start: dt.datetime
    end: dt.datetime | None
    multiplier: Decimal


@dataclass(frozen=True)
class ReadoutLine:
    obis: str
    address: str
    value: str
    number: Decimal | None
    unit: str | None
    value_time: dt.datetime | None

    @property
    def quantity(self) -> Decimal | None:
        """The value as a number when it is a measurement; status words and event registers
        that only look numeric (``06001700220099999999…``) stay text."""
        if (
            self.unit is None
            or self.number is None
            or not self.number.is_finite()
            or abs(self.number) >= 10**12
        ):
            return None  # serial numbers, counters, status words: the meter's text
        return self.number

    @property
    def places(self) -> int:
        """As many decimals as the meter sent (119200.831 → 3, 15 → 0)."""
        if self.number is None or not self.number.is_finite():
            return 0
        exponent = self.number.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class ReadoutView:
    id: int
    read_at: dt.datetime
    meter_serial: str
    lines: tuple[ReadoutLine, ...]


@dataclass(frozen=True)
class PhaseRow:
    end: dt.datetime
    voltages: tuple[Decimal | None, ...]
    currents: tuple[Decimal | None, ...]
    source: str


def spans(session: Session, service_point_id: int) -> list[Span]:
    rows = session.scalars(
        select(Installation)
        .where(Installation.service_point_id == service_point_id)
        .order_by(Installation.installed_at)
    )
    return [
        Span(i.meter_id, i.meter.serial, i.installed_at, i.removed_at, i.multiplier) for i in rows
    ]


def intervals(
    session: Session, sp: ServicePointView, start: dt.datetime, end: dt.datetime, minutes: int
) -> list[Interval]:
    """Consumption per interval in [start, end) from the MDM, gaps as 'missing' rows."""
    return interval_consumption(session, sp.id, start, end, minutes=minutes)


def clipped_intervals(
    session: Session,
    sp: ServicePointView,
    parts: Sequence[tuple[dt.datetime, dt.datetime]],
    minutes: int,
) -> list[Interval]:
    rows: list[Interval] = []
    for lo, hi in parts:
        rows.extend(intervals(session, sp, lo, hi, minutes))
    return rows


def bucketed_intervals(
    session: Session,
    sp: ServicePointView,
    parts: Sequence[tuple[dt.datetime, dt.datetime]],
    minutes: int,
) -> list[Interval]:
    """Rows of ``minutes`` for whole buckets, and quarters for the partial edges of a range
    that does not start or end on a bucket boundary — so any range sums exactly."""
    if minutes == 15:
        return clipped_intervals(session, sp, parts, 15)
    step = dt.timedelta(minutes=minutes)
    rows: list[Interval] = []
    for lo, hi in parts:
        first = _ceil(lo, step)
        last = _floor(hi, step)
        if first >= last:
            rows.extend(intervals(session, sp, lo, hi, 15))
            continue
        if lo < first:
            rows.extend(intervals(session, sp, lo, first, 15))
        rows.extend(intervals(session, sp, first, last, minutes))
        if last < hi:
            rows.extend(intervals(session, sp, last, hi, 15))
    return rows


def _floor(at: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """Down to a bucket boundary of local time (Turkey's offsets are whole hours)."""
    local = at.astimezone(LOCAL_TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    buckets = (local - midnight) // step
    return (midnight + buckets * step).astimezone(UTC)


def _ceil(at: dt.datetime, step: dt.timedelta) -> dt.datetime:
    floor = _floor(at, step)
    return floor if floor == at else floor + step


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


def _meters_at(session: Session, service_point_id: int) -> dict[int, str]:
    return {s.meter_id: s.serial for s in spans(session, service_point_id)}


def readout_dates(
    session: Session,
    sp: ServicePointView,
    parts: Sequence[tuple[dt.datetime, dt.datetime]],
    limit: int = 60,
) -> list[tuple[int, dt.datetime]]:
    """Earlier readouts (id, time), newest first, inside the visible windows."""
    meters = _meters_at(session, sp.id)
    if not meters or not parts:
        return []
    rows = session.execute(
        select(Readout.id, Readout.read_at)
        .where(Readout.meter_id.in_(meters), Readout.kind == "readout")
        .order_by(Readout.read_at.desc())
        .limit(limit * 4)
    ).all()
    visible = [(r[0], r[1]) for r in rows if any(lo <= r[1] < hi for lo, hi in parts)]
    return visible[:limit]


def readout(
    session: Session,
    sp: ServicePointView,
    readout_id: int | None,
    parts: Sequence[tuple[dt.datetime, dt.datetime]],
) -> ReadoutView | None:
    """One readout of the point's meters (the latest visible one when no id is given), without
    the frozen values of billing periods that ended outside ``parts``."""
    meters = _meters_at(session, sp.id)
    dates = readout_dates(session, sp, parts, limit=1000 if readout_id else 1)
    wanted = (
        next((d for d in dates if d[0] == readout_id), None)
        if readout_id
        else (dates[0] if dates else None)
    )
    if wanted is None:
        return None
    head = session.get(Readout, wanted[0])
    assert head is not None
    lines = session.scalars(
        select(ReadoutValue).where(ReadoutValue.readout_id == head.id).order_by(ReadoutValue.id)
    )
    all_lines = [
        ReadoutLine(v.obis, v.address, v.value, v.number, v.unit, v.value_time) for v in lines
    ]
    return ReadoutView(
        head.id,
        head.read_at,
        meters.get(head.meter_id, ""),
        tuple(within_supply(all_lines, head.read_at, parts)),
    )


def phase_rows(
    session: Session, sp: ServicePointView, parts: Sequence[tuple[dt.datetime, dt.datetime]]
) -> list[PhaseRow]:
    """Voltages and currents per phase from the profile, in the visible ranges."""
    t = profile_intervals
    result: list[PhaseRow] = []
    for span in spans(session, sp.id):
        for lo, hi in parts:
            a = max(lo, span.start)
            b = hi if span.end is None else min(hi, span.end)
            if a >= b:
                continue
            for r in session.execute(
                select(t)
                .where(t.c.meter_id == span.meter_id, t.c.end_at > a, t.c.end_at <= b)
                .order_by(t.c.end_at)
            ):
                volts = tuple(_milli(getattr(r, BY_OBIS[v].column)) for _, v, _ in PHASES)
                amps = tuple(_milli(getattr(r, BY_OBIS[c].column)) for _, _, c in PHASES)
                result.append(PhaseRow(r.end_at, volts, amps, str(r.source)))
    return result


def _milli(value: int | None) -> Decimal | None:
    return None if value is None else from_milli(value)


def last_profile_end(session: Session, sp: ServicePointView) -> dt.datetime | None:
    if sp.meter_id is None:
        return None
    t = profile_intervals
    value: dt.datetime | None = session.scalar(
        select(func.max(t.c.end_at)).where(t.c.meter_id == sp.meter_id)
    )
    return value


def first_profile_end(session: Session, sp: ServicePointView) -> dt.datetime | None:
    """The earliest stored interval of any meter the point has had (the date pickers' floor)."""
    meters = [span.meter_id for span in spans(session, sp.id)]
    if not meters:
        return None
    t = profile_intervals
    value: dt.datetime | None = session.scalar(
        select(func.min(t.c.end_at)).where(t.c.meter_id.in_(meters))
    )
    return value


def local_day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)


def month_start(year: int, month: int) -> dt.datetime:
    return dt.datetime(year, month, 1, tzinfo=LOCAL_TZ).astimezone(UTC)


def add_months(at: dt.datetime, months: int) -> dt.datetime:
    local = at.astimezone(LOCAL_TZ)
    index = local.year * 12 + local.month - 1 + months
    return month_start(index // 12, index % 12 + 1)

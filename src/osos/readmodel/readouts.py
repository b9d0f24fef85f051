"""Readouts of a service point: what its meters sent while installed there, inside the caller's
windows, without the frozen values of billing periods outside them.

A meter's readouts belong to a service point only while the meter is installed there: a meter
moved to another point brings none of its earlier readouts with it. A readout inside a
supplier's dates still carries the frozen values of earlier billing periods (``1.8.0*1``,
``1.6.0*2``, ``0.1.2*n``); :func:`within_supply` drops those whose period ended outside the
windows, for every screen, file and API that shows readout values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from osos.obis import base_obis, billing_period
from osos.protocol.iec62056_21.errors import TimestampError
from osos.protocol.iec62056_21.timestamps import parse_timestamp
from osos.readmodel.access import Sight, Window, clip_range, inside
from osos.store.models import Installation, Meter, Readout, ReadoutValue
from osos.timeutil import UTC, month_start_before

MAX_VALUES = 20000  # values per read, so one request cannot ask for the whole table
QUANTITY_LIMIT = 10**12  # larger "numbers" are serials, counters and status words


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
            or abs(self.number) >= QUANTITY_LIMIT
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


RESET_TIME = "0.1.2"
"""The register whose ``*n`` value is the time of the n-th last billing reset."""


class RegisterValue(Protocol):
    """One value of a readout, as the panel's lines and the API's rows both carry it."""

    @property
    def obis(self) -> str: ...

    @property
    def value(self) -> str: ...

    @property
    def value_time(self) -> dt.datetime | None: ...


V = TypeVar("V", bound=RegisterValue)


def reset_times(values: Iterable[RegisterValue]) -> dict[int, dt.datetime]:
    """The billing resets a readout states (``0.1.2*n``): n → when, UTC."""
    found: dict[int, dt.datetime] = {}
    for v in values:
        n = billing_period(v.obis)
        if n is None or base_obis(v.obis) != RESET_TIME:
            continue
        when = v.value_time
        if when is None:  # most meters write the reset time as the value itself
            try:
                when = parse_timestamp(v.value)
            except TimestampError:
                continue
        if when is not None:
            found[n] = when.astimezone(UTC)
    return found


def billing_period_end(n: int, read_at: dt.datetime, resets: dict[int, dt.datetime]) -> dt.datetime:
    """When the period of ``*n`` values ended: the reset the meter states, else the local month
    start ``n - 1`` months before the read (Turkish meters reset at 00:00 on day 1)."""
    return resets.get(n) or month_start_before(read_at, n - 1)


def within_supply(values: Sequence[V], read_at: dt.datetime, windows: Sequence[Window]) -> list[V]:
    """The values of one readout (taken at ``read_at``) whose period the windows cover.

    Current values follow the readout (the caller checks ``read_at``); a frozen value ``*n`` is
    kept only when its billing period ended inside a window, and the time the meter stamped on
    it (a freeze time, or the peak of a demand register) lies inside one too — a supplier does
    not see the months, nor a peak, before it supplied the point. With the unbounded window of
    a subscriber, all stay.
    """
    resets = reset_times(values)

    def covered(at: dt.datetime) -> bool:
        return any(lo < at and (hi is None or at <= hi) for lo, hi in windows)

    kept: list[V] = []
    for v in values:
        n = billing_period(v.obis)
        if n is None or (
            covered(billing_period_end(n, read_at, resets))
            and (v.value_time is None or covered(v.value_time))
        ):
            kept.append(v)
    return kept


# --------------------------------------------------------------------------------------------
# Reads


def _installed(sight: Sight, read_at: Any, meter_id: Any) -> Any:
    """SQL: the meter was installed at the sight's point when it was read."""
    return and_(
        Installation.meter_id == meter_id,
        Installation.service_point_id == sight.point.id,
        Installation.at(read_at),
    )


def readout_dates(session: Session, sight: Sight, limit: int = 60) -> list[tuple[int, dt.datetime]]:
    """The readouts (id, time) of the point inside the windows, newest first."""
    rows = session.execute(
        select(Readout.id, Readout.read_at)
        .join(Installation, _installed(sight, Readout.read_at, Readout.meter_id))
        .where(Readout.kind == "readout", inside(Readout.read_at, sight.windows))
        .order_by(Readout.read_at.desc(), Readout.id.desc())
        .limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]


def readout(session: Session, sight: Sight, readout_id: int | None = None) -> ReadoutView | None:
    """One readout of the point (the latest when no id is given), None when it is not one the
    caller may see; without the frozen values of billing periods outside the windows."""
    query = (
        select(Readout.id, Readout.read_at, Meter.serial)
        .join(Installation, _installed(sight, Readout.read_at, Readout.meter_id))
        .join(Meter, Meter.id == Readout.meter_id)
        .where(Readout.kind == "readout", inside(Readout.read_at, sight.windows))
    )
    if readout_id is not None:
        query = query.where(Readout.id == readout_id)
    head = session.execute(query.order_by(Readout.read_at.desc(), Readout.id.desc())).first()
    if head is None:
        return None
    values = session.scalars(
        select(ReadoutValue).where(ReadoutValue.readout_id == head[0]).order_by(ReadoutValue.id)
    )
    lines = [
        ReadoutLine(v.obis, v.address, v.value, v.number, v.unit, v.value_time) for v in values
    ]
    return ReadoutView(
        head[0], head[1], head[2], tuple(within_supply(lines, head[1], sight.windows))
    )


def readouts(
    session: Session, sight: Sight, start: dt.datetime, end: dt.datetime, limit: int = MAX_VALUES
) -> list[ReadoutView]:
    """Every readout of the point in [start, end) and inside the windows, oldest first, with
    its values in the order the meter sent them (at most ``limit`` values in all)."""
    parts = clip_range(sight.windows, start, end)
    if not parts:
        return []
    t = ReadoutValue
    rows = session.execute(
        select(t.readout_id, t.read_at, Meter.serial, t.obis, t.address, t.value, t.number)
        .add_columns(t.unit, t.value_time)
        .join(Installation, _installed(sight, t.read_at, t.meter_id))
        .join(Meter, Meter.id == t.meter_id)
        .where(inside(t.read_at, [(lo, hi) for lo, hi in parts]))
        .order_by(t.read_at, t.readout_id, t.id)
        .limit(limit)
    ).all()
    grouped: dict[int, tuple[dt.datetime, str, list[ReadoutLine]]] = {}
    for r in rows:
        entry = grouped.setdefault(r[0], (r[1], r[2], []))
        entry[2].append(ReadoutLine(*r[3:]))
    return [
        ReadoutView(rid, read_at, serial, tuple(within_supply(lines, read_at, sight.windows)))
        for rid, (read_at, serial, lines) in grouped.items()
    ]

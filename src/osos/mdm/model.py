"""Frozen values the MDM computations take and give: no SQL, no ORM rows.

Register values are integer milli-units (see :mod:`osos.channels`); times are aware UTC.
A meter's load profile is kept column-wise (:class:`ProfileSeries`) because a month is
2,976 rows per meter and the monthly run touches every one of them.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from osos.channels import BY_OBIS
from osos.timeutil import local_iso

INTERVAL = dt.timedelta(minutes=15)

# The registers of the monthly determinants (the report's keys, in this order).
REGISTERS: tuple[str, ...] = ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "8.8.0")
TARIFF_REGISTERS: tuple[str, ...] = ("1.8.1", "1.8.2", "1.8.3")
# Profile columns the MDM reads: the index registers plus the average-power channels.
PROFILE_OBIS: tuple[str, ...] = (*REGISTERS, "1.6.0", "2.6.0")
PROFILE_COLUMNS: tuple[str, ...] = tuple(BY_OBIS[o].column for o in PROFILE_OBIS)

Source = Literal["actual", "estimated", "edited", "missing"]


def plain(value: Decimal) -> str:
    """A Decimal as exact fixed-point text, never in exponent form (``1E+1`` → ``10``)."""
    return format(value, "f")


def milli_text(value: int | None) -> str | None:
    return None if value is None else plain(Decimal(value).scaleb(-3))


def sum_or_none(values: Sequence[Decimal | None]) -> Decimal | None:
    """The exact sum, or None when any part is unknown (a total is never guessed)."""
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


@dataclass(frozen=True)
class ProfileSeries:
    """One meter's stored intervals, sorted by end time, one tuple per column.

    ``columns`` maps OBIS code → values in milli-units (None where the meter has no value).
    """

    ends: tuple[dt.datetime, ...] = ()
    columns: Mapping[str, tuple[int | None, ...]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    statuses: tuple[str | None, ...] = ()

    def __len__(self) -> int:
        return len(self.ends)

    def position(self, at: dt.datetime) -> int | None:
        """Index of the row ending exactly at ``at``, or None."""
        i = bisect_left(self.ends, at)
        return i if i < len(self.ends) and self.ends[i] == at else None

    def value(self, obis: str, at: dt.datetime) -> tuple[int, str] | None:
        """The register at ``at`` and the row's source, when that row holds it."""
        i = self.position(at)
        if i is None:
            return None
        column = self.columns.get(obis)
        if column is None or column[i] is None:
            return None
        value = column[i]
        assert value is not None
        return value, self.sources[i]

    def window(self, start: dt.datetime, end: dt.datetime) -> range:
        """Row positions with ``start < end_at <= end`` (the intervals inside the range)."""
        return range(bisect_right(self.ends, start), bisect_right(self.ends, end))

    def has(self, obis: str) -> bool:
        column = self.columns.get(obis)
        return column is not None and any(v is not None for v in column)


@dataclass(frozen=True)
class RegisterRead:
    """One register value from a readout (``obis`` normalised, may carry ``*1``)."""

    read_at: dt.datetime
    obis: str
    value: Decimal
    value_time: dt.datetime | None = None
    readout_id: int | None = None


@dataclass(frozen=True)
class MeterData:
    """What the computations may know about one meter over a window."""

    meter_id: int
    serial: str
    profile: ProfileSeries = field(default_factory=ProfileSeries)
    reads: tuple[RegisterRead, ...] = ()  # sorted by read_at


@dataclass(frozen=True)
class InstallationSpan:
    """A meter at the service point with one multiplier (an ``installations`` row)."""

    meter_id: int
    meter_serial: str
    installed_at: dt.datetime
    removed_at: dt.datetime | None
    multiplier: Decimal
    install_index: Mapping[str, int] = field(default_factory=dict)  # milli-units (JSON column)
    removal_index: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexValue:
    """A register value at an instant and where it came from.

    ``origin``: frozen (the meter's ``*1`` billing register), profile, readout, install,
    removal, interpolated. ``estimated`` is what every viewer must be told.
    """

    value: int  # milli-units
    origin: str
    estimated: bool

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.value).scaleb(-3)


@dataclass(frozen=True)
class Demand:
    """A maximum demand (kW, after the multiplier) and when it occurred."""

    value: Decimal
    time: dt.datetime
    origin: str  # readout | profile
    estimated: bool = False

    def to_json(self) -> dict[str, str | None]:
        return {"value": plain(self.value), "time": local_iso(self.time)}

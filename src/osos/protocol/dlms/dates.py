"""COSEM date-time, date and time (Blue Book 4.1.6.1): every raw field kept.

0xFF (0xFFFF for the year) means "not specified"; the deviation is in minutes with
``UTC = local + deviation`` (a meter on Turkish time sends -180, one on CET -60; confirmed by
the Sagemcom AT and Iskra SI captures), 0x8000 when not specified. Conversion to aware UTC
is done here, once, with the meter profile's deviation standing in for a missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from .errors import DecodeError

NOT_SPECIFIED: Final = 0xFF
YEAR_NOT_SPECIFIED: Final = 0xFFFF
DEVIATION_NOT_SPECIFIED: Final = -0x8000
STATUS_DST: Final = 0x80  # clock status bit 7: daylight saving active
STATUS_INVALID: Final = 0x01
STATUS_DOUBTFUL: Final = 0x02


def _check(data: bytes, size: int, what: str) -> None:
    if len(data) != size:
        raise DecodeError(what, len(data), f"{size} bytes, got {len(data)}")


@dataclass(frozen=True)
class Date:
    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED

    def to_bytes(self) -> bytes:
        return self.year.to_bytes(2, "big") + bytes((self.month, self.day, self.weekday))

    @classmethod
    def from_bytes(cls, data: bytes) -> Date:
        _check(data, 5, "date")
        return cls(int.from_bytes(data[:2], "big"), data[2], data[3], data[4])

    def __repr__(self) -> str:
        return f"Date({self.year:04d}-{self.month:02d}-{self.day:02d} wd {self.weekday})"


@dataclass(frozen=True)
class Time:
    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED

    def to_bytes(self) -> bytes:
        return bytes((self.hour, self.minute, self.second, self.hundredths))

    @classmethod
    def from_bytes(cls, data: bytes) -> Time:
        _check(data, 4, "time")
        return cls(data[0], data[1], data[2], data[3])

    def __repr__(self) -> str:
        return f"Time({self.hour:02d}:{self.minute:02d}:{self.second:02d}.{self.hundredths:02d})"


@dataclass(frozen=True)
class DateTime:
    """A COSEM date-time. ``deviation``: minutes, UTC = local + deviation."""

    date: Date = Date()
    time: Time = Time()
    deviation: int = DEVIATION_NOT_SPECIFIED
    status: int = NOT_SPECIFIED

    def to_bytes(self) -> bytes:
        return (
            self.date.to_bytes()
            + self.time.to_bytes()
            + self.deviation.to_bytes(2, "big", signed=True)
            + bytes((self.status,))
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> DateTime:
        _check(data, 12, "date-time")
        return cls(
            Date.from_bytes(data[:5]),
            Time.from_bytes(data[5:9]),
            int.from_bytes(data[9:11], "big", signed=True),
            data[11],
        )

    @property
    def specified(self) -> bool:
        d, t = self.date, self.time
        return d.year != YEAR_NOT_SPECIFIED and NOT_SPECIFIED not in (
            d.month,
            d.day,
            t.hour,
            t.minute,
        )

    def local(self) -> dt.datetime:
        """The naive wall-clock time the meter wrote (unspecified seconds read as 0)."""
        d, t = self.date, self.time
        second = 0 if t.second == NOT_SPECIFIED else t.second
        hundredths = 0 if t.hundredths == NOT_SPECIFIED else t.hundredths
        try:
            day = dt.datetime(d.year, d.month, d.day, t.hour, t.minute, second)
            return day + dt.timedelta(milliseconds=hundredths * 10)
        except ValueError:
            raise DecodeError("date-time", 0, f"a valid calendar time, got {self!r}") from None

    def to_utc(self, default_deviation: int | None = None) -> dt.datetime | None:
        """Aware UTC, or None when the date-time is not specified. A missing deviation is
        taken from ``default_deviation`` (the meter profile's); without one it is refused."""
        if not self.specified:
            return None
        deviation = self.deviation
        if deviation == DEVIATION_NOT_SPECIFIED:
            if default_deviation is None:
                raise DecodeError("date-time", 9, "a deviation (none given, no default)")
            deviation = default_deviation
        if not -840 <= deviation <= 840:
            raise DecodeError("date-time", 9, f"a deviation within ±840 min, got {deviation}")
        return (self.local() + dt.timedelta(minutes=deviation)).replace(tzinfo=dt.UTC)

    @classmethod
    def from_utc(cls, when: dt.datetime, deviation: int, status: int = 0) -> DateTime:
        """The date-time a meter with ``deviation`` writes for the instant ``when``."""
        local = when.astimezone(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=deviation)
        return cls(
            Date(local.year, local.month, local.day, local.isoweekday()),
            Time(local.hour, local.minute, local.second, local.microsecond // 10_000),
            deviation,
            status,
        )

    def __repr__(self) -> str:
        d, t = self.date, self.time
        return (
            f"DateTime({d.year:04d}-{d.month:02d}-{d.day:02d} {t.hour:02d}:{t.minute:02d}:"
            f"{t.second:02d} dev {self.deviation} st 0x{self.status:02X})"
        )


NULL_DATETIME: Final = DateTime()

"""Time rules of osos: UTC inside, Europe/Istanbul on screen and in files people type, and the
calendar arithmetic every layer shares (months, local midnights, interval grids, tariff zones).

Turkey is UTC+3 all year since 2016, but we still go through the zone database so that
historical data (before 2016, with daylight saving) converts correctly. "Now" is never read
here: a :class:`Clock` is injected (the runtime's, or a test's :class:`FixedClock`).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

from osos.errors import InvalidInput

UTC = dt.UTC
LOCAL_TZ = ZoneInfo("Europe/Istanbul")
QUARTER = dt.timedelta(minutes=15)
DAY = dt.timedelta(days=1)
FIRST_YEAR, LAST_YEAR = 1970, 2200  # what osos accepts as a meter-data time


class Clock(Protocol):
    """Injected wherever code needs 'now', so tests can run on a simulated clock."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move: for tests and simulations."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = ensure_utc(start)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta

    def set(self, when: dt.datetime) -> None:
        self._now = ensure_utc(when)


SYSTEM_CLOCK = SystemClock()


def ensure_utc(value: dt.datetime) -> dt.datetime:
    """Aware datetime in UTC; a naive value is taken as local (Europe/Istanbul) time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def to_local(value: dt.datetime) -> dt.datetime:
    return ensure_utc(value).astimezone(LOCAL_TZ)


def parse_local(text: str) -> dt.datetime:
    """ISO 8601 text to aware UTC; without an offset it is Europe/Istanbul local time.

    Raises :class:`InvalidInput` naming the text when it is not a date or date-time, or when
    it lies outside the years osos can compute with.
    """
    text = text.strip()
    if not text:
        raise InvalidInput("empty time")
    try:
        value = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    except ValueError:
        raise InvalidInput(f"not an ISO 8601 time: {text!r}") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput(f"time {text!r} is outside {FIRST_YEAR}–{LAST_YEAR}")
    return ensure_utc(value)


def local_iso(value: dt.datetime | None) -> str | None:
    """Local time as ISO 8601 without offset (the shape of the JSON interfaces)."""
    if value is None:
        return None
    return to_local(value).replace(tzinfo=None).isoformat()


# --------------------------------------------------------------------------------------------
# The calendar: local days and months, as UTC instants


def local_date(at: dt.datetime) -> dt.date:
    """The local calendar day of an instant."""
    return at.astimezone(LOCAL_TZ).date()


def local_midnight(day: dt.date) -> dt.datetime:
    """00:00 local of ``day``, in UTC."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)


def month_start(year: int, month: int) -> dt.datetime:
    """00:00 local on day 1 of a month, in UTC."""
    return dt.datetime(year, month, 1, tzinfo=LOCAL_TZ).astimezone(UTC)


def month_start_before(at: dt.datetime, months_back: int = 0) -> dt.datetime:
    """The local month start at or before ``at``, ``months_back`` months earlier."""
    return add_months(at, -months_back)


def add_months(at: dt.datetime, months: int) -> dt.datetime:
    """The local month start of ``at``'s month moved by ``months`` (negative: back)."""
    local = at.astimezone(LOCAL_TZ)
    index = local.year * 12 + local.month - 1 + months
    return month_start(index // 12, index % 12 + 1)


def next_month_start(at: dt.datetime) -> dt.datetime:
    return add_months(at, 1)


def is_month_start(at: dt.datetime) -> bool:
    local = at.astimezone(LOCAL_TZ)
    return local.day == 1 and local.time() == dt.time(0)


def period_of(at: dt.datetime) -> str:
    """The billing period (local month) an instant falls in, as ``YYYY-MM``."""
    local = at.astimezone(LOCAL_TZ)
    return f"{local.year:04d}-{local.month:02d}"


def month_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """'YYYY-MM' → (start, end) in UTC, local midnight of day 1 to local midnight of next month.

    Raises :class:`InvalidInput` naming the text when it is not such a month.
    """
    text = period.strip()
    head, sep, tail = text.partition("-")
    if not (sep and head.isascii() and tail.isascii() and head.isdigit() and tail.isdigit()):
        raise InvalidInput(f"period must be YYYY-MM, got {period!r}")
    year, month = int(head), int(tail)
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12 and len(tail) == 2):
        raise InvalidInput(f"period must be YYYY-MM, got {period!r}")
    start = month_start(year, month)
    return start, next_month_start(start)


# --------------------------------------------------------------------------------------------
# Interval grids (local: Turkey's offsets are whole hours, so quarters and hours agree)


def floor_to(at: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """Down to a boundary of ``step`` on the local day's grid (15 min, 1 h, 1 day)."""
    local = at.astimezone(LOCAL_TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + ((local - midnight) // step) * step).astimezone(UTC)


def ceil_to(at: dt.datetime, step: dt.timedelta) -> dt.datetime:
    floor = floor_to(at, step)
    return floor if floor == at else floor + step


def quarter_floor(at: dt.datetime) -> dt.datetime:
    """The start of the 15-minute interval ``at`` lies in."""
    return floor_to(at, QUARTER)


# --------------------------------------------------------------------------------------------
# Tariff zones of three-time meters (EPDK Board decision 6561, 27.10.2016), all year:
# T1 day 06–17, T2 peak 17–22, T3 night 22–06, local time; an interval counts to the zone of
# its start.

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

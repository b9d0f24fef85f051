"""Time rules of osos: UTC inside, Europe/Istanbul on screen and in files people type.

Turkey is UTC+3 all year since 2016, but we still go through the zone database so that
historical data (before 2016, with daylight saving) converts correctly.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

UTC = dt.UTC
LOCAL_TZ = ZoneInfo("Europe/Istanbul")


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


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


def ensure_utc(value: dt.datetime) -> dt.datetime:
    """Aware datetime in UTC; a naive value is taken as local (Europe/Istanbul) time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def to_local(value: dt.datetime) -> dt.datetime:
    return ensure_utc(value).astimezone(LOCAL_TZ)


def parse_local(text: str) -> dt.datetime:
    """ISO 8601 text to aware UTC; without an offset it is Europe/Istanbul local time.

    Raises ValueError with the offending text when it is not a date or date-time.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty time")
    try:
        value = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from None
    return ensure_utc(value)


def local_iso(value: dt.datetime | None) -> str | None:
    """Local time as ISO 8601 without offset (the shape of the JSON interfaces)."""
    if value is None:
        return None
    return to_local(value).replace(tzinfo=None).isoformat()


def month_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """'YYYY-MM' → (start, end) in UTC, local midnight of day 1 to local midnight of next month."""
    try:
        year, month = (int(p) for p in period.split("-"))
        start = dt.datetime(year, month, 1, tzinfo=LOCAL_TZ)
    except (ValueError, TypeError):
        raise ValueError(f"period must be YYYY-MM, got {period!r}") from None
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)

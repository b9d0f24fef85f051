"""Meter time stamps → aware datetimes; the one place that decides the meter's clock quirks.

Meters write local wall-clock time (Europe/Istanbul) in several forms; VDEW forms may carry
a season digit (0 winter, 1 summer, 2 UTC). ``00-00-00,00:00`` (and all-zero digit forms)
means "never happened" and gives None, never an error.
"""

from __future__ import annotations

import datetime as dt
import re

from osos.timeutil import LOCAL_TZ, UTC

from .errors import TimestampError

_DASHED = re.compile(
    r"(?P<year>[0-9]{2}|[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[, ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?"
)
_CLOCK = re.compile(r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?")
_DIGIT_FORMS = frozenset({6, 10, 11, 12, 13})
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def meter_time(naive: dt.datetime, season: str | None = None) -> dt.datetime:
    """A meter's wall-clock reading → aware datetime (local zone; UTC for season 2).

    With season 0 (winter) the second of two ambiguous autumn hours is meant (fold=1).
    """
    if season == "2":
        return naive.replace(tzinfo=UTC)
    return naive.replace(tzinfo=LOCAL_TZ, fold=1 if season == "0" else 0)


def _zone(season: str | None) -> tuple[dt.tzinfo, int]:
    if season == "2":
        return UTC, 0
    return LOCAL_TZ, 1 if season == "0" else 0


def build_time(
    text: str,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    season: str | None = None,
) -> dt.datetime | None:
    """Fields as the meter wrote them → aware datetime (as :func:`meter_time`); None for the
    all-zero null time; :class:`TimestampError` naming ``text`` when the date is impossible."""
    if year == month == day == hour == minute == second == 0:
        return None
    if year < 100:
        year += 2000
    zone, fold = _zone(season)
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold)
    except ValueError:
        raise TimestampError(f"not a valid date/time: {text!r}") from None


def _refuse(text: str, value: str, what: str) -> TimestampError:
    """The error for a text that is no time stamp; names a non-ASCII character (``²``, an
    Arabic-Indic digit) by position, since it looks like a digit to a reader but is not one."""
    bad = _NON_ASCII.search(value)
    if bad is not None:
        offset = text.find(bad[0])
        return TimestampError(
            f"not {what}: {text!r} (character {bad[0]!r} at position {offset} "
            "is not an ASCII digit)"
        )
    return TimestampError(f"not {what}: {text!r}")


def parse_timestamp(text: str) -> dt.datetime | None:
    """Parse one time stamp into an aware datetime (meter's zone, see :func:`meter_time`).

    None for the null time; TimestampError when the text is not a time stamp (digits are
    ASCII only: ``int()`` would take ``²`` or ``٣`` as digits, a meter never sends them).

    Forms: ``YYMMDDhhmm``, ``YYMMDDhhmmss``, ``sYYMMDDhhmm``, ``sYYMMDDhhmmss`` (with
    season digit), ``YYMMDD``, ``yy-mm-dd,hh:mm[:ss]``, ``yy-mm-dd hh:mm``, ``yy-mm-dd``,
    ``yyyy-mm-dd``.
    """
    value = text.strip()
    if not value.isascii():
        raise _refuse(text, value, "a time stamp")
    if value.isdigit() and len(value) in _DIGIT_FORMS:
        season: str | None = None
        if len(value) in (11, 13):
            season, value = value[0], value[1:]
            if season not in "012":
                raise TimestampError(f"season digit must be 0, 1 or 2: {text!r}")
        if len(value) == 6:
            return build_time(text, int(value[:2]), int(value[2:4]), int(value[4:6]))
        return build_time(
            text,
            int(value[:2]),
            int(value[2:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[8:10]),
            int(value[10:12]) if len(value) == 12 else 0,
            season,
        )
    if match := _DASHED.fullmatch(value):
        year, month, day, hour, minute, second = match.groups()
        return build_time(
            text,
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
    raise TimestampError(f"not a time stamp: {text!r}")


def parse_time_range(text: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``yy-mm-dd,hh:mm,yy-mm-dd,hh:mm`` (an event's start and end in one value)."""
    parts = text.split(",")
    if len(parts) != 4:
        raise TimestampError(f"not a start,end pair: {text!r}")
    return (
        parse_timestamp(parts[0] + "," + parts[1]),
        parse_timestamp(parts[2] + "," + parts[3]),
    )


def parse_clock(text: str) -> dt.time:
    """``hh:mm[:ss]`` or ``hhmmss`` (meter time of day, ``0.9.1``)."""
    value = text.strip()
    if not value.isascii():
        raise _refuse(text, value, "a time of day")
    match = _CLOCK.fullmatch(value)
    try:
        if match:
            return dt.time(int(match["hour"]), int(match["minute"]), int(match["second"] or 0))
        if value.isdigit() and len(value) in (4, 6):
            return dt.time(int(value[:2]), int(value[2:4]), int(value[4:6] or 0))
    except ValueError:
        raise TimestampError(f"not a valid time of day: {text!r}") from None
    raise TimestampError(f"not a time of day: {text!r}")


def parse_date(text: str) -> dt.date | None:
    """``yy-mm-dd`` / ``yyyy-mm-dd`` / ``YYMMDD`` (meter date, ``0.9.2``); None if all zero."""
    value = text.strip()
    if not value.isascii():
        raise _refuse(text, value, "a date")
    if not (_DASHED.fullmatch(value) or (value.isdigit() and len(value) == 6)) or (":" in value):
        raise TimestampError(f"not a date: {text!r}")
    stamp = parse_timestamp(value)
    return None if stamp is None else stamp.date()


def format_vdew(when: dt.datetime | None, *, season: bool = True, seconds: bool = False) -> str:
    """``sYYMMDDhhmm[ss]`` in local time (season digit 0, Turkey keeps no DST); '' for None."""
    if when is None:
        return ""
    local = when.astimezone(LOCAL_TZ) if when.tzinfo else when
    text = local.strftime("%y%m%d%H%M%S" if seconds else "%y%m%d%H%M")
    if season:
        summer = bool(local.dst()) if local.tzinfo else False
        text = ("1" if summer else "0") + text
    return text

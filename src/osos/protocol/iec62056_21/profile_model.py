"""Load-profile values and layouts (P.01 …): records, channels, the two response layouts, the
request format and the encoder the simulator answers with. Parsing is :mod:`.profile`.

Layouts are data (see :mod:`.meter_profiles`), not branches on the maker:

* :class:`HeaderLayout` — VDEW / IEC 62056-21 annex form: a header
  ``P.01(sYYMMDDhhmm[ss])(status)(period)(n)(OBIS1)(unit1)…`` then one line of ``n`` values per
  interval. The header time is the stamp of the first record; each following record is
  ``period`` minutes later. A new header starts whenever status or clock changes.
* :class:`RowLayout` — every row carries its own time stamp and a fixed channel list, e.g.
  Makel ``(yyMMddhhmm)(1.8.0)(2.8.0)(5.8.0)(6.8.0)(7.8.0)(8.8.0)(status1)(status2)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from osos.timeutil import LOCAL_TZ

from .errors import ProfileError, TimestampError
from .timestamps import format_vdew, parse_timestamp


@dataclass(frozen=True)
class Channel:
    """One profile channel: OBIS as the meter writes it, and its unit (None when absent)."""

    obis: str
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileRecord:
    """One interval: its time stamp (aware, meter zone), values per OBIS, and status text."""

    time: dt.datetime
    values: Mapping[str, Decimal] = field(default_factory=dict)
    status: str | None = None

    def value_texts(self) -> dict[str, str]:
        """Values as exact decimal strings (``Decimal`` → ``'0.18374'``, never exponent form)."""
        return {obis: format(value, "f") for obis, value in self.values.items()}


@dataclass(frozen=True)
class LoadProfile:
    """Parsed or to-be-encoded profile: channels, period (minutes, None if unknown), records."""

    address: str = "P.01"
    channels: tuple[Channel, ...] = ()
    period: int | None = 15
    records: tuple[ProfileRecord, ...] = ()


@dataclass(frozen=True)
class HeaderLayout:
    """VDEW header form. ``status_width`` and ``seconds`` only matter when encoding."""

    status_width: int = 8
    seconds: bool = True
    season: bool = True


@dataclass(frozen=True)
class RowLayout:
    """Per-row time stamps. ``channels`` empty: name values by position (``ch1``, ``ch2``…)."""

    time_groups: int = 1
    channels: tuple[Channel, ...] = ()
    status_groups: int = 0
    period: int | None = 15
    time_format: str = "%y%m%d%H%M"

    @property
    def width(self) -> int | None:
        """Groups per row, or None when the channel count is not fixed."""
        if not self.channels:
            return None
        return self.time_groups + len(self.channels) + self.status_groups


ProfileLayout = HeaderLayout | RowLayout


@dataclass(frozen=True)
class ProfileRequestFormat:
    """How a meter wants the P.01 range written: ``P.01(0230101000;0230102000)``,
    Makel ``P.01(2301010000;2301020000)``, MASS ``P.01(23-01-01,00:00;…)``, Luna ``P1(…)``."""

    address: str = "P.01"
    time_format: str = "%y%m%d%H%M"
    season: bool = True

    def build(self, start: dt.datetime | None, end: dt.datetime | None) -> str:
        """The ``addr(from;to)`` text; None leaves that side of the range open."""
        return f"{self.address}({self._format(start)};{self._format(end)})"

    def _format(self, when: dt.datetime | None) -> str:
        if when is None:
            return ""
        if self.season and self.time_format == "%y%m%d%H%M":
            return format_vdew(when, season=True)
        return _local_naive(when).strftime(self.time_format)


def parse_profile_request(text: str) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """``P.01(sYYMMDDhhmm;sYYMMDDhhmm)`` (any accepted time form, open ends) →
    (address, start, end). The meter side uses this to answer a profile read."""
    address, paren, rest = text.partition("(")
    if not paren or not rest.endswith(")") or ";" not in rest:
        raise ProfileError(f"profile request must be 'P.01(from;to)', got {text[:60]!r}")
    low, _, high = rest[:-1].partition(";")
    try:
        start = parse_timestamp(low) if low.strip() else None
        end = parse_timestamp(high) if high.strip() else None
    except TimestampError as exc:
        raise ProfileError(f"profile request {text[:60]!r}: {exc}") from exc
    return address.strip(), start, end


def _local_naive(when: dt.datetime) -> dt.datetime:
    """Local wall time to the second, naive (what a meter's clock shows; the VDEW text's
    fields without writing and re-reading them)."""
    local = when.astimezone(LOCAL_TZ) if when.tzinfo else when
    return local.replace(tzinfo=None, microsecond=0)


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def encode_profile(profile: LoadProfile, layout: ProfileLayout) -> str:
    """The data of a profile response (lines with CR LF, no ``!``) in the given layout.

    Header layout: a new header whenever the status changes or a record is not ``period``
    after the one before it.
    """
    lines: list[str] = []
    if isinstance(layout, HeaderLayout):
        period = profile.period or 15
        previous: ProfileRecord | None = None
        for record in profile.records:
            status = record.status if record.status is not None else "0" * layout.status_width
            contiguous = previous is not None and record.time - previous.time == dt.timedelta(
                minutes=period
            )
            if not contiguous or previous is None or previous.status != record.status:
                stamp = format_vdew(record.time, season=layout.season, seconds=layout.seconds)
                head = f"{profile.address}({stamp})({status})({period})({len(profile.channels)})"
                head += "".join(f"({c.obis})({c.unit or ''})" for c in profile.channels)
                lines.append(head)
            lines.append("".join(f"({_text(record.values.get(c.obis))})" for c in profile.channels))
            previous = record
    else:
        channels = layout.channels or profile.channels
        for number, record in enumerate(profile.records):
            stamp = _local_naive(record.time).strftime(layout.time_format)
            row = "".join(f"({part})" for part in stamp.split(",")[: layout.time_groups])
            row += "".join(f"({_text(record.values.get(c.obis))})" for c in channels)
            statuses = (record.status or "").split(",") if layout.status_groups else []
            statuses = (statuses + ["0"] * layout.status_groups)[: layout.status_groups]
            row += "".join(f"({s})" for s in statuses)
            lines.append((profile.address if number == 0 else "") + row)
    return "".join(line + "\r\n" for line in lines)

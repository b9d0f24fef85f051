"""Load profiles (P.01 …): the request, the two response layouts, and records with time stamps.

Layouts are data (see :mod:`.meter_profiles`), not branches on the maker:

* :class:`HeaderLayout` — VDEW / IEC 62056-21 annex form: a header
  ``P.01(sYYMMDDhhmm[ss])(status)(period)(n)(OBIS1)(unit1)…`` then one line of ``n`` values per
  interval. The header time is the stamp of the first record; each following record is
  ``period`` minutes later. A new header starts whenever status or clock changes.
* :class:`RowLayout` — every row carries its own time stamp and a fixed channel list, e.g.
  Makel ``(yyMMddhhmm)(1.8.0)(2.8.0)(5.8.0)(6.8.0)(7.8.0)(8.8.0)(status1)(status2)``.

Record times are the stamps the meter gives (VDEW: end of the interval). Values are Decimal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .datasets import Item, ValueGroup, normalize_number, tokenize
from .errors import ProfileError, TimestampError
from .timestamps import format_vdew, parse_timestamp


@dataclass(frozen=True)
class Channel:
    """One profile channel: OBIS as the meter writes it, and its unit (None when absent)."""

    obis: str
    unit: str | None = None


@dataclass(frozen=True)
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
        local = format_vdew(when, season=False, seconds=True)  # validates/zones the value
        naive = dt.datetime.strptime(local, "%y%m%d%H%M%S")
        return naive.strftime(self.time_format)


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


def _decimal(group: ValueGroup) -> Decimal | None:
    normalized = normalize_number(group.text)
    return None if normalized is None else Decimal(normalized)


def _header(item: Item) -> tuple[dt.datetime, str, int, tuple[Channel, ...]] | None:
    """The header fields if ``item`` has the VDEW header shape, else None."""
    groups = item.groups
    if item.address is None or len(groups) < 4:
        return None
    count, period = groups[3].text.strip(), groups[2].text.strip()
    if not (count.isdigit() and period.isdigit()) or len(groups) != 4 + 2 * int(count):
        return None
    try:
        start = parse_timestamp(groups[0].text)
    except TimestampError:
        return None
    if start is None:
        return None
    channels = tuple(
        Channel(groups[4 + 2 * k].text, groups[5 + 2 * k].text or None) for k in range(int(count))
    )
    return start, groups[1].text, int(period), channels


def is_profile_header(item: Item) -> bool:
    """True when the item is a VDEW profile header (also DSMR ``0-1:24.3.0`` gas records)."""
    return _header(item) is not None


def _row_time(item: Item, layout: RowLayout) -> dt.datetime | None:
    texts = [g.text for g in item.groups[: layout.time_groups]]
    return parse_timestamp(",".join(texts))


def detect_layout(items: Sequence[Item], candidates: Sequence[RowLayout] = ()) -> ProfileLayout:
    """Pick the layout from the first item: VDEW header, a known row width, or positional."""
    if not items:
        return HeaderLayout()
    first = items[0]
    if _header(first) is not None:
        return HeaderLayout()
    for layout in candidates:
        if layout.width == len(first.groups):
            try:
                if _row_time(first, layout) is not None:
                    return layout
            except TimestampError:
                continue
    for time_groups in (1, 2):
        try:
            if _row_time(first, RowLayout(time_groups=time_groups)) is not None:
                return RowLayout(time_groups=time_groups, period=None)
        except TimestampError:
            continue
    return HeaderLayout()


def scan_profile(
    items: Sequence[Item], layout: ProfileLayout | None = None, candidates: Sequence[RowLayout] = ()
) -> tuple[LoadProfile, list[str]]:
    """Tolerant parse of tokenised profile lines: (profile, error strings)."""
    if layout is None:
        layout = detect_layout(items, candidates)
    if isinstance(layout, HeaderLayout):
        return _scan_header(items)
    return _scan_rows(items, layout)


def _scan_header(items: Sequence[Item]) -> tuple[LoadProfile, list[str]]:
    records: list[ProfileRecord] = []
    errors: list[str] = []
    address = "P.01"
    channels: tuple[Channel, ...] = ()
    period: int | None = None
    current: tuple[dt.datetime, str, int, tuple[Channel, ...]] | None = None
    index = 0
    for item in items:
        header = _header(item)
        if header is not None:
            current, index = header, 0
            address = item.address or address
            channels = channels or header[3]
            period = period if period is not None else header[2]
            continue
        if current is None:
            errors.append(f"line {item.line}: profile values before any P.01 header")
            continue
        start, status, step, header_channels = current
        if item.address is not None:
            errors.append(f"line {item.line}: {item.address!r} is neither header nor values")
            continue
        if len(item.groups) != len(header_channels):
            errors.append(
                f"line {item.line}: {len(item.groups)} values, header announces "
                f"{len(header_channels)}"
            )
            index += 1
            continue
        values: dict[str, Decimal] = {}
        for channel, group in zip(header_channels, item.groups, strict=True):
            if not group.text.strip():
                continue
            number = _decimal(group)
            if number is None:
                errors.append(f"line {item.line}: {channel.obis} value {group.text!r} not numeric")
                continue
            values[channel.obis] = number
        try:
            when = start + dt.timedelta(minutes=step * index)
        except OverflowError:
            errors.append(f"line {item.line}: period {step} min puts the record past year 9999")
            index += 1
            continue
        records.append(ProfileRecord(when, values, status))
        index += 1
    if current is None and not errors:
        errors.append("no P.01 header found")
    return LoadProfile(address, channels, period, tuple(records)), errors


def _scan_rows(items: Sequence[Item], layout: RowLayout) -> tuple[LoadProfile, list[str]]:
    records: list[ProfileRecord] = []
    errors: list[str] = []
    address = next((i.address for i in items if i.address), "P.01")
    width = layout.width
    channels = layout.channels
    for item in items:
        groups = item.groups
        if width is not None and len(groups) != width:
            errors.append(f"line {item.line}: {len(groups)} groups, the layout has {width}")
            continue
        if len(groups) <= layout.time_groups + layout.status_groups:
            errors.append(f"line {item.line}: row without values")
            continue
        try:
            when = _row_time(item, layout)
        except TimestampError as exc:
            errors.append(f"line {item.line}: {exc}")
            continue
        if when is None:
            errors.append(f"line {item.line}: null time stamp in a profile row")
            continue
        end = len(groups) - layout.status_groups
        value_groups = groups[layout.time_groups : end]
        names = (
            [c.obis for c in channels]
            if channels
            else [f"ch{k + 1}" for k in range(len(value_groups))]
        )
        values: dict[str, Decimal] = {}
        for name, group in zip(names, value_groups, strict=True):
            if not group.text.strip():
                continue
            number = _decimal(group)
            if number is None:
                errors.append(f"line {item.line}: {name} value {group.text!r} not numeric")
                continue
            values[name] = number
        status = ",".join(g.text for g in groups[end:]) if layout.status_groups else None
        records.append(ProfileRecord(when, values, status))
    if not channels and records:
        count = max(len(r.values) for r in records)
        channels = tuple(Channel(f"ch{k + 1}") for k in range(count))
    return LoadProfile(address, channels, layout.period, tuple(records)), errors


def parse_profile(text: str, layout: ProfileLayout | None = None) -> LoadProfile:
    """Strict parse of a profile response's data (between STX and ETX); first problem raises."""
    items, errors, _complete, _trailing = tokenize(text)
    if errors:
        raise ProfileError(errors[0])
    profile, profile_errors = scan_profile(items, layout)
    if profile_errors:
        raise ProfileError(profile_errors[0])
    return profile


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
            local = format_vdew(record.time, season=False, seconds=True)
            stamp = dt.datetime.strptime(local, "%y%m%d%H%M%S").strftime(layout.time_format)
            row = "".join(f"({part})" for part in stamp.split(",")[: layout.time_groups])
            row += "".join(f"({_text(record.values.get(c.obis))})" for c in channels)
            statuses = (record.status or "").split(",") if layout.status_groups else []
            statuses = (statuses + ["0"] * layout.status_groups)[: layout.status_groups]
            row += "".join(f"({s})" for s in statuses)
            lines.append((profile.address if number == 0 else "") + row)
    return "".join(line + "\r\n" for line in lines)

"""Load profiles (P.01 …): parsing the two response layouts into records with time stamps.

The values, layouts, request format and encoder live in :mod:`.profile_model` (re-exported
here). Record times are the stamps the meter gives (VDEW: end of the interval); values are
Decimal.

A profile answer is hundreds of rows of the same shape, so the work is done per block, not
per value: the header's time is resolved once and every record's time is the header time
plus a multiple of the period; a row whose characters are all digits, points, signs and
blanks has its values turned into Decimals in one ``map`` (a malformed number makes
``Decimal`` refuse, and that row is then read group by group, naming the bad value); only
rows of unusual shape take the per-group path.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from .datasets import Item, to_decimal, tokenize
from .errors import ProfileError, TimestampError
from .profile_model import (
    Channel,
    HeaderLayout,
    LoadProfile,
    ProfileLayout,
    ProfileRecord,
    ProfileRequestFormat,
    RowLayout,
    encode_profile,
    parse_profile_request,
)
from .timestamps import parse_timestamp

__all__ = [
    "Channel",
    "HeaderLayout",
    "LoadProfile",
    "ProfileLayout",
    "ProfileRecord",
    "ProfileRequestFormat",
    "RowLayout",
    "detect_layout",
    "encode_profile",
    "is_profile_header",
    "parse_profile",
    "parse_profile_request",
    "scan_profile",
]

#: A row that holds nothing but these can go to Decimal in one step.
_NOT_NUMERIC = re.compile(r"[^0-9.+\- ()]")
_new = object.__new__
_SLOTS = vars(ProfileRecord)  # the slot descriptors of the frozen, slotted dataclass
_set_time = _SLOTS["time"].__set__
_set_values = _SLOTS["values"].__set__
_set_status = _SLOTS["status"].__set__

Header = tuple[dt.datetime, str, int, tuple[Channel, ...]]


def _record(when: dt.datetime, values: dict[str, Decimal], status: str | None) -> ProfileRecord:
    """A ProfileRecord without the frozen dataclass's per-field ``object.__setattr__`` (a
    profile makes one per row; the slots are set once, here, and never again)."""
    record: ProfileRecord = _new(ProfileRecord)
    _set_time(record, when)
    _set_values(record, values)
    _set_status(record, status)
    return record


def _ascii_int(text: str) -> int | None:
    value = text.strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _header(item: Item) -> Header | None:
    """The header fields if ``item`` has the VDEW header shape, else None."""
    if item.address is None or item.width < 4:
        return None
    texts = [inner.partition("*")[0] for inner in item.texts()]
    count, period = _ascii_int(texts[3]), _ascii_int(texts[2])
    if count is None or period is None or len(texts) != 4 + 2 * count:
        return None
    try:
        start = parse_timestamp(texts[0])
    except TimestampError:
        return None
    if start is None:
        return None
    channels = tuple(Channel(texts[4 + 2 * k], texts[5 + 2 * k] or None) for k in range(count))
    return start, texts[1], period, channels


def _not_a_header(item: Item) -> str:
    """Why an addressed item is no VDEW header (for the error that names the line)."""
    texts = [inner.partition("*")[0] for inner in item.texts()]
    if len(texts) < 4:
        return f"{len(texts)} groups, a header has at least 4"
    for name, text in (("period", texts[2]), ("channel count", texts[3])):
        if _ascii_int(text) is None:
            return f"{name} {text!r} is not a number of ASCII digits"
    count = int(texts[3])
    if len(texts) != 4 + 2 * count:
        return f"{len(texts)} groups, {4 + 2 * count} for {count} channels"
    try:
        parse_timestamp(texts[0])
    except TimestampError as exc:
        return str(exc)
    return "null start time"


def is_profile_header(item: Item) -> bool:
    """True when the item is a VDEW profile header (also DSMR ``0-1:24.3.0`` gas records)."""
    return _header(item) is not None


def _row_time(item: Item, layout: RowLayout) -> dt.datetime | None:
    texts = [inner.partition("*")[0] for inner in item.texts()[: layout.time_groups]]
    return parse_timestamp(",".join(texts))


def detect_layout(items: Sequence[Item], candidates: Sequence[RowLayout] = ()) -> ProfileLayout:
    """Pick the layout from the first item: VDEW header, a known row width, or positional."""
    if not items:
        return HeaderLayout()
    first = items[0]
    if _header(first) is not None:
        return HeaderLayout()
    for layout in candidates:
        if layout.width == first.width:
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


def _values(
    line: int, names: Sequence[str], texts: Sequence[str], errors: list[str], bulk: bool
) -> dict[str, Decimal]:
    """The values of one row by channel name; blank values are absent.

    ``bulk``: every character is a digit, point, sign or blank, so Decimal either reads a
    value exactly as :func:`~.values.to_decimal` would or refuses it.
    """
    if bulk:
        try:
            return dict(zip(names, map(Decimal, texts), strict=True))
        except InvalidOperation:
            pass  # a blank or malformed value: read the row group by group
    values: dict[str, Decimal] = {}
    for name, inner in zip(names, texts, strict=True):
        text = inner.partition("*")[0]
        if not text.strip():
            continue
        number = to_decimal(text)
        if number is None:
            errors.append(f"line {line}: {name} value {text!r} not numeric")
            continue
        values[name] = number
    return values


def _bulk_allowed() -> bool:
    """Decimal refuses a malformed number only while the context traps InvalidOperation
    (the default); under another context every value is read group by group."""
    return bool(decimal.getcontext().traps[InvalidOperation])


def _scan_header(items: Sequence[Item]) -> tuple[LoadProfile, list[str]]:
    records: list[ProfileRecord] = []
    errors: list[str] = []
    address = "P.01"
    channels: tuple[Channel, ...] = ()
    period: int | None = None
    current: Header | None = None
    names: list[str] = []
    start = when = dt.datetime.min
    step = dt.timedelta()
    index = 0
    bulk = _bulk_allowed()
    for item in items:
        header = _header(item)
        if header is not None:
            current, index = header, 0
            start, _status, minutes, header_channels = header
            names = [channel.obis for channel in header_channels]
            step = dt.timedelta(minutes=minutes)
            address = item.address or address
            channels = channels or header_channels
            period = period if period is not None else minutes
            continue
        if item.address is not None:
            why = _not_a_header(item)
            errors.append(f"line {item.line}: {item.address!r} is no P.01 header: {why}")
            continue
        if current is None:
            errors.append(f"line {item.line}: profile values before any P.01 header")
            continue
        texts = item.texts()
        if len(texts) != len(names):
            errors.append(f"line {item.line}: {len(texts)} values, header announces {len(names)}")
            index += 1
            continue
        row_bulk = bulk and _NOT_NUMERIC.search(item.raw) is None
        values = _values(item.line, names, texts, errors, row_bulk)
        try:
            when = start + step * index
        except OverflowError:
            errors.append(
                f"line {item.line}: period {current[2]} min puts the record past year 9999"
            )
            index += 1
            continue
        records.append(_record(when, values, current[1]))
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
    names = [c.obis for c in channels]
    first, statuses = layout.time_groups, layout.status_groups
    bulk = _bulk_allowed()
    for item in items:
        texts = item.texts()
        if width is not None and len(texts) != width:
            errors.append(f"line {item.line}: {len(texts)} groups, the layout has {width}")
            continue
        if len(texts) <= first + statuses:
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
        end = len(texts) - statuses
        if not channels:
            names = [f"ch{k + 1}" for k in range(end - first)]
        row_bulk = bulk and _NOT_NUMERIC.search(item.raw) is None
        values = _values(item.line, names, texts[first:end], errors, row_bulk)
        status = ",".join(t.partition("*")[0] for t in texts[end:]) if statuses else None
        records.append(_record(when, values, status))
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

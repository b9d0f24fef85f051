"""Data sets ``address(value*unit)(value2)…`` — the content of readouts and read answers.

Values are kept twice: the text exactly as the meter wrote it (``ValueGroup.text``, for round
trips and for identifiers such as ``C.1.0(03878504)`` whose leading zeros matter) and, for
numbers, a :class:`~decimal.Decimal` (``number``) and a normalised decimal string (``value``:
``000070.677`` → ``70.677``). Floats never appear: a kWh index must add up to the cent.

Two entry points: :func:`parse_data_sets` is strict (first problem raises
:class:`~.errors.DataSetError` with line and column); :func:`scan_data_block` gathers every
problem as a string and keeps going, for captures of uncertain quality.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from osos.obis import normalize_obis

from .errors import DataSetError, TimestampError
from .timestamps import parse_time_range, parse_timestamp

_NUMBER = re.compile(r"\s*(?P<sign>[+-]?)\s*(?P<digits>\d+(?:\.\d*)?|\.\d+)\s*")
_BAD_ADDRESS = re.compile(r"[()!/\\\x00-\x1f\x7f-\U0010ffff]")
_BAD_VALUE = re.compile(r"[()\r\n]")
_ADDRESS_TEXT = re.compile(r"[^()!\r\n]*")
_GROUP = re.compile(r"\(([^()\r\n]*)\)")
_REST_OF_LINE = re.compile(r"[^\r\n]*")


def normalize_number(text: str) -> str | None:
    """``-000142.30`` → ``-142.30``, ``000000000.0`` → ``0.0``, ``( 20000)`` → ``20000``.

    Returns None when the text is not a plain decimal number. Digits after the point are kept
    exactly (trailing zeros carry the meter's resolution).
    """
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    digits = match["digits"]
    whole, _, fraction = digits.partition(".")
    whole = whole.lstrip("0") or "0"
    result = whole + ("." + fraction if "." in digits else "")
    if match["sign"] == "-":
        result = "-" + result
    return result


@dataclass(frozen=True)
class ValueGroup:
    """One ``(value*unit)`` group. ``unit`` is None when the group has no ``*``."""

    text: str
    unit: str | None = None

    def __post_init__(self) -> None:
        if bad := _BAD_VALUE.search(self.text):
            raise DataSetError(f"value {self.text!r} contains {bad[0]!r}")
        if self.unit is not None and (bad := _BAD_VALUE.search(self.unit)):
            raise DataSetError(f"unit {self.unit!r} contains {bad[0]!r}")

    @classmethod
    def from_inner(cls, inner: str) -> ValueGroup:
        """Split the text between the parentheses at the first ``*`` into value and unit."""
        text, star, unit = inner.partition("*")
        return cls(text, unit if star else None)

    def to_text(self) -> str:
        return "(" + self.text + ("" if self.unit is None else "*" + self.unit) + ")"

    @property
    def number(self) -> Decimal | None:
        """The value as Decimal when it is a plain decimal number, else None."""
        normalized = normalize_number(self.text)
        if normalized is None:
            return None
        try:
            return Decimal(normalized)
        except InvalidOperation:  # pragma: no cover - the regex only lets decimals through
            return None

    @property
    def value(self) -> str:
        """Normalised decimal string for measured numbers (with a unit, a point or a sign);
        otherwise the text as written (identifiers, counters, dates, tariff tables)."""
        normalized = normalize_number(self.text)
        if normalized is None:
            return self.text
        stripped = self.text.strip()
        if self.unit is not None or "." in stripped or stripped[:1] in "+-":
            return normalized
        return stripped

    @property
    def time(self) -> dt.datetime | None:
        """The group read as a time stamp; None when it is the null time or not a time stamp."""
        try:
            return parse_timestamp(self.text)
        except TimestampError:
            return None

    @property
    def time_range(self) -> tuple[dt.datetime | None, dt.datetime | None] | None:
        """An event's ``start,end`` pair in one value, or None when the value is not one."""
        try:
            return parse_time_range(self.text)
        except TimestampError:
            return None

    def __repr__(self) -> str:
        return f"ValueGroup({self.to_text()!r})"


@dataclass(frozen=True)
class DataSet:
    """``address(value*unit)(…)…`` with the address exactly as the meter wrote it."""

    address: str
    groups: tuple[ValueGroup, ...] = ()
    line: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if not self.address or self.address != self.address.strip():
            raise DataSetError(f"data set address {self.address!r} is empty or padded")
        if bad := _BAD_ADDRESS.search(self.address):
            raise DataSetError(f"data set address {self.address!r} contains {bad[0]!r}")

    @classmethod
    def of(cls, address: str, value: str, unit: str | None = None, *more: str) -> DataSet:
        """``DataSet.of("1.8.0", "000070.677", "kWh")``; extra groups are plain texts."""
        return cls(address, (ValueGroup(value, unit), *(ValueGroup(m) for m in more)))

    @classmethod
    def from_text(cls, text: str) -> DataSet:
        """Parse exactly one data set (strict)."""
        sets = parse_data_sets(text)
        if len(sets) != 1:
            raise DataSetError(f"expected one data set, found {len(sets)} in {text[:60]!r}")
        return sets[0]

    def to_text(self) -> str:
        return self.address + "".join(group.to_text() for group in self.groups)

    @property
    def obis(self) -> str:
        """The address in short OBIS form (``1-0:1.8.0*255`` → ``1.8.0``)."""
        return normalize_obis(self.address)

    @property
    def first(self) -> ValueGroup:
        return self.groups[0] if self.groups else ValueGroup("")

    @property
    def value(self) -> str:
        return self.first.value

    @property
    def unit(self) -> str | None:
        return self.first.unit

    @property
    def number(self) -> Decimal | None:
        return self.first.number

    @property
    def time(self) -> dt.datetime | None:
        """The time stamp of the second value group (demand time, event time), else None."""
        return self.groups[1].time if len(self.groups) > 1 else None

    def __repr__(self) -> str:
        return f"DataSet({self.to_text()!r})"


@dataclass(frozen=True)
class Item:
    """One tokenised piece of a data block: an address (None for a bare ``(…)`` line, as in
    load-profile rows) and its groups, with the 1-based line and column where it starts."""

    line: int
    column: int
    address: str | None
    groups: tuple[ValueGroup, ...]


@dataclass(frozen=True)
class DataBlock:
    """Result of :func:`scan_data_block`."""

    items: tuple[Item, ...]
    errors: tuple[str, ...]
    complete: bool
    trailing: str

    @property
    def data_sets(self) -> list[DataSet]:
        return join_items(self.items)[0]


def tokenize(text: str) -> tuple[list[Item], list[str], bool, str]:
    """Split a data block into items; returns (items, errors, saw '!', text after '!')."""
    items: list[Item] = []
    errors: list[str] = []
    n = len(text)
    i = 0
    line = 1
    line_start = 0

    def where(pos: int) -> str:
        return f"line {line}, column {pos - line_start + 1}"

    def skip_line(pos: int) -> int:
        return _REST_OF_LINE.match(text, pos).end()  # type: ignore[union-attr]

    while i < n:
        char = text[i]
        if char == "\n":
            line += 1
            i += 1
            line_start = i
            continue
        if char in "\r \t\x00":
            i += 1
            continue
        if char == "!":
            return items, errors, True, text[i + 1 :]
        start = i
        address: str | None = None
        if char != "(":
            j = _ADDRESS_TEXT.match(text, i).end()  # type: ignore[union-attr]
            if j >= n or text[j] != "(":
                errors.append(f"{where(start)}: {text[start:j][:40]!r} has no '(value)'")
                i = skip_line(j)
                continue
            written = text[i:j].strip()
            bad = _BAD_ADDRESS.search(written)
            if bad is not None:
                errors.append(f"{where(start)}: address {written[:40]!r} contains {bad[0]!r}")
                i = skip_line(j)
                continue
            address = written or None
            i = j
        groups: list[ValueGroup] = []
        failed = False
        while i < n and text[i] == "(":
            match = _GROUP.match(text, i)
            if match is None:
                what = address or "value line"
                errors.append(f"{where(i)}: unclosed '(' in {what[:40]!r}")
                failed = True
                break
            value, star, unit = match[1].partition("*")
            groups.append(ValueGroup(value, unit if star else None))
            i = match.end()
        if failed:
            i = skip_line(i)
            continue
        items.append(Item(line, start - line_start + 1, address, tuple(groups)))
    return items, errors, False, ""


def join_items(items: Iterable[Item]) -> tuple[list[DataSet], list[str]]:
    """Attach address-less items (continuation lines) to the data set before them."""
    sets: list[DataSet] = []
    errors: list[str] = []
    for item in items:
        if item.address is None:
            if not sets:
                errors.append(f"line {item.line}, column {item.column}: values without address")
                continue
            last = sets[-1]
            sets[-1] = DataSet(last.address, last.groups + item.groups, last.line)
        else:
            sets.append(DataSet(item.address, item.groups, item.line))
    return sets, errors


def scan_data_block(text: str) -> DataBlock:
    """Tolerant: every malformed piece becomes an error string, parsing goes on."""
    items, errors, complete, trailing = tokenize(text)
    return DataBlock(tuple(items), tuple(errors), complete, trailing)


def parse_data_sets(text: str) -> list[DataSet]:
    """Strict: the data sets of a block (up to ``!`` if present); the first problem raises."""
    items, errors, _complete, trailing = tokenize(text)
    sets, join_errors = join_items(items)
    errors += join_errors
    if trailing.strip("\r\n"):
        errors.append(f"{trailing[:40]!r} after the end mark '!'")
    if errors:
        raise DataSetError(errors[0])
    return sets


def format_data_sets(sets: Sequence[DataSet], *, end: bool = True) -> str:
    """Data sets one per line (CR LF), followed by ``!`` CR LF when ``end``."""
    text = "".join(data_set.to_text() + "\r\n" for data_set in sets)
    return text + ("!\r\n" if end else "")

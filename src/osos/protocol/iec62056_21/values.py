"""Value groups: the text as the meter wrote it, typed on demand.

A value is kept as its exact text (``ValueGroup.text``, for round trips and for identifiers
such as ``C.1.0(03878504)`` whose leading zeros matter); ``number`` (a
:class:`~decimal.Decimal`, never a float: a kWh index must add up to the cent) and ``time``
(an aware datetime) are computed the first time someone asks and then kept.

:class:`ValueGroup` (and :class:`~.datasets.DataSet`) are immutable values — read-only
properties over slots, equality and hash by content — built by hand rather than as frozen
dataclasses because a readout makes thousands of them and a frozen dataclass pays
``object.__setattr__`` for every field of every one.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from types import EllipsisType

from .errors import DataSetError, TimestampError
from .timestamps import parse_time_range, parse_timestamp

_NUMBER = re.compile(r"\s*(?P<sign>[+-]?)\s*(?P<digits>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*", re.ASCII)
_BAD_VALUE = re.compile(r"[()\r\n]")
_new = object.__new__


def normalize_number(text: str) -> str | None:
    """``-000142.30`` → ``-142.30``, ``000000000.0`` → ``0.0``, ``( 20000)`` → ``20000``.

    Returns None when the text is not a plain decimal number (ASCII digits only). Digits after
    the point are kept exactly (trailing zeros carry the meter's resolution).
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


@lru_cache(maxsize=4096)
def stamp_or_none(text: str) -> dt.datetime | None:
    """:func:`~.timestamps.parse_timestamp`, None for anything that is not a time stamp;
    remembered, because readouts repeat their stamps (null times, the month's reset time)
    across a block and a fleet. Datetimes are immutable, so sharing them is safe."""
    try:
        return parse_timestamp(text)
    except TimestampError:
        return None


def to_decimal(text: str) -> Decimal | None:
    """The exact Decimal of a plain decimal number (as :func:`normalize_number` reads it)."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    try:
        return Decimal(text)  # leading zeros, sign and blanks: the same value, one step
    except InvalidOperation:  # "- 5": a blank between sign and digits
        return Decimal(match["sign"] + match["digits"])


class ValueGroup:
    """One ``(value*unit)`` group. ``unit`` is None when the group has no ``*``."""

    __slots__ = ("_number", "_text", "_time", "_unit")

    def __init__(self, text: str, unit: str | None = None) -> None:
        if bad := _BAD_VALUE.search(text):
            raise DataSetError(f"value {text!r} contains {bad[0]!r}")
        if unit is not None and (bad := _BAD_VALUE.search(unit)):
            raise DataSetError(f"unit {unit!r} contains {bad[0]!r}")
        self._text = text
        self._unit = unit
        self._number: Decimal | EllipsisType | None = ...
        self._time: dt.datetime | EllipsisType | None = ...

    @classmethod
    def from_inner(cls, inner: str) -> ValueGroup:
        """Split the text between the parentheses at the first ``*`` into value and unit."""
        text, star, unit = inner.partition("*")
        return cls(text, unit if star else None)

    @property
    def text(self) -> str:
        return self._text

    @property
    def unit(self) -> str | None:
        return self._unit

    def to_text(self) -> str:
        return "(" + self._text + ("" if self._unit is None else "*" + self._unit) + ")"

    @property
    def number(self) -> Decimal | None:
        """The value as Decimal when it is a plain decimal number, else None (kept)."""
        if self._number is ...:
            self._number = to_decimal(self._text)
        return self._number

    @property
    def value(self) -> str:
        """Normalised decimal string for measured numbers (with a unit, a point or a sign);
        otherwise the text as written (identifiers, counters, dates, tariff tables)."""
        normalized = normalize_number(self._text)
        if normalized is None:
            return self._text
        stripped = self._text.strip()
        if self._unit is not None or "." in stripped or stripped[:1] in "+-":
            return normalized
        return stripped

    @property
    def time(self) -> dt.datetime | None:
        """The group read as a time stamp; None when it is the null time or not a time stamp."""
        if self._time is ...:
            self._time = stamp_or_none(self._text)
        return self._time

    @property
    def time_range(self) -> tuple[dt.datetime | None, dt.datetime | None] | None:
        """An event's ``start,end`` pair in one value, or None when the value is not one."""
        try:
            return parse_time_range(self._text)
        except TimestampError:
            return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValueGroup):
            return NotImplemented
        return self._text == other._text and self._unit == other._unit

    def __hash__(self) -> int:
        return hash((self._text, self._unit))

    def __repr__(self) -> str:
        return f"ValueGroup({self.to_text()!r})"


def split_groups(raw: str) -> tuple[ValueGroup, ...]:
    """``(a*u)(b)`` as scanned (no parenthesis or line end inside) → its value groups."""
    groups = []
    for inner in raw[1:-1].split(")("):
        group = _new(ValueGroup)
        group._text, star, unit = inner.partition("*")
        group._unit = unit if star else None
        group._number = group._time = ...
        groups.append(group)
    return tuple(groups)

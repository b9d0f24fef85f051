"""Data sets ``address(value*unit)(value2)…`` — the content of readouts and read answers.

Value groups live in :mod:`.values` (exact text, typed on demand), the one-pass scanner in
:mod:`.scan`; this module holds :class:`DataSet` and is the interface the rest of osos uses.
A data set made by the scanner keeps its groups as the one text the meter wrote and splits
it only when asked; its ``number`` and ``time`` (what every consumer reads) are typed for the
whole block at once (:func:`scanned_block`: one ``findall`` over the block, ``Decimal`` and the
remembered time stamps), so a readout pays one C pass instead of a Python call per value.

Two entry points: :func:`parse_data_sets` is strict (first problem raises
:class:`~.errors.DataSetError` with line and column); :func:`scan_data_block` gathers every
problem as a string and keeps going, for captures of uncertain quality.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import TYPE_CHECKING, cast

from osos.obis import normalize_obis

from .errors import DataSetError
from .scan import Item, Pieces, scan
from .values import ValueGroup, normalize_number, split_groups, stamp_or_none, to_decimal

#: The first group of a scanned data set when its value is a plain number (as
#: :func:`~.values.normalize_number` reads them): signed digits, or a sign, blanks, digits.
_FIRST_NUMBER = re.compile(
    r"\(\s*(?:([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))|([+-])\s+([0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"\s*[*)]",
    re.ASCII,
).match
#: Over a block's raws joined by line ends, one match per data set: the first group's number
#: (the forms of ``_FIRST_NUMBER``; "" when it is not one) and the second group's value (its
#: text before ``*``; "" when there is none), so ``findall`` types a whole block in C.
_TYPED = re.compile(
    r"\((?:\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)|[+-]\s+(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"\s*(?=[*)]))?[^()]*\)(?:\(([^()*]*))?[^\n]*\n",
    re.ASCII,
).findall
_BAD_ADDRESS = re.compile(r"[()!/\\\x00-\x1f\x7f-\U0010ffff]")
_new = object.__new__
_decimal = Decimal

__all__ = [
    "DataBlock",
    "DataSet",
    "Item",
    "ValueGroup",
    "format_data_sets",
    "join_items",
    "join_pieces",
    "normalize_number",
    "parse_data_sets",
    "scan_data_block",
    "to_decimal",
    "tokenize",
]


_EMPTY = ValueGroup("")


class DataSet:
    """``address(value*unit)(…)…`` with the address exactly as the meter wrote it.

    ``line`` (where the scanner found it) does not take part in equality.
    """

    __slots__ = ("_address", "_groups", "_line", "_number", "_raw", "_time")

    def __init__(self, address: str, groups: Iterable[ValueGroup] = (), line: int = 0) -> None:
        if not address or address != address.strip():
            raise DataSetError(f"data set address {address!r} is empty or padded")
        if bad := _BAD_ADDRESS.search(address):
            raise DataSetError(f"data set address {address!r} contains {bad[0]!r}")
        self._address = address
        kept = tuple(groups)
        self._groups: tuple[ValueGroup, ...] | None = kept
        self._raw = ""
        self._line = line
        self._number: Decimal | None = kept[0].number if kept else None
        self._time: dt.datetime | None = kept[1].time if len(kept) > 1 else None

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

    @property
    def address(self) -> str:
        return self._address

    @property
    def line(self) -> int:
        return self._line

    @property
    def groups(self) -> tuple[ValueGroup, ...]:
        if self._groups is None:
            self._groups = split_groups(self._raw)
        return self._groups

    def to_text(self) -> str:
        if self._groups is None:
            return self._address + self._raw
        return self._address + "".join(group.to_text() for group in self._groups)

    @property
    def obis(self) -> str:
        """The address in short OBIS form (``1-0:1.8.0*255`` → ``1.8.0``)."""
        return normalize_obis(self._address)

    @property
    def first(self) -> ValueGroup:
        groups = self.groups
        return groups[0] if groups else _EMPTY

    @property
    def value(self) -> str:
        return self.first.value

    @property
    def unit(self) -> str | None:
        return self.first.unit

    if TYPE_CHECKING:

        @property
        def number(self) -> Decimal | None:
            """The first group's value as Decimal (see :attr:`ValueGroup.number`)."""

        @property
        def time(self) -> dt.datetime | None:
            """The time stamp of the second value group (demand time, event time), else None."""

    else:  # typed when the data set is made (a block's in bulk), read through C getters
        number = property(attrgetter("_number"), doc="The first group's value as Decimal.")
        time = property(attrgetter("_time"), doc="The second group's time stamp, else None.")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataSet):
            return NotImplemented
        return self._address == other._address and self.groups == other.groups

    def __hash__(self) -> int:
        return hash((self._address, self.groups))

    def __repr__(self) -> str:
        return f"DataSet({self.to_text()!r})"


def _first_number(raw: str) -> Decimal | None:
    """The first group's value of a scanned data set as Decimal, None when not a number."""
    if (match := _FIRST_NUMBER(raw)) is None:
        return None
    signed = match[1]
    return Decimal(match[2] + match[3] if signed is None else signed)


def _second_time(raw: str) -> dt.datetime | None:
    """The second group's value of a scanned data set as a time stamp, else None."""
    if (second := raw.find(")(")) < 0:
        return None  # one group: no second one to read a time from
    return stamp_or_none(raw[second + 2 : raw.find(")", second + 2)].partition("*")[0])


def _made(
    address: str, raw: str, line: int, number: Decimal | None, time: dt.datetime | None
) -> DataSet:
    data_set = _new(DataSet)
    data_set._address = address
    data_set._groups = None
    data_set._raw = raw
    data_set._line = line
    data_set._number = number
    data_set._time = time
    return data_set


def scanned(address: str, raw: str, line: int) -> DataSet:
    """A data set straight from the scanner, whose pattern already guarantees what
    ``DataSet.__init__`` checks; its groups stay text until asked for."""
    return _made(address, raw, line, _first_number(raw), _second_time(raw))


def scanned_block(addresses: list[str], raws: list[str], lines: list[int]) -> list[DataSet]:
    """:func:`scanned` for a whole block: one ``findall`` over the raws gives every first
    group's number text and second group's value, ``Decimal`` and the remembered time stamps
    type them (the same values as one by one)."""
    found = _TYPED("\n".join(raws) + "\n")
    if len(found) != len(raws):  # cannot happen for scanned raws; stay correct regardless
        return list(map(scanned, addresses, raws, lines))
    texts, seconds = zip(*found, strict=True) if found else ((), ())
    try:
        numbers = [_decimal(text) if text else None for text in texts]
    except InvalidOperation:  # "- 5": a sign, blanks, digits; read those one by one
        numbers = list(map(_first_number, raws))
    return list(map(_made, addresses, raws, lines, numbers, map(stamp_or_none, seconds)))


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
    pieces = scan(text)
    return pieces.items(), pieces.errors, pieces.complete, pieces.trailing


def join_pieces(pieces: Pieces) -> tuple[list[DataSet], list[str]]:
    """:func:`join_items` on a scan's pieces, without making Item objects: a block without
    continuation lines (the usual readout) becomes its data sets in one ``map``."""
    if None not in pieces.addresses:
        addresses = cast(list[str], pieces.addresses)  # no None, as just checked
        return scanned_block(addresses, pieces.raws, pieces.lines), []
    return join_items(pieces.items())


def join_items(items: Iterable[Item]) -> tuple[list[DataSet], list[str]]:
    """Attach address-less items (continuation lines) to the data set before them."""
    addresses: list[str] = []
    raws: list[str] = []
    lines: list[int] = []
    errors: list[str] = []
    for line, column, address, raw in items:
        if address is not None:
            addresses.append(address)
            raws.append(raw)
            lines.append(line)
        elif not raws:
            errors.append(f"line {line}, column {column}: values without address")
        else:
            raws[-1] += raw
    return scanned_block(addresses, raws, lines), errors


def scan_data_block(text: str) -> DataBlock:
    """Tolerant: every malformed piece becomes an error string, parsing goes on."""
    pieces = scan(text)
    return DataBlock(tuple(pieces.items()), tuple(pieces.errors), pieces.complete, pieces.trailing)


def parse_data_sets(text: str) -> list[DataSet]:
    """Strict: the data sets of a block (up to ``!`` if present); the first problem raises."""
    pieces = scan(text)
    sets, join_errors = join_pieces(pieces)
    errors = pieces.errors + join_errors
    if pieces.trailing.strip("\r\n"):
        errors.append(f"{pieces.trailing[:40]!r} after the end mark '!'")
    if errors:
        raise DataSetError(errors[0])
    return sets


def format_data_sets(sets: Sequence[DataSet], *, end: bool = True) -> str:
    """Data sets one per line (CR LF), followed by ``!`` CR LF when ``end``."""
    text = "".join(data_set.to_text() + "\r\n" for data_set in sets)
    return text + ("!\r\n" if end else "")

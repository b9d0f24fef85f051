"""One pass over a data block: the pieces (:class:`Item`) and where each one starts.

The common, well-formed shape — blanks, an address of printable ASCII, then ``(…)`` groups —
is cut out of the whole block by one compiled pattern (``re.split`` in C), and line and
column numbers come from C-level maps over the blanks between the pieces. Only from the
first place that shape does not hold (an unclosed ``(``, an address with a space or a
control character, text without ``(value)``) does a character-by-character scanner take over,
gathering an error for every malformed piece and going on; it also handles the end mark
``!``. Both paths give the same items, errors and line/column positions.

An item keeps its groups as the text the meter wrote (``raw``, e.g. ``(003.264*kW)(…)``);
splitting it into :class:`~.datasets.ValueGroup` objects and typing values is left to whoever
asks (see :mod:`.values`), so a block is not paid for twice.
"""

from __future__ import annotations

import re
from functools import partial
from itertools import accumulate, repeat
from operator import sub
from typing import NamedTuple

from .values import ValueGroup, split_groups

#: Printable ASCII without space ( ) ! / \ — what an address in the fast shape may hold.
_ADDRESS_CHAR = r"[\x22-\x27\x2a-\x2e\x30-\x5b\x5d-\x7e]"
#: Blanks (and line ends) before a piece, the address, the groups; a group left open after
#: the last closed one sends the piece to the careful scanner.
_PIECE = re.compile(r"([\r\n \t\x00]*)(" + _ADDRESS_CHAR + r"*)((?:\([^()\r\n]*\))+)(?!\()")
_BAD_ADDRESS = re.compile(r"[()!/\\\x00-\x1f\x7f-\U0010ffff]")
_ADDRESS_TEXT = re.compile(r"[^()!\r\n]*")
_GROUPS = re.compile(r"(?:\([^()\r\n]*\))+")
_REST_OF_LINE = re.compile(r"[^\r\n]*")


class Item(NamedTuple):
    """One piece of a data block: an address (None for a bare ``(…)`` line, as in load-profile
    rows), its groups as written (``raw``), and the 1-based line and column where it starts."""

    line: int
    column: int
    address: str | None
    raw: str

    @property
    def width(self) -> int:
        """How many ``(…)`` groups the item has."""
        return self.raw.count("(")

    def texts(self) -> list[str]:
        """The groups' contents, unit included (``003.264*kW``)."""
        return self.raw[1:-1].split(")(")

    @property
    def groups(self) -> tuple[ValueGroup, ...]:
        return split_groups(self.raw)


_make_item = partial(tuple.__new__, Item)


class Pieces:
    """What :func:`scan` found, as parallel lists with one entry per piece: ``lines``,
    ``addresses`` (None for a bare value line), ``raws``; the error strings, whether ``!``
    ended the block and the text after it. Columns (needed only to name a problem) and
    :class:`Item` objects are made when asked for."""

    __slots__ = (
        "_columns",
        "_fast",
        "_prefixes",
        "addresses",
        "complete",
        "errors",
        "lines",
        "raws",
        "trailing",
    )

    def __init__(self, prefixes: list[str], addresses: list[str | None], raws: list[str]) -> None:
        newlines = list(map(str.count, prefixes, repeat("\n")))
        self.lines: list[int] = list(accumulate(newlines, initial=1))[1:]
        self.addresses = addresses
        self.raws = raws
        self.errors: list[str] = []
        self.complete = False
        self.trailing = ""
        self._prefixes = prefixes
        self._fast = len(prefixes)
        self._columns: list[int] = []  # of the pieces the careful scanner added

    def add(self, line: int, column: int, address: str | None, raw: str) -> None:
        self.lines.append(line)
        self._columns.append(column)
        self.addresses.append(address)
        self.raws.append(raw)

    def columns(self) -> list[int]:
        """1-based column of every piece: after a line end, the characters after the last
        "\n" of the blanks before it; on the line of the piece before, counted on from it."""
        prefixes = self._prefixes
        columns = list(map(sub, map(len, prefixes), map(str.rfind, prefixes, repeat("\n"))))
        for index in range(1, self._fast):
            if "\n" not in prefixes[index]:
                before = len(self.addresses[index - 1] or "") + len(self.raws[index - 1])
                columns[index] = columns[index - 1] + before + len(prefixes[index])
        return columns + self._columns

    def items(self) -> list[Item]:
        zipped = zip(self.lines, self.columns(), self.addresses, self.raws, strict=True)
        return list(map(_make_item, zipped))


def scan(text: str) -> Pieces:
    """Split a data block into pieces (see the module docstring for the two paths)."""
    parts = _PIECE.split(text)
    gaps = parts[0::4]  # text no piece covered; the last one is what follows the last piece
    count = len(gaps) - 1
    if any(gaps[:-1]):
        count = next(index for index, gap in enumerate(gaps) if gap)
        offset = sum(map(len, parts[: 4 * count]))
    else:
        offset = len(text) - len(parts[-1])
    end = 4 * count
    addresses: list[str | None] = [address or None for address in parts[2:end:4]]
    pieces = Pieces(parts[1:end:4], addresses, parts[3:end:4])
    line = text.count("\n", 0, offset) + 1
    _scan_rest(text, offset, line, text.rfind("\n", 0, offset) + 1, pieces)
    return pieces


def _scan_rest(text: str, i: int, line: int, line_start: int, pieces: Pieces) -> None:
    """The careful scanner, from offset ``i``: every malformed piece becomes an error naming
    line and column, and the rest of its line is skipped; stops at '!'."""
    errors = pieces.errors
    n = len(text)
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
            pieces.complete, pieces.trailing = True, text[i + 1 :]
            return
        start = i
        where = f"line {line}, column {start - line_start + 1}"
        address: str | None = None
        if char != "(":
            j = _end(_ADDRESS_TEXT, text, i)
            if j >= n or text[j] != "(":
                errors.append(f"{where}: {text[start:j][:40]!r} has no '(value)'")
                i = _end(_REST_OF_LINE, text, j)
                continue
            written = text[i:j].strip()
            bad = _BAD_ADDRESS.search(written)
            if bad is not None:
                errors.append(f"{where}: address {written[:40]!r} contains {bad[0]!r}")
                i = _end(_REST_OF_LINE, text, j)
                continue
            address = written or None
            i = j
        j = _end(_GROUPS, text, i)
        if j < n and text[j] == "(":
            what = address or "value line"
            column = j - line_start + 1
            errors.append(f"line {line}, column {column}: unclosed '(' in {what[:40]!r}")
            i = _end(_REST_OF_LINE, text, j)
            continue
        pieces.add(line, start - line_start + 1, address, text[i:j])
        i = j


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    match = pattern.match(text, pos)
    return pos if match is None else match.end()

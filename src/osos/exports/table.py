"""What a file holds, independent of its format: a titled table of typed cells."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from osos.timeutil import to_local

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet would take as the start of a formula in a text cell."""

MAX_DIGITS = 15  # significant digits an Excel number (a double) holds exactly


SHOWN = {  # how the panel writes a local time, by language and whether it shows seconds
    ("tr", True): "%d.%m.%Y %H:%M:%S",
    ("tr", False): "%d.%m.%Y %H:%M",
    ("en", True): "%Y-%m-%d %H:%M:%S",
    ("en", False): "%Y-%m-%d %H:%M",
}


@dataclass(frozen=True)
class When:
    """A time cell: the instant (a local date-time in Excel) and the text the screen shows
    (CSV); without a text, the local time as ``language`` writes it (Turkish
    ``dd.mm.yyyy hh:mm[:ss]``, English ``yyyy-mm-dd hh:mm[:ss]``), made only when a CSV asks."""

    at: dt.datetime
    text: str = ""
    seconds: bool = True
    language: str = "tr"

    def local(self) -> dt.datetime:
        """Naive local time, cut to what is shown (Excel has no zones and rounds what it hides)."""
        local = to_local(self.at).replace(tzinfo=None, microsecond=0)
        return local if self.seconds else local.replace(second=0)

    def __str__(self) -> str:
        if self.text:
            return self.text
        pattern = SHOWN.get((self.language, self.seconds)) or SHOWN["tr", self.seconds]
        return self.local().strftime(pattern)


Cell = str | Decimal | int | When | dt.date | None
"""A text, an exact number, a time, a calendar day, or nothing (a blank cell)."""


@dataclass(frozen=True)
class Column:
    """A header and, for numbers, the decimals shown (None: as many as each value carries)."""

    header: str
    places: int | None = None


class Rows:
    """Rows built only when a file is written (and again each time it is): a page that is not
    downloaded never pays for its file."""

    def __init__(self, make: Callable[[], Iterable[Sequence[Cell]]]) -> None:
        self._make = make

    def __iter__(self) -> Iterator[Sequence[Cell]]:
        return iter(self._make())


@dataclass(frozen=True)
class Table:
    """One sheet: ``title`` names it; with ``banner`` the title and ``note`` stand above the
    header row (the panel's downloads), without it the headers are the first row (templates).
    ``language`` is how a CSV writes a calendar day (the panel's: 05.10.2026 or 2026-10-05)."""

    title: str
    headers: Sequence[str | Column]
    rows: Iterable[Sequence[Cell]]
    note: str = ""
    banner: bool = True
    language: str = "tr"

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(h if isinstance(h, Column) else Column(h) for h in self.headers)


def needs_neutralising(text: str) -> bool:
    return text.startswith(FORMULA_START)


def neutralise(text: str) -> str:
    """The text a CSV cell may hold: a formula-like start gets a leading apostrophe."""
    return "'" + text if needs_neutralising(text) else text


def decimal_text(value: Decimal, places: int | None) -> str:
    """The digits of a number as the panel shows them, with a decimal comma (CSV)."""
    if places is not None and value.is_finite():
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format(value, "f").replace(".", ",")


def safe_name(*parts: str) -> str:
    """A file name from its parts: ASCII letters, digits and dashes ('YKP_2000104137_…')."""
    text = "_".join(p for p in parts if p)
    text = unicodedata.normalize("NFKD", text.replace("ı", "i").replace("İ", "I"))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def sheet_name(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    name = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'")[:31]
    return name or "osos"

"""The cells of a directly written XLSX sheet (:mod:`osos.exports.xlsx`): each typed value as
its XML, from its exact digits, and the workbook's styles numbered as cells first need them.

A number is written from ``format(value, "f")`` (no float on the way) and Excel reads those
digits; one with more than 15 significant digits, or beyond a double's range, is its exact text
instead. A time is the Excel serial of its local wall time: whole days since 30.12.1899 and the
day's fraction from exact decimal arithmetic. Texts are inline strings, escaped as Excel itself
escapes them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from osos.exports.table import MAX_DIGITS, Cell, When, needs_neutralising
from osos.timeutil import LOCAL_TZ

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
DATETIME_SECONDS_FORMAT = "dd.mm.yyyy hh:mm:ss"
DATE_FORMAT = "dd.mm.yyyy"
EPOCH_DAY = dt.date(1899, 12, 30)  # Excel's day 0 as its 1900 calendar counts (1900-03-01 on)
EPOCH_ORDINAL = EPOCH_DAY.toordinal()
FRACTION = Decimal("1e-20")

# ---------------------------------------------------------------------------- text and numbers

_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "_": "_x005F_"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    return _ENTITIES.get(char) or f"_x{ord(char):04X}_"


def xml_text(text: str) -> str:
    """A text as a SpreadsheetML string holds it: ``& < >`` as entities, the control characters
    XML cannot carry (CR among them) as ``_xHHHH_``, and a literal ``_xHHHH_`` kept literal by
    escaping its underscore (``_x005F_``), as Excel itself writes them."""
    return _SPECIAL.sub(_escape_one, text) if _SPECIAL.search(text) else text


def day_fraction(seconds: int) -> str:
    """The fraction of a day that ``seconds`` are, as decimal places from exact arithmetic
    ('.5' for noon, '' for midnight; 20 places, far below Excel's millisecond)."""
    if not seconds:
        return ""
    return str((Decimal(seconds) / 86400).quantize(FRACTION)).rstrip("0")[1:]


def serial(local: dt.datetime) -> str:
    """The Excel serial of a naive local date-time (whole seconds): days since 30.12.1899 and
    the fraction of the day."""
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return f"{local.toordinal() - EPOCH_ORDINAL}{day_fraction(seconds)}"


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# ---------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class Style:
    """One cell format: a number format, bold, the header look, Excel's text quote prefix."""

    num_format: str = ""
    bold: bool = False
    header: bool = False
    quote: bool = False


def number_format(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


@dataclass
class Styles:
    """The workbook's cell formats, numbered as cells first need them (0 is the default)."""

    index: dict[Style, int] = field(default_factory=lambda: {Style(): 0})

    def of(self, style: Style) -> int:
        found = self.index.get(style)
        if found is None:
            found = self.index[style] = len(self.index)
        return found

    def xml(self) -> str:
        formats = sorted({s.num_format for s in self.index if s.num_format})
        ids = {f: 164 + k for k, f in enumerate(formats)}
        num_fmts = "".join(
            f'<numFmt numFmtId="{ids[f]}" formatCode="{xml_text(f)}"/>' for f in formats
        )
        xfs = []
        for s in self.index:  # in the order they were numbered
            fmt = ids.get(s.num_format, 0)
            attributes = f'numFmtId="{fmt}" fontId="{int(s.bold or s.header)}" '
            attributes += f'fillId="{2 if s.header else 0}" borderId="{int(s.header)}" xfId="0"'
            attributes += ' applyNumberFormat="1"' if fmt else ""
            attributes += ' applyFont="1"' if s.bold or s.header else ""
            attributes += ' applyFill="1" applyBorder="1" applyAlignment="1"' if s.header else ""
            attributes += ' quotePrefix="1"' if s.quote else ""
            wrap = '<alignment wrapText="1"/>' if s.header else ""
            xfs.append(f"<xf {attributes}>{wrap}</xf>" if wrap else f"<xf {attributes}/>")
        thin = '<{0} style="thin"><color auto="1"/></{0}>'
        border = "".join(thin.format(side) for side in ("left", "right", "top", "bottom"))
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
            + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF4"/>'
            '<bgColor indexed="64"/></patternFill></fill></fills>'
            f'<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
            f"<border>{border}<diagonal/></border></borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


# ---------------------------------------------------------------------------- cells

REMEMBERED = 4096  # texts whose cell XML is kept per workbook (labels, serials: they repeat)


class Cells:
    """Turns typed cells into XML, with the workbook's styles (one call per cell: a month of
    15-minute rows is ~40,000 cells)."""

    def __init__(self) -> None:
        self.styles = Styles()
        self._numbers: dict[int, str] = {}
        self._texts: dict[tuple[str, bool, bool, bool], str] = {}
        self._fractions: dict[int, str] = {}
        self._times = {
            True: f' s="{self.styles.of(Style(DATETIME_SECONDS_FORMAT))}"><v>',
            False: f' s="{self.styles.of(Style(DATETIME_FORMAT))}"><v>',
        }
        self._date = self.styles.of(Style(DATE_FORMAT))

    def text(
        self, ref: str, text: str, bold: bool = False, header: bool = False, digits: bool = False
    ) -> str:
        """A text cell; a formula-like text gets Excel's quote prefix, except ``digits`` (a
        number's exact text: it is a number, not a formula)."""
        key = (text, bold, header, digits)
        tail = self._texts.get(key)
        if tail is None:
            quote = not digits and needs_neutralising(text)
            style = self.styles.of(Style(quote=quote, bold=bold, header=header))
            s = f' s="{style}"' if style else ""
            space = ' xml:space="preserve"' if text != text.strip() else ""
            tail = f'{s} t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'
            if len(self._texts) < REMEMBERED:
                self._texts[key] = tail
        return f'<c r="{ref}"{tail}'

    def cell(self, ref: str, value: Cell, places: int | None) -> str:
        """The XML of one cell ('' for a blank one); ``places``: its column's decimals."""
        kind = type(value)
        if kind is Decimal:
            if value.is_finite():  # type: ignore[union-attr]
                text = format(value, "f")
                if len(text) <= MAX_DIGITS:  # at most 15 digits: a double holds it exactly
                    style = self._numbers.get(places) if places is not None else None
                    if style is None:
                        style = self._number(text, places)
                    return f'<c r="{ref}"{style}{text}</v></c>'
            return self.decimal(ref, value, places)  # type: ignore[arg-type]
        if kind is When:
            return self.when(ref, value)  # type: ignore[arg-type]
        if kind is str:
            return self.text(ref, value)  # type: ignore[arg-type]
        if value is None:
            return ""
        if isinstance(value, When):
            return self.when(ref, value)
        if isinstance(value, str):
            return self.text(ref, value)
        if isinstance(value, Decimal):
            return self.decimal(ref, value, places)
        if isinstance(value, dt.datetime):
            return self.when(ref, When(value))
        if isinstance(value, dt.date):
            return f'<c r="{ref}" s="{self._date}"><v>{(value - EPOCH_DAY).days}</v></c>'
        if abs(value) >= 2**53:  # an int a double would round
            return self.text(ref, str(value), digits=True)
        return f'<c r="{ref}"><v>{int(value)}</v></c>'

    def _number(self, text: str, places: int | None) -> str:
        """The style part of a number cell shown with ``places`` decimals (None: its own)."""
        if places is None:
            point = text.find(".")
            places = 0 if point < 0 else len(text) - point - 1
        style = self._numbers.get(places)
        if style is None:
            number = self.styles.of(Style(number_format(places)))
            style = self._numbers[places] = f' s="{number}"><v>'
        return style

    def decimal(self, ref: str, value: Decimal, places: int | None) -> str:
        """A number from its exact digits; one a double would round (more than 15 significant
        digits, or beyond a double's range) is its exact text instead."""
        if not value.is_finite():
            return self.text(ref, str(value), digits=True)
        text = format(value, "f")
        digits = text.replace(".", "").lstrip("-0").rstrip("0")
        if len(digits) > MAX_DIGITS or not -300 < value.adjusted() < 300:
            return self.text(ref, text, digits=True)
        return f'<c r="{ref}"{self._number(text, places)}{text}</v></c>'

    def when(self, ref: str, value: When) -> str:
        """A date-time: the serial of its local wall time, cut to what is shown."""
        at = value.at
        if at.tzinfo is None:
            return f'<c r="{ref}"{self._times[value.seconds]}{serial(value.local())}</v></c>'
        local = at.astimezone(LOCAL_TZ)
        seconds = local.hour * 3600 + local.minute * 60 + (local.second if value.seconds else 0)
        fraction = self._fractions.get(seconds)
        if fraction is None:
            fraction = self._fractions[seconds] = day_fraction(seconds)
        days = local.toordinal() - EPOCH_ORDINAL
        return f'<c r="{ref}"{self._times[value.seconds]}{days}{fraction}</v></c>'

"""XLSX written directly: one sheet's XML made row by row and deflated into a zip, handed out
chunk by chunk (an HTTP response sends each chunk as it is made; nothing is spooled).

The package is the smallest SpreadsheetML workbook Excel, LibreOffice and openpyxl open: the
content types, the relationships, the workbook, its styles and one worksheet with inline
strings (no shared-string table, so nothing has to be held until the end). The members are
written in that order except the styles, which follow the sheet: a style is numbered when a
cell first needs it. Every value is written from its exact digits (:func:`number_text`, never a
float); a time is the Excel serial of its local wall time.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from osos.exports.table import (
    MAX_DIGITS,
    Cell,
    Column,
    Table,
    When,
    needs_neutralising,
    sheet_name,
)
from osos.timeutil import LOCAL_TZ

DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
DATETIME_SECONDS_FORMAT = "dd.mm.yyyy hh:mm:ss"
DATE_FORMAT = "dd.mm.yyyy"
CHUNK = 1 << 16  # a chunk is handed out once this many compressed bytes are waiting
LEVEL = 1  # deflate level: 6 takes ~3× the time for a file ~15 % smaller (docs/performance.md)
EPOCH_DAY = dt.date(1899, 12, 30)  # Excel's day 0 as its 1900 calendar counts (1900-03-01 on)
EPOCH_ORDINAL = EPOCH_DAY.toordinal()
FRACTION = Decimal("1e-20")
STAMP = (1980, 1, 1, 0, 0, 0)  # the members' zip time: the same table, the same bytes

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "application/vnd.openxmlformats-officedocument"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_DOC}.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_DOC}.spreadsheetml.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_DOC}.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)

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


def number_text(value: Decimal | int) -> str:
    """The exact digits of a number, plain (no exponent, no float on the way)."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


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
        self._texts: dict[tuple[str, bool, bool], str] = {}
        self._fractions: dict[int, str] = {}
        self._times = {
            True: f' s="{self.styles.of(Style(DATETIME_SECONDS_FORMAT))}"><v>',
            False: f' s="{self.styles.of(Style(DATETIME_FORMAT))}"><v>',
        }
        self._date = self.styles.of(Style(DATE_FORMAT))

    def text(self, ref: str, text: str, bold: bool = False, header: bool = False) -> str:
        key = (text, bold, header)
        tail = self._texts.get(key)
        if tail is None:
            style = self.styles.of(Style(quote=needs_neutralising(text), bold=bold, header=header))
            s = f' s="{style}"' if style else ""
            space = ' xml:space="preserve"' if text != text.strip() else ""
            tail = f'{s} t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'
            if len(self._texts) < REMEMBERED:
                self._texts[key] = tail
        return f'<c r="{ref}"{tail}'

    def cell(self, ref: str, value: Cell, column: Column) -> str:
        """The XML of one cell ('' for a blank one)."""
        kind = type(value)
        if kind is Decimal:
            return self.decimal(ref, value, column.places)  # type: ignore[arg-type]
        if kind is str:
            return self.text(ref, value)  # type: ignore[arg-type]
        if kind is When:
            return self.when(ref, value)  # type: ignore[arg-type]
        if value is None:
            return ""
        if isinstance(value, When):
            return self.when(ref, value)
        if isinstance(value, str):
            return self.text(ref, value)
        if isinstance(value, Decimal):
            return self.decimal(ref, value, column.places)
        if isinstance(value, dt.datetime):
            return self.when(ref, When(value))
        if isinstance(value, dt.date):
            return f'<c r="{ref}" s="{self._date}"><v>{(value - EPOCH_DAY).days}</v></c>'
        if abs(value) >= 2**53:  # an int a double would round
            return self.text(ref, str(value))
        return f'<c r="{ref}"><v>{int(value)}</v></c>'

    def decimal(self, ref: str, value: Decimal, places: int | None) -> str:
        """A number from its exact digits, shown with ``places`` decimals (None: its own)."""
        if not value.is_finite():
            return self.text(ref, str(value))
        text = format(value, "f")
        digits = text.replace(".", "").lstrip("-0").rstrip("0")
        if len(digits) > MAX_DIGITS or not -300 < value.adjusted() < 300:
            return self.text(ref, text)  # a double would round it: the exact digits, as text
        if places is None:
            point = text.find(".")
            places = 0 if point < 0 else len(text) - point - 1
        style = self._numbers.get(places)
        if style is None:
            style = self._numbers[places] = (
                f' s="{self.styles.of(Style(number_format(places)))}"><v>'
            )
        return f'<c r="{ref}"{style}{text}</v></c>'

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


# ---------------------------------------------------------------------------- the sheet


def width(header: str) -> str:
    """A column's width from its header: 12 to 40 characters (plus the padding Excel adds to
    the width it is asked for)."""
    return f"{max(12, min(40, len(header) + 2)) + 0.7109375:g}"


def _row(number: int, cells: Iterable[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


@dataclass
class Sheet:
    """The worksheet's XML of a table, in pieces; ``rows`` counts the table's rows written."""

    table: Table
    cells: Cells = field(default_factory=Cells)
    rows: int = 0

    def head(self) -> tuple[str, int]:
        """The sheet's start, the banner and the header row; and the first data row's number."""
        table, cells = self.table, self.cells
        columns = table.columns
        lines = []
        first = 1
        if table.banner:
            lines.append(_row(1, [cells.text("A1", table.title, bold=True)]))
            if table.note:
                lines.append(_row(2, [cells.text("A2", table.note)]))
            first = 4
        letters = [column_letters(c) for c in range(len(columns))]
        header = [
            cells.text(f"{x}{first}", c.header, header=True)
            for x, c in zip(letters, columns, strict=True)
        ]
        lines.append(_row(first, header))
        widths = "".join(
            f'<col min="{c}" max="{c}" width="{width(col.header)}" customWidth="1"/>'
            for c, col in enumerate(columns, start=1)
        )
        pane = (
            f'<pane ySplit="{first}" topLeftCell="A{first + 1}" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/>'
        )
        start = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{widths}</cols>" if columns else "")
            + "<sheetData>"
        )
        return start + "".join(lines), first + 1

    def body(self, first: int) -> Iterator[str]:
        """One row's XML at a time."""
        columns = self.table.columns
        letters = [column_letters(c) for c in range(max(len(columns), 1))]
        cell = self.cells.cell
        n = first - 1
        for n, row in enumerate(self.table.rows, start=first):
            refs = [f"{x}{n}" for x in letters[: len(row)]]
            yield _row(n, map(cell, refs, row, columns))
            self.rows += 1

    @staticmethod
    def tail() -> str:
        return "</sheetData></worksheet>"


def _workbook(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
        f'<sheets><sheet name="{xml_text(sheet_name(title)).replace(chr(34), "&quot;")}" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


# ---------------------------------------------------------------------------- the zip


class _Pipe:
    """Where the zip writes: what it wrote waits here until it is taken (not seekable, so the
    zip writes each member's sizes after its data)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = LEVEL  # type: ignore[attr-defined]  # (Python ≥ 3.13: compress_level)
    return info


@dataclass
class Workbook:
    """A table as XLSX bytes: iterate it for the chunks; ``rows`` counts the rows written."""

    table: Table
    chunk: int = CHUNK
    sheet: Sheet = field(init=False)

    def __post_init__(self) -> None:
        self.sheet = Sheet(self.table)

    @property
    def rows(self) -> int:
        return self.sheet.rows

    def __iter__(self) -> Iterator[bytes]:
        pipe = _Pipe()
        with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as book:
            for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS)):
                book.writestr(_member(name), text)
            book.writestr(_member("xl/workbook.xml"), _workbook(self.table.title))
            book.writestr(_member("xl/_rels/workbook.xml.rels"), WORKBOOK_RELS)
            with book.open(_member("xl/worksheets/sheet1.xml"), "w") as member:
                head, first = self.sheet.head()
                pending = [head]
                waiting = len(head)
                for line in self.sheet.body(first):
                    pending.append(line)
                    waiting += len(line)
                    if waiting >= self.chunk:  # deflate in blocks, not row by row
                        member.write("".join(pending).encode())
                        pending.clear()
                        waiting = 0
                        if pipe.size >= self.chunk:
                            yield pipe.take()
                pending.append(self.sheet.tail())
                member.write("".join(pending).encode())
            book.writestr(_member("xl/styles.xml"), self.sheet.cells.styles.xml())
        yield pipe.take()


def chunks(table: Table) -> Workbook:
    """The workbook of ``table``, to iterate chunk by chunk (rows consumed one at a time)."""
    return Workbook(table)

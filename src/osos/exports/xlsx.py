"""XLSX written directly: one sheet's XML made row by row and deflated into a zip, handed out
chunk by chunk (an HTTP response sends each chunk as it is made; nothing is spooled).

The package is the smallest SpreadsheetML workbook Excel, LibreOffice and openpyxl open: the
content types, the relationships, the workbook, its styles and one worksheet with inline
strings (no shared-string table, so nothing has to be held until the end). The members are
written in that order except the styles, which follow the sheet: a style is numbered when a
cell first needs it. The cells themselves are :mod:`osos.exports.xlsx_cells`'s.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from typing import IO

from osos.exports.table import Cell, Table, sheet_name
from osos.exports.xlsx_cells import Cells, column_letters, xml_text

CHUNK = 1 << 16  # a chunk is handed out once this many compressed bytes are waiting
LEVEL = 1  # deflate level: 6 takes ~3× the time for a file ~15 % smaller (docs/performance.md)
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

# ---------------------------------------------------------------------------- the sheet


def width(header: str) -> str:
    """A column's width from its header: 12 to 40 characters (plus the padding Excel adds to
    the width it is asked for)."""
    return str(max(12, min(40, len(header) + 2)) + 0.7109375)


def _row(number: int, cells: Iterable[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


@dataclass
class Sheet:
    """The worksheet's XML of a table, in pieces; ``rows`` counts the table's rows written."""

    table: Table
    cells: Cells = field(default_factory=Cells)
    rows: int = 0

    @property
    def first(self) -> int:
        """The first data row's number (after the banner and the header row)."""
        return (4 if self.table.banner else 1) + 1

    def top(self) -> str:
        """The banner and the header row (made first, so their styles are numbered first)."""
        table, cells = self.table, self.cells
        columns = table.columns
        lines = []
        if table.banner:
            lines.append(_row(1, [cells.text("A1", table.title, bold=True)]))
            if table.note:
                lines.append(_row(2, [cells.text("A2", table.note)]))
        letters = [column_letters(c) for c in range(len(columns))]
        at = self.first - 1
        header = [
            cells.text(f"{x}{at}", c.header, header=True)
            for x, c in zip(letters, columns, strict=True)
        ]
        lines.append(_row(at, header))
        return "".join(lines)

    def head(self, top: str, rows: int) -> str:
        """The sheet's start and its ``top``, for a table of ``rows`` rows (the dimension:
        readers such as openpyxl's read-only mode size every row by it)."""
        columns = self.table.columns
        at = self.first - 1
        widths = "".join(
            f'<col min="{c}" max="{c}" width="{width(col.header)}" customWidth="1"/>'
            for c, col in enumerate(columns, start=1)
        )
        pane = (
            f'<pane ySplit="{at}" topLeftCell="A{at + 1}" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/>'
        )
        last = f"{column_letters(len(columns) - 1) if columns else 'A'}{at + rows}"
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="A1:{last}"/>'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{widths}</cols>" if columns else "")
            + "<sheetData>"
            + top
        )

    def body(self, rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
        """One row's XML at a time."""
        places = [c.places for c in self.table.columns]
        letters = [column_letters(c) for c in range(len(places))]
        cell = self.cells.cell
        for n, row in enumerate(rows, start=self.first):
            refs = [f"{x}{n}" for x in letters[: len(row)]]
            yield f'<row r="{n}">{"".join(map(cell, refs, row, places))}</row>'
            self.rows += 1

    @staticmethod
    def tail() -> str:
        return "</sheetData></worksheet>"


def _workbook(title: str) -> str:
    name = xml_text(sheet_name(title)).replace('"', "&quot;")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
        f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
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


def _blocks(lines: Iterable[str], size: int) -> Iterator[bytes]:
    """Lines joined into blocks of about ``size`` characters, encoded (deflate works in blocks)."""
    pending: list[str] = []
    waiting = 0
    for line in lines:
        pending.append(line)
        waiting += len(line)
        if waiting >= size:
            yield "".join(pending).encode()
            pending.clear()
            waiting = 0
    if pending:
        yield "".join(pending).encode()


def _held(lines: Iterable[str], size: int) -> Iterator[bytes]:
    """The same blocks, all made first into a temporary file (on disk past ``size`` bytes)."""
    with tempfile.SpooledTemporaryFile(max_size=size) as held:
        for block in _blocks(lines, size):
            held.write(block)
        held.seek(0)
        while block := held.read(size):
            yield block


@dataclass
class Workbook:
    """A table as XLSX bytes: iterate it for the chunks; ``rows`` counts the rows written.

    Rows in a list (or any sized collection) are written as they are sent. Rows that come one
    at a time (a cursor, a generator) have no count in advance, and the sheet starts with it:
    their XML is made first into a temporary file (flat memory), then deflated."""

    table: Table
    chunk: int = CHUNK
    sheet: Sheet = field(init=False)

    def __post_init__(self) -> None:
        self.sheet = Sheet(self.table)

    @property
    def rows(self) -> int:
        return self.sheet.rows

    def _sheet_blocks(self) -> Iterator[bytes]:
        rows = self.table.rows
        sheet = self.sheet
        top = sheet.top()
        if isinstance(rows, Sized):
            yield sheet.head(top, len(rows)).encode()
            yield from _blocks(sheet.body(rows), self.chunk)
        else:
            blocks = _held(sheet.body(rows), self.chunk)
            first = next(blocks, b"")  # every row made: now the count is known
            yield sheet.head(top, sheet.rows).encode()
            yield first
            yield from blocks
        yield sheet.tail().encode()

    def __iter__(self) -> Iterator[bytes]:
        pipe = _Pipe()
        with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as book:
            book.writestr(_member("[Content_Types].xml"), CONTENT_TYPES)
            book.writestr(_member("_rels/.rels"), ROOT_RELS)
            book.writestr(_member("xl/workbook.xml"), _workbook(self.table.title))
            book.writestr(_member("xl/_rels/workbook.xml.rels"), WORKBOOK_RELS)
            with book.open(_member("xl/worksheets/sheet1.xml"), "w") as member:
                for block in self._sheet_blocks():
                    member.write(block)
                    if pipe.size >= self.chunk:
                        yield pipe.take()
            book.writestr(_member("xl/styles.xml"), self.sheet.cells.styles.xml())
        yield pipe.take()


def write_to(table: Table, out: IO[bytes]) -> int:
    """The workbook of ``table`` written to a binary file; returns the rows written."""
    book = Workbook(table)
    for chunk in book:
        out.write(chunk)
    return book.rows

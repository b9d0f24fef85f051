"""The two formats: XLSX (XlsxWriter, ``constant_memory``) and CSV, both written row by row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

from osos.errors import InvalidInput
from osos.exports.table import (
    Cell,
    Column,
    Table,
    When,
    decimal_text,
    fits_a_double,
    needs_neutralising,
    neutralise,
    places_of,
    sheet_name,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
DATETIME_SECONDS_FORMAT = "dd.mm.yyyy hh:mm:ss"
DATE_FORMAT = "dd.mm.yyyy"
BOM = "\ufeff".encode()
SPOOL_IN_MEMORY = 1 << 20  # a file larger than this goes to a temporary file on disk
CHUNK = 1 << 16
CSV_BLOCK = 1 << 16


def media_type(fmt: str) -> str:
    return XLSX_TYPE if fmt == "xlsx" else CSV_TYPE


def write(table: Table, fmt: str, out: IO[bytes]) -> int:
    """Write ``table`` as ``fmt`` (xlsx or csv) to a binary file; returns the rows written."""
    if fmt == "xlsx":
        return write_xlsx(table, out)
    if fmt == "csv":
        return write_csv(table, out)
    raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")


# --------------------------------------------------------------------------------------------
# CSV


def _csv_cell(value: Cell, column: Column, language: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return decimal_text(value, column.places)
    if isinstance(value, dt.datetime):  # a bare instant: Turkish local text (When says more)
        return str(When(value))
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y" if language == "tr" else "%Y-%m-%d")
    return str(value)  # int, When


def write_csv(table: Table, out: IO[bytes]) -> int:
    """Semicolon-separated with a BOM, decimal comma, CRLF (what Turkish Excel opens as columns)."""
    columns = table.columns
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    out.write(BOM)
    writer.writerow([neutralise(c.header) for c in columns])
    count = 0
    for row in table.rows:
        writer.writerow(
            [_csv_cell(v, c, table.language) for v, c in zip(row, columns, strict=False)]
        )
        count += 1
        if buffer.tell() >= CSV_BLOCK:
            out.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    out.write(buffer.getvalue().encode("utf-8"))
    return count


# --------------------------------------------------------------------------------------------
# XLSX


class _Formats:
    """The workbook's cell formats, made once each."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.cache: dict[tuple[Any, ...], Any] = {}

    def get(self, **properties: Any) -> Any:
        key = tuple(sorted(properties.items()))
        if key not in self.cache:
            self.cache[key] = self.book.add_format(properties)
        return self.cache[key]

    def text(self, value: str, **properties: Any) -> Any:
        if needs_neutralising(value):
            properties["quote_prefix"] = True
        return self.get(**properties) if properties else None

    def number(self, places: int) -> Any:
        return self.get(num_format="#,##0" + ("." + "0" * places if places else ""))


def _xlsx_cell(sheet: Any, formats: _Formats, r: int, c: int, value: Cell, column: Column) -> None:
    if value is None:
        return
    if isinstance(value, str):
        sheet.write_string(r, c, value, formats.text(value))
    elif isinstance(value, Decimal):
        if fits_a_double(value):
            places = column.places if column.places is not None else places_of(value)
            sheet.write_number(r, c, value, formats.number(places))
        else:  # a double would round it: the exact digits, as text
            sheet.write_string(r, c, format(value, "f"))
    elif isinstance(value, When):
        seconds = DATETIME_SECONDS_FORMAT if value.seconds else DATETIME_FORMAT
        sheet.write_datetime(r, c, value.local(), formats.get(num_format=seconds))
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(
            r, c, When(value).local(), formats.get(num_format=DATETIME_SECONDS_FORMAT)
        )
    elif isinstance(value, dt.date):
        day = dt.datetime(value.year, value.month, value.day)
        sheet.write_datetime(r, c, day, formats.get(num_format=DATE_FORMAT))
    elif abs(value) < 2**53:
        sheet.write_number(r, c, value)
    else:
        sheet.write_string(r, c, str(value))


def _header(sheet: Any, formats: _Formats, table: Table) -> int:
    """The banner (title, note) and the header row; returns the first data row."""
    row = 0
    if table.banner:
        sheet.write_string(0, 0, table.title, formats.text(table.title, bold=True))
        if table.note:
            sheet.write_string(1, 0, table.note, formats.text(table.note))
        row = 3
    head = {"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True}
    for c, column in enumerate(table.columns):
        sheet.write_string(row, c, column.header, formats.text(column.header, **head))
        sheet.set_column(c, c, max(12, min(40, len(column.header) + 2)))
    sheet.freeze_panes(row + 1, 0)
    return row + 1


def write_xlsx(table: Table, out: IO[bytes]) -> int:
    """One sheet written row by row (constant memory): the banner, the header row, the rows."""
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    count = 0
    try:
        sheet = book.add_worksheet(sheet_name(table.title))
        formats = _Formats(book)
        columns = table.columns
        first = _header(sheet, formats, table)
        for r, row in enumerate(table.rows, start=first):
            for c, (value, column) in enumerate(zip(row, columns, strict=False)):
                _xlsx_cell(sheet, formats, r, c, value, column)
            count += 1
    finally:
        book.close()
    return count


# --------------------------------------------------------------------------------------------
# Spooled files for HTTP


@dataclass
class Spooled:
    """A written file waiting to be sent: in memory when small, on disk when large."""

    file: IO[bytes]
    rows: int
    size: int

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes in blocks; the file is closed when they are sent (or abandoned)."""
        try:
            self.file.seek(0)
            while block := self.file.read(CHUNK):
                yield block
        finally:
            self.file.close()


def spool(table: Table, fmt: str) -> Spooled:
    """Write the file now (while the request's session is open) into a spooled temporary file."""
    file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        rows = write(table, fmt, file)
        size = file.seek(0, io.SEEK_END)
    except BaseException:
        file.close()
        raise
    return Spooled(file, rows, size)

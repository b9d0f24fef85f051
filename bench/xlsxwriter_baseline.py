"""The XLSX writer osos had before its direct writer (XlsxWriter, ``constant_memory``), kept as
the benchmark's same-run baseline (``bench_panel``) and as the tests' oracle for the cells
(``tests/exports/test_xlsx.py``, ``tests/web/test_ykp_export.py``): the same table must give the
same values, times, number formats and text cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

from osos.exports.table import MAX_DIGITS, Cell, Column, Table, When, needs_neutralising, sheet_name

DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
DATETIME_SECONDS_FORMAT = "dd.mm.yyyy hh:mm:ss"
DATE_FORMAT = "dd.mm.yyyy"


def places_of(value: Decimal) -> int:
    """The decimals a value carries (119200.831 → 3, 15 → 0)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fits_a_double(value: Decimal) -> bool:
    """Whether Excel can hold the value exactly as a number (finite, ≤ 15 significant digits)."""
    if not value.is_finite():
        return False
    significant = bytes(value.as_tuple().digits).rstrip(b"\0")  # trailing zeros hold nothing
    return len(significant) <= MAX_DIGITS


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

"""Downloads: exactly the rows a screen shows, as .xlsx (XlsxWriter) or CSV, Turkish headers.

Times are local (Europe/Istanbul): in Excel real date-times (``dd.mm.yyyy hh:mm``, seconds
where the screen shows them) so users can sort and compute with them, in CSV the screen's text;
numbers are exact decimals, so what the user opens matches what the panel showed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import xlsxwriter

from osos.timeutil import to_local

DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
DATETIME_SECONDS_FORMAT = "dd.mm.yyyy hh:mm:ss"


@dataclass(frozen=True)
class When:
    """A time cell: the instant (a local date-time in Excel) and the text the screen shows."""

    at: dt.datetime
    text: str
    seconds: bool = True

    def __str__(self) -> str:
        return self.text


Cell = str | Decimal | int | When | None


@dataclass(frozen=True)
class Table:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    note: str = ""


def safe_name(*parts: str) -> str:
    """A file name from its parts: ASCII letters, digits and dashes ('YKP_2000104137_…')."""
    text = "_".join(p for p in parts if p)
    text = unicodedata.normalize("NFKD", text.replace("ı", "i").replace("İ", "I"))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def _plain(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_csv(table: Table) -> bytes:
    """Semicolon-separated with a BOM, decimal comma (what Turkish Excel opens as columns)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(
            [_plain(v).replace(".", ",") if isinstance(v, Decimal) else _plain(v) for v in row]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One sheet: a title line, the note, the header row, the rows; numbers as numbers."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(table.title[:31] or "osos")
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    number = book.add_format({"num_format": "#,##0.000"})
    times = {
        False: book.add_format({"num_format": DATETIME_FORMAT}),
        True: book.add_format({"num_format": DATETIME_SECONDS_FORMAT}),
    }
    sheet.write(0, 0, table.title, bold)
    if table.note:
        sheet.write(1, 0, table.note)
    header_row = 3
    for c, name in enumerate(table.headers):
        sheet.write(header_row, c, name, head)
        sheet.set_column(c, c, max(12, min(40, len(name) + 2)))
    for r, row in enumerate(table.rows, start=header_row + 1):
        for c, value in enumerate(row):
            if isinstance(value, Decimal):
                # An .xlsx cell holds a double: exact for the ≤ 15 significant digits shown here,
                # and users can compute with it; the exact text stays in the CSV export.
                sheet.write_number(r, c, float(value), number)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            elif isinstance(value, When):
                # Excel has no time zones, and rounds what it hides: cut to what the screen shows
                local = to_local(value.at).replace(tzinfo=None, microsecond=0)
                if not value.seconds:
                    local = local.replace(second=0)
                sheet.write_datetime(r, c, local, times[value.seconds])
            elif value is None:
                sheet.write_blank(r, c, None)
            else:
                sheet.write_string(r, c, value)
    sheet.freeze_panes(header_row + 1, 0)
    book.close()
    return buffer.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

"""The two formats: XLSX (:mod:`osos.exports.xlsx`) and CSV, both written row by row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from osos.errors import InvalidInput
from osos.exports.table import Cell, Column, Table, When, decimal_text, neutralise
from osos.exports.xlsx import write_to

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
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


def write_xlsx(table: Table, out: IO[bytes]) -> int:
    """One sheet written row by row (:mod:`osos.exports.xlsx`): the banner, the header row,
    the rows; returns the rows written."""
    return write_to(table, out)


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

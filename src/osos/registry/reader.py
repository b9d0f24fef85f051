"""Read a CSV (UTF-8, ``;`` or ``,``) or XLSX file into numbered rows of text cells."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from osos.errors import ImportFailed


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (row number as a spreadsheet shows it, cells)


def read_table(path: Path) -> Table:
    """Rows keyed by lower-cased header; the header is row 1, so the first data row is row 2."""
    if not path.exists():
        raise ImportFailed([f"{path}: no such file"])
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raw_rows = _xlsx_rows(path)
    else:
        raw_rows = _csv_rows(path)
    if not raw_rows:
        raise ImportFailed([f"{path}: the file is empty"])
    header = tuple(_cell(h).lower() for h in raw_rows[0])
    duplicates = sorted({h for h in header if h and header.count(h) > 1})
    if duplicates:
        raise ImportFailed([f"row 1: column(s) given twice: {', '.join(duplicates)}"])
    rows = []
    for number, raw in enumerate(raw_rows[1:], start=2):
        cells = {h: _cell(v) for h, v in zip(header, raw, strict=False) if h}
        if any(cells.values()):
            rows.append((number, cells))
    return Table(columns=tuple(h for h in header if h), rows=tuple(rows))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFailed([f"{path}: not a readable .xlsx file ({exc})"]) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()

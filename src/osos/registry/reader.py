"""Read a CSV (UTF-8, ``;`` or ``,``) or XLSX file into numbered rows of text cells.

Every import (registry, readings, profiles; CLI and back office) reads here, so what a damaged
file can do is decided once: a row with fewer cells than the header, or a last row without its
line end, is a row cut short (a truncated upload, a copy interrupted) and is refused by number —
its last cell would otherwise parse as a shorter valid value ("2024-03-01" of
"2024-03-01T10:00", a password cut short). A NUL character or a cell longer than
:data:`MAX_CELL` characters is refused by row and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from osos.errors import ImportFailed

MAX_CELL = 131_072  # characters in one cell (the csv module's own field limit)


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
    rows, problems = [], []
    for number, raw in enumerate(raw_rows[1:], start=2):
        cells = {h: _cell(v) for h, v in zip(header, raw, strict=False) if h}
        if not any(cells.values()):
            continue
        problems += _damage(number, header, raw, cells)
        rows.append((number, cells))
    if problems:
        raise ImportFailed(problems)
    return Table(columns=tuple(h for h in header if h), rows=tuple(rows))


def _damage(
    number: int, header: tuple[str, ...], raw: list[str], cells: dict[str, str]
) -> list[str]:
    """What makes a row unreadable as a whole: cells missing (cut short), NUL, too long."""
    problems = []
    if len(raw) < len(header):
        problems.append(
            f"row {number}: {len(raw)} cells where the header has {len(header)}; the row is"
            " incomplete (cut short?)"
        )
    for column, value in cells.items():
        if "\x00" in value:
            problems.append(f"row {number}, column {column}: contains a NUL character")
        elif len(value) > MAX_CELL:
            problems.append(f"row {number}, column {column}: longer than {MAX_CELL:,} characters")
    return problems


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
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row)
    except csv.Error as exc:  # a cell over the csv module's limit
        raise ImportFailed([f"row {len(rows) + 1}: {exc}"]) from None
    if rows and len(rows) > 1 and text[-1:] not in ("\n", "\r") and any(rows[-1]):
        raise ImportFailed(
            [f"row {len(rows)}: the file ends inside this row (no line end); it may be cut short"]
        )
    return rows


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

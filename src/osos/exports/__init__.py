"""Every Excel and CSV file osos writes goes through this package, under one policy.

The panel's downloads, the back office's audit export, the API's paid files, the delivery's
upload template and ``osos report monthly --all --format xlsx|csv`` describe their content as a
:class:`Table` and hand it to :func:`write` (or :func:`spool` for HTTP). The policy:

- **Numbers are numbers.** A :class:`~decimal.Decimal` goes to the cell as its own digits
  (Decimal formatting, no float anywhere on the way); the column's
  number format shows the decimals the screen shows (``#,##0.000`` for kWh). A number with
  more than 15 significant digits cannot be held by Excel's double and is written as its exact
  text instead (never rounded). Integers stay integers. No number is ever written as text.
- **Times are real Excel date-times** in local time (Europe/Istanbul), cut to what the screen
  shows (``dd.mm.yyyy hh:mm`` or ``… hh:mm:ss``); calendar days are dates (``dd.mm.yyyy``).
  The decimals of a column are stated by its :class:`Column`; otherwise each value's own.
- **Turkish headers** (the caller's, from the catalogue or the file's own definition).
- **Formulas are neutralised.** A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return is never a formula: in XLSX it is a text cell with Excel's quote prefix (it
  stays text even when edited), in CSV it is prefixed with ``'``.
- **CSV as the panel writes it**: ``;`` between cells, decimal comma, UTF-8 with a BOM, CRLF;
  numbers with the shown decimals, times and days as the screen's text (the table's language).
- **Streamed**: rows are consumed one at a time (:mod:`osos.exports.xlsx` writes the sheet's
  XML into a deflated zip chunk by chunk, CSV in blocks), either straight into an HTTP
  response (:class:`Workbook`, the YKP export) or into a spooled temporary file that HTTP
  responses send in chunks, so memory stays flat
  however many rows a file has (``bench/bench_exports.py``, ``tests/exports``, and
  ``docs/exports.md`` with the figures).
"""

from osos.exports.table import (
    Cell,
    Column,
    Rows,
    Table,
    When,
    neutralise,
    safe_name,
)
from osos.exports.writers import (
    CSV_TYPE,
    FORMATS,
    XLSX_TYPE,
    Spooled,
    media_type,
    spool,
    write,
    write_csv,
    write_xlsx,
)
from osos.exports.xlsx import Workbook

__all__ = [
    "CSV_TYPE",
    "FORMATS",
    "XLSX_TYPE",
    "Cell",
    "Column",
    "Rows",
    "Spooled",
    "Table",
    "When",
    "Workbook",
    "media_type",
    "neutralise",
    "safe_name",
    "spool",
    "write",
    "write_csv",
    "write_xlsx",
]

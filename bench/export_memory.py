"""How much memory writing a file takes: the tracemalloc peak of one export of ``n`` rows.

Used by ``bench/bench_exports.py`` (which prints the figures) and by
``tests/exports/test_memory.py`` (which asserts the peak does not grow with the rows).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import tracemalloc
from collections.abc import Iterator, Sequence
from decimal import Decimal

from osos.exports import Cell, Column, Table, When, write
from osos.timeutil import QUARTER, parse_local

START = parse_local("2026-10-01T00:00")
HEADERS = (
    Column("Başlangıç zamanı"),
    Column("Bitiş zamanı"),
    Column("Çekiş (kWh)", 3),
    Column("Veriş (kWh)", 3),
    Column("Endeks 1.8.0", 3),
    Column("Sayaç Seri No"),
    Column("Kaynak"),
)


def rows(n: int) -> Iterator[Sequence[Cell]]:
    """``n`` YKP-like rows, made one at a time (as a database cursor hands them over)."""
    index = Decimal("119200.000")
    for k in range(n):
        start = START + QUARTER * k
        kwh = Decimal(k % 97).scaleb(-3)
        index += kwh
        yield [When(start), When(start + QUARTER), kwh, Decimal(0), index, "=M1", "okunan"]


def table(n: int) -> Table:
    return Table("YKP", HEADERS, rows(n), note="2000104137")


def peak(fmt: str, n: int) -> tuple[int, float]:
    """(peak bytes traced while writing ``n`` rows to a file on disk, seconds)."""
    with tempfile.TemporaryFile() as out:
        tracemalloc.start()
        began = dt.datetime.now(dt.UTC)  # a duration, not "now" of the domain
        try:
            write(table(n), fmt, out)
            _, top = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        return top, (dt.datetime.now(dt.UTC) - began).total_seconds()

"""A large export keeps memory flat: the tracemalloc peak of 100,000 rows is that of 10,000
(a memory ratio, never a time; the figures are printed by ``bench/bench_exports.py``)."""

from __future__ import annotations

import pytest
from bench.export_memory import peak


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_peak_does_not_grow_with_the_rows(fmt: str) -> None:
    small, _ = peak(fmt, 10_000)
    large, _ = peak(fmt, 100_000)
    assert large <= small * 1.25, (fmt, small, large)  # ten times the rows, not more memory

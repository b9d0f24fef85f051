"""``bench_panel``'s same-run baseline for the Excel export: the same rows the download holds,
written in the benchmark's own process by XlsxWriter ``constant_memory`` (the writer osos used
before, ``bench/xlsxwriter_baseline.py``) and by osos's direct writer, timed alone (no HTTP, no
database: the rows are read once, before timing)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import time
from typing import Any

from bench.xlsxwriter_baseline import write_xlsx as xlsxwriter_write

from osos.exports import Table, Workbook
from osos.readmodel.access import grant, service_point_id
from osos.runtime import Runtime
from osos.store import db
from osos.timeutil import UTC
from osos.web.screens import ykp, ykp_file

EVERYTHING = (dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2100, 1, 1, tzinfo=UTC))


def rows_of(runtime: Runtime, no: str, first: dt.date, last: dt.date) -> Table:
    """The download's table for the range, its rows read now (15-minute rows)."""
    query = ykp.YkpQuery.model_validate(
        {"from": first.isoformat(), "to": last.isoformat(), "step": "15"}
    )
    with db.transaction(runtime.sessions) as session:
        sight = grant(session, service_point_id(session, no) or 0, *EVERYTHING)
        table = ykp_file.download(session, sight, query, runtime.settings, "tr").table
        return dataclasses.replace(table, rows=list(table.rows))


def _times(write: Any, table: Table, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        write(table)
        times.append(time.perf_counter() - t)
    return times


def writers(table: Table, rounds: int) -> dict[str, list[float]]:
    """Seconds per file of each writer, rounds interleaved (a noisy neighbour slows both)."""
    result: dict[str, list[float]] = {"xlsxwriter": [], "direct": []}
    for _ in range(rounds):
        result["xlsxwriter"] += _times(lambda t: xlsxwriter_write(t, io.BytesIO()), table, 1)
        result["direct"] += _times(lambda t: b"".join(Workbook(t)), table, 1)
    return result

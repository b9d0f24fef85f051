"""Interval rows stored per second through osos's ingest, against the raw driver in the same run.

Not a test. ``python bench/bench_ingest.py [--quick]``: the same 24-column ``profile_intervals``
table, fresh rows every round, in chunks of 96 rows (a day of one meter) and 4 rows (an hour
of one meter) — the 4-row chunks batched across meters as the head-end's write-behind queue
does (``store_profiles``, many meters per transaction). Baselines: SQLite ``executemany`` of
prepared tuples in one transaction; PostgreSQL binary ``COPY`` of the same tuples. Each
figure is the best of three interleaved rounds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, script_main
from bench.headend_world import database, open_runtime

from osos.domain import CommMode
from osos.readings import IntervalRecord
from osos.runtime import Runtime
from osos.store.bulk import ROW_COLUMNS
from osos.store.intervals import ProfileBatch, interval_tuple, store_profiles
from osos.store.models import Meter

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
VALUES = {"1.8.0": Decimal("1234.567"), "5.8.0": Decimal("12.5"), "8.8.0": Decimal("0.25")}


def _records(count: int, first: int) -> list[IntervalRecord]:
    step = dt.timedelta(minutes=15)
    return [IntervalRecord(START + (first + i) * step, VALUES, "00") for i in range(count)]


def _raw(url: str, rows: list[tuple[object, ...]], size: int) -> Callable[[], None]:
    """The baseline writer of ``rows`` (executemany / binary COPY), one transaction per
    ``size`` rows, on one connection opened before the timing."""
    runtime = open_runtime(url)
    with runtime.engine.connect():
        pass  # the pool's connection, made now

    def write() -> None:
        for start in range(0, len(rows), size):
            _write(runtime, rows[start : start + size])

    return write


def _write(runtime: Runtime, rows: list[tuple[object, ...]]) -> None:
    """One transaction of the baseline: executemany (SQLite) or binary COPY (PostgreSQL)."""
    with runtime.engine.begin() as connection:
        dbapi = connection.connection.dbapi_connection
        cursor = dbapi.cursor()  # type: ignore[union-attr]
        columns = ", ".join(ROW_COLUMNS)
        if runtime.is_sqlite:
            to_db = [(r[0], r[1].strftime("%Y-%m-%d %H:%M:%S.%f"), *r[2:]) for r in rows]  # type: ignore[attr-defined]
            marks = ", ".join("?" * len(ROW_COLUMNS))
            cursor.executemany(f"INSERT INTO profile_intervals ({columns}) VALUES ({marks})", to_db)
        else:
            types = ["int4", "timestamptz", *["int8"] * (len(ROW_COLUMNS) - 7)]
            types += ["text", "varchar", "varchar", "int4", "int4"]
            with cursor.copy(
                f"COPY profile_intervals ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        cursor.close()


def _meters(url: str, count: int) -> list[int]:
    runtime = open_runtime(url)
    with runtime.sessions.begin() as session:
        meters = [
            Meter(serial=f"B{next(_SERIALS):07d}", flag="XYZ", comm_mode=CommMode.NONE)
            for _ in range(count)
        ]
        session.add_all(meters)
        session.flush()
        ids = [m.id for m in meters]
    runtime.close()
    return ids


ROUNDS = 3
_SERIALS = itertools.count()


def _rate(url: str, chunk: int, total: int) -> tuple[float, float, float]:
    """(osos, baseline, baseline in osos's transactions) rows/s, each the best of
    :data:`ROUNDS` interleaved rounds on fresh meters: a noisy neighbour slows all alike."""
    best = (0.0, 0.0, 0.0)
    for _ in range(ROUNDS):
        found = _round(url, chunk, total)
        best = (max(best[0], found[0]), max(best[1], found[1]), max(best[2], found[2]))
    return best


def _round(url: str, chunk: int, total: int) -> tuple[float, float, float]:
    """(osos, baseline, baseline per flush) rows/s for ``total`` rows in chunks of ``chunk``
    per meter; the last writes the baseline's rows in as many transactions as osos makes."""
    meters = _meters(url, total // chunk * 3)
    third = len(meters) // 3
    runtime = open_runtime(url)
    batches = [
        ProfileBatch(m, tuple(interval_tuple(m, r) for r in _records(chunk, 0)))
        for m in meters[:third]
    ]
    start = time.perf_counter()
    per_transaction = max(1, 400 // chunk)  # the head-end's flush: about 400 rows at once
    for i in range(0, len(batches), per_transaction):
        with runtime.sessions.begin() as session:
            store_profiles(session, batches[i : i + per_transaction])
    osos_rate = total / (time.perf_counter() - start)
    runtime.close()
    rates = []
    for group in (meters[third : 2 * third], meters[2 * third :]):
        rows = [interval_tuple(m, r) for m in group for r in _records(chunk, 0)]
        write = _raw(url, rows, len(rows) if not rates else per_transaction * chunk)
        start = time.perf_counter()
        write()
        rates.append(len(rows) / (time.perf_counter() - start))
    return osos_rate, rates[0], rates[1]


def run(quick: bool) -> list[Figure]:
    """Every figure of this module (the ``python -m bench`` entry point)."""
    total = 9600 if quick else 48000
    figures = []
    for backend, baseline in (("sqlite", "executemany"), ("postgresql", "binary COPY")):
        for chunk in (96, 4):
            with database(backend) as url:
                if url is None:
                    figures.append(Figure(f"ingest {backend}", 0, "", note="no server: skipped"))
                    continue
                osos_rate, raw_rate, per_flush = _rate(url, chunk, total)
            note = f"raw in osos's transactions: {per_flush:,.0f} rows/s"
            figures.append(
                Figure.against(
                    f"ingest {backend}, {chunk}-row chunks",
                    osos_rate,
                    "rows/s",
                    f"raw {baseline}",
                    raw_rate,
                    at_least=0.5,
                    note=note + (", batched across meters" if chunk == 4 else ""),
                )
            )
    return figures


if __name__ == "__main__":
    script_main(run)

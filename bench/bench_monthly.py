"""The monthly run for N service points with a month of 15-minute data each, against DuckDB over
the same rows in the same run (the rows already in memory: the floor for this work).

    .venv/bin/python bench/bench_monthly.py                        # 1,000 and 10,000, SQLite
    .venv/bin/python bench/bench_monthly.py --service-points 1000  # one size
    .venv/bin/python bench/bench_monthly.py --db-url postgresql+psycopg://postgres@127.0.0.1/x
    .venv/bin/python bench/bench_monthly.py --db-url ... --service-points 10000 --reuse
        # keeps the data a previous run of the same size generated there (10,000 points take
        # minutes to generate)

Each measurement runs in a child process of its own, so its peak memory (max RSS) is its own.
``run(quick)`` gives the figures to ``python -m bench``. The data generator is this module's own
(no import from ``tests/``).

Every service point has one meter (multiplier 30) with 1.8.0, 2.8.0, 5.8.0, 8.8.0 in its profile
and no readouts, so T1/T2/T3 come from the tariff zones and max demand from the profile — the
heaviest path. The data is generated with bulk inserts (executemany on SQLite, COPY on
PostgreSQL). The baseline loads the month's rows into DuckDB (not timed) and times one query that
computes per meter what the run computes from the profile: consumption of the four registers,
1.8.0 per tariff zone and the largest 15-minute demand with its time. The set-based run is checked
against the baseline's consumption and against the per-point run (1,000 points).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure

from osos.mdm.bulk import monthly_bulk
from osos.mdm.bulk_read import profile_table
from osos.mdm.model import INTERVAL
from osos.mdm.months import monthly_all
from osos.runtime import Runtime
from osos.settings import DatabaseSettings, Settings
from osos.store import db, partitions
from osos.timeutil import month_bounds, month_start_before, to_local

COLUMNS = ("meter_id", "end_at", "r1_8_0", "r2_8_0", "r5_8_0", "r8_8_0", "source", "version")


def _stamps(start: dt.datetime, end: dt.datetime, sqlite: bool) -> list[tuple[object, bool]]:
    """Every interval end of the month as the database takes it, and whether it is daytime."""
    result: list[tuple[object, bool]] = []
    t = start
    while t <= end:
        day = 6 <= to_local(t - INTERVAL).hour < 22
        result.append((t.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else t, day))
        t += INTERVAL
    return result


def _rows(meter_id: int, stamps: list[tuple[object, bool]]) -> list[tuple[object, ...]]:
    """One meter's month: a daily shape that differs per meter, in milli-units."""
    rows = []
    a, r, c = meter_id * 1000, meter_id * 10, 0
    step = meter_id % 7 + 1
    high, low, reactive = 100 + 40 * step, 60, 20 + step
    for stamp, day in stamps:
        rows.append((meter_id, stamp, a, 0, r, c, "actual", 1))
        a += high if day else low
        r += reactive
        c += 3
    return rows


def generate(runtime: Runtime, count: int, period: str) -> int:
    start, end = month_bounds(period)
    sqlite = runtime.is_sqlite
    installed = (start - dt.timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with runtime.engine.begin() as conn:  # PostgreSQL: the months' partitions, as the upkeep makes
        for month in (month_start_before(start - INTERVAL), start, end):
            if partitions.is_partitioned(conn):
                partitions.create_month(conn, month)
    with runtime.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM profile_intervals")
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.executemany(
            "INSERT INTO service_points (id, no, connection, balancing_unit, generation, "
            "exchange_point, installed_power_kva, created_at, updated_at) VALUES "
            + ("(?, ?, 'distribution', 0, 'none', 0, '100', ?, ?)" if sqlite else
               "(%s, %s, 'distribution', false, 'none', false, '100', %s, %s)"),
            [(i, f"B{i:06d}", installed, installed) for i in range(1, count + 1)],
        )  # fmt: skip
        cursor.executemany(
            "INSERT INTO meters (id, serial, flag, protocol, kind, comm_mode, created_at) VALUES "
            + ("(?, ?, 'MSY', 'iec62056-21', 'electricity', 'none', ?)" if sqlite else
               "(%s, %s, 'MSY', 'iec62056-21', 'electricity', 'none', %s)"),
            [(i, f"S{i:08d}", installed) for i in range(1, count + 1)],
        )  # fmt: skip
        cursor.executemany(
            "INSERT INTO installations (id, meter_id, service_point_id, installed_at, ct_ratio, "
            "vt_ratio) VALUES " + ("(?, ?, ?, ?, '30', '1')" if sqlite else
                                   "(%s, %s, %s, %s, '30', '1')"),
            [(i, i, i, installed) for i in range(1, count + 1)],
        )  # fmt: skip
        total = 0
        columns = ", ".join(COLUMNS)
        stamps = _stamps(start, end, sqlite)
        for first in range(1, count + 1, 200):
            batch: list[tuple[object, ...]] = []
            for meter_id in range(first, min(first + 200, count + 1)):
                batch.extend(_rows(meter_id, stamps))
            if sqlite:
                cursor.executemany(
                    f"INSERT INTO profile_intervals ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    batch,
                )
            else:
                with cursor.copy(f"COPY profile_intervals ({columns}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            total += len(batch)
            print(f"\r  generated {total:,} rows", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    with runtime.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return total


PERIOD = "2026-10"


def _runtime(url: str, home: Path) -> Runtime:
    return Runtime(Settings(home=home, database=DatabaseSettings(url), secret_key="x" * 40))


def _peak_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


BASELINE = """
WITH r AS (
  SELECT m, epoch_us(t) AS t, e1, e2, e1 - lag(e1) OVER w AS d,
         hour(timezone('Europe/Istanbul', t - INTERVAL 15 MINUTE)) AS h
  FROM rows WINDOW w AS (PARTITION BY m ORDER BY t)
)
SELECT m, max(e1) - min(e1), max(e2) - min(e2),
  sum(d) FILTER (WHERE h >= 6 AND h < 17), sum(d) FILTER (WHERE h >= 17 AND h < 22),
  sum(d) FILTER (WHERE h >= 22 OR h < 6), arg_max(t, d * 4), max(d * 4)
FROM r GROUP BY m
"""


def phase_duckdb(runtime: Runtime) -> dict[str, Any]:
    """DuckDB over the same rows: the rows in memory first (not timed), then the computation."""
    start, end = month_bounds(PERIOD)
    with runtime.sessions() as session:
        ids = list(range(1, 1 + int(session.connection().exec_driver_sql(
            "SELECT count(*) FROM meters").scalar_one())))  # fmt: skip
        table = profile_table(session, ids, start, end)
    con = duckdb.connect()
    con.register("arrow_rows", table)
    kind = "strptime(t, '%Y-%m-%d %H:%M:%S.%f')::TIMESTAMPTZ" if table.schema.field(
        "t").type == "string" else "t"  # fmt: skip
    con.execute(f"CREATE TABLE rows AS SELECT m, {kind} AS t, e1, e2 FROM arrow_rows")
    began = time.perf_counter()
    result = con.execute(BASELINE).fetchall()
    took = time.perf_counter() - began
    return {"seconds": took, "peak_mib": _peak_mib(),
            "consumption": {int(r[0]): int(r[1]) for r in result}}  # fmt: skip


def phase_monthly(runtime: Runtime, per_point: bool) -> dict[str, Any]:
    """The set-based run (or the per-point run) of every service point, from the store."""
    run = monthly_all if per_point else monthly_bulk
    began = time.perf_counter()
    with runtime.sessions() as session:
        reports = {r.service_point: r.to_json() for r in run(session, PERIOD, runtime.settings)}
    took = time.perf_counter() - began
    return {"seconds": took, "peak_mib": _peak_mib(), "reports": reports}


def _child(url: str, phase: str, home: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--db-url", url, "--home", home],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result


def _generated(runtime: Runtime, count: int) -> int:
    """The profile rows of a database this generator filled with ``count`` points, or 0."""
    with runtime.engine.connect() as conn:
        points = conn.exec_driver_sql("SELECT count(*) FROM service_points").scalar_one()
        rows = conn.exec_driver_sql("SELECT count(*) FROM profile_intervals").scalar_one()
    return int(rows) if points == count and rows else 0


def measure(
    url: str, count: int, home: Path, *, per_point: bool, reuse: bool = False
) -> dict[str, Any]:
    """Generate ``count`` points (or reuse them), then each measurement in a child process."""
    db.upgrade(url)
    runtime = _runtime(url, home)
    try:
        rows = _generated(runtime, count) if reuse else 0
        if not rows:
            _clear(url)
            rows = generate(runtime, count, PERIOD)
    finally:
        runtime.close()
    base = _child(url, "duckdb", str(home))
    bulk = _child(url, "bulk", str(home))
    for meter_id, delta in base["consumption"].items():
        shown = bulk["reports"][f"B{int(meter_id):06d}"]["consumption"]["1.8.0"]
        if Decimal(shown) != Decimal(delta).scaleb(-3) * 30:
            raise SystemExit(f"B{int(meter_id):06d}: 1.8.0 {shown} != {delta} × 30")
    figures: dict[str, Any] = {
        "service_points": count, "rows": rows, "duckdb_s": base["seconds"],
        "duckdb_mib": base["peak_mib"], "bulk_s": bulk["seconds"], "bulk_mib": bulk["peak_mib"],
        "bulk_over_duckdb": bulk["seconds"] / base["seconds"],
    }  # fmt: skip
    if per_point:
        old = _child(url, "per-point", str(home))
        if old["reports"] != bulk["reports"]:
            raise SystemExit("the set-based run differs from the per-point run")
        figures.update(per_point_s=old["seconds"], per_point_mib=old["peak_mib"],
                       per_point_over_bulk=old["seconds"] / bulk["seconds"])  # fmt: skip
    return figures


def _print(dialect: str, f: dict[str, Any]) -> None:
    print(f"{dialect}, {f['service_points']:,} service points, {f['rows']:,} rows")
    print(
        f"  DuckDB over the same rows (baseline): {f['duckdb_s']:7.2f} s  {f['duckdb_mib']:5} MiB"
    )
    print(f"  set-based run, read from the store:   {f['bulk_s']:7.2f} s  {f['bulk_mib']:5} MiB"
          f"  = {f['bulk_over_duckdb']:.1f}× the baseline")  # fmt: skip
    if "per_point_s" in f:
        print(f"  per-point run (before):               {f['per_point_s']:7.2f} s  "
              f"{f['per_point_mib']:5} MiB  = {f['per_point_over_bulk']:.1f}× the set-based run"
              "; identical reports")  # fmt: skip


def _clear(url: str) -> None:
    with db.make_engine(url).begin() as conn:
        for table in ("billing_determinants", "profile_intervals", "installations", "meters",
                      "service_points"):  # fmt: skip
            conn.exec_driver_sql(f"DELETE FROM {table}")


def measured(
    quick: bool, db_url: str = "", sizes: tuple[int, ...] = (), reuse: bool = False
) -> list[dict[str, Any]]:
    """The measurements for each size (quick: 200 points); printed as they come."""
    results = []
    for count in sizes or ((200,) if quick else (1_000, 10_000)):
        with tempfile.TemporaryDirectory() as tmp:
            url = db_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            figures = measure(url, count, Path(tmp), per_point=count <= 1_000, reuse=reuse)
            dialect = db.make_engine(url).dialect.name
            _print(dialect, figures)
            results.append({**figures, "dialect": dialect})
    return results


def run(quick: bool) -> list[Figure]:
    """``python -m bench``: the set-based run against DuckDB over the same rows (lower is
    better), on a fresh SQLite file (``main`` takes ``--db-url`` for PostgreSQL)."""
    found = []
    for f in measured(quick):
        points, ratio = f["service_points"], f["bulk_over_duckdb"]
        met = ratio <= 5 and (points < 10_000 or f["bulk_s"] < 15)
        found.append(
            Figure(
                f"monthly run, {points:,} points ({f['dialect']})", f["bulk_s"], "s",
                "DuckDB over the same rows in memory", f["duckdb_s"], ratio,
                "≤ 5× DuckDB (10,000 points < 15 s on PostgreSQL)", met,
                note=f"{f['rows']:,} rows, {f['bulk_mib']} MiB peak",
            )
        )  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-points", type=int, default=0)
    parser.add_argument("--db-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of a previous run of the same size"
    )
    parser.add_argument("--phase", default="", help=argparse.SUPPRESS)
    parser.add_argument("--home", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        runtime = _runtime(args.db_url, Path(args.home))
        if args.phase == "duckdb":
            result = phase_duckdb(runtime)
        else:
            result = phase_monthly(runtime, per_point=args.phase == "per-point")
        print(json.dumps(result, default=str))
        return
    sizes = (args.service_points,) if args.service_points else ()
    measured(args.quick, args.db_url, sizes, args.reuse)


if __name__ == "__main__":
    main()

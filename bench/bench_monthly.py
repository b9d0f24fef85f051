"""Monthly run for N service points with a month of 15-minute data each, against a plain SQL
aggregate over the same rows in the same run.

    .venv/bin/python bench/bench_monthly.py                       # 10,000 service points, SQLite
    .venv/bin/python bench/bench_monthly.py --service-points 500  # a quick run
    .venv/bin/python bench/bench_monthly.py --db-url postgresql+psycopg://postgres@127.0.0.1/x

Every service point has one meter (multiplier 30) with 1.8.0, 2.8.0, 5.8.0, 8.8.0 in its profile
and no readouts, so T1/T2/T3 come from the tariff zones and max demand from the profile — the
heaviest path. The data is generated with bulk inserts (executemany on SQLite, COPY on
PostgreSQL). The baseline is ``SELECT meter_id, max(r1_8_0) - min(r1_8_0), … GROUP BY
meter_id`` over the month's rows; the monthly run's 1.8.0 consumption is checked against it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from osos.mdm.model import INTERVAL
from osos.mdm.service import monthly_all
from osos.runtime import Runtime
from osos.settings import DatabaseSettings, Settings
from osos.store import db
from osos.timeutil import month_bounds, to_local

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
    sqlite = runtime.settings.is_sqlite
    installed = (start - dt.timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S.%f")
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


def baseline(runtime: Runtime, period: str) -> tuple[float, dict[int, int]]:
    start, end = month_bounds(period)
    statement = text(
        "SELECT meter_id, max(r1_8_0) - min(r1_8_0), max(r2_8_0) - min(r2_8_0), "
        "max(r5_8_0) - min(r5_8_0), max(r8_8_0) - min(r8_8_0) FROM profile_intervals "
        "WHERE end_at >= :s AND end_at <= :e GROUP BY meter_id"
    )
    sqlite = runtime.settings.is_sqlite
    params = {
        "s": start.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else start,
        "e": end.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else end,
    }
    began = time.perf_counter()
    with runtime.engine.connect() as conn:
        rows = conn.execute(statement, params).all()
    return time.perf_counter() - began, {r[0]: r[1] for r in rows}


def monthly(runtime: Runtime, period: str) -> tuple[float, dict[str, Decimal]]:
    began = time.perf_counter()
    result: dict[str, Decimal] = {}
    with runtime.sessions() as session:
        for n, report in enumerate(monthly_all(session, period, runtime.settings), start=1):
            value = report.consumption["1.8.0"]
            assert value is not None
            result[report.service_point] = value
            if n % 500 == 0:
                print(f"\r  monthly {n:,}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service-points", type=int, default=10_000)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--db-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        db.upgrade(url)
        runtime = Runtime(
            Settings(home=Path(tmp), database=DatabaseSettings(url), secret_key="x" * 40)
        )
        try:
            began = time.perf_counter()
            rows = generate(runtime, args.service_points, args.period)
            took = time.perf_counter() - began
            print(f"data: {args.service_points:,} service points, {rows:,} interval rows "
                  f"in {took:.1f} s ({runtime.engine.dialect.name})")  # fmt: skip
            t_sql, raw = baseline(runtime, args.period)
            t_mdm, consumption = monthly(runtime, args.period)
            for i, delta in raw.items():
                expected = Decimal(delta).scaleb(-3) * 30
                if consumption[f"B{i:06d}"] != expected:
                    raise SystemExit(f"B{i:06d}: monthly {consumption[f'B{i:06d}']} != {expected}")
            print(f"plain SQL aggregate (max - min GROUP BY meter): {t_sql:8.2f} s")
            print(f"monthly run (segments, zones, ratios, demand):  {t_mdm:8.2f} s")
            print(f"ratio monthly / SQL aggregate:                  {t_mdm / t_sql:8.1f}×")
            each = t_mdm / args.service_points * 1000
            print(f"per service point: {each:.2f} ms; 1.8.0 consumption of all "
                  f"{len(raw):,} meters matches the aggregate × 30")  # fmt: skip
        finally:
            runtime.close()
            if args.db_url:
                with db.make_engine(url).begin() as conn:
                    for table in ("profile_intervals", "installations", "meters",
                                  "service_points"):  # fmt: skip
                        conn.exec_driver_sql(f"DELETE FROM {table}")


if __name__ == "__main__":
    main()

"""Panel benchmark: the YKP page and its Excel export for one meter-month of 15-minute data,
under concurrent users, against a static file served by the same server in the same run.

    .venv/bin/python bench/bench_panel.py [--users 1,4,16] [--requests 48] [--days 31] [--workers 1]

Prints, per concurrency, requests per second and latency (p50, p95) of each target and the
ratio of its mean latency to the static file's; then the Excel download against the same rows
written in the benchmark's process by XlsxWriter ``constant_memory`` (the writer osos used
before) and by osos's direct writer alone (``bench/excel_baseline.py``).
OSOS_BENCH_DATABASE_URL selects PostgreSQL; the default is a fresh SQLite file in a temporary
directory.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import excel_baseline

from osos.exports import Table
from osos.identity.demo import DemoLogin, ensure_demo_users
from osos.registry.importer import import_registry
from osos.runtime import Runtime
from osos.settings import DatabaseSettings, Settings
from osos.simulator.history import generate
from osos.store import db
from osos.timeutil import LOCAL_TZ, quarter_floor

ROOT = Path(__file__).resolve().parents[1]
ABONE_SP = "2000104137"  # the demo Abone's service point in examples/registry.csv

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _world(runtime: Runtime, days: int) -> tuple[dt.datetime, dict[str, DemoLogin]]:
    """The demo registry, ``days`` of data for the demo Abone up to now, and the demo logins."""
    with db.transaction(runtime.sessions) as session:
        import_registry(session, ROOT / "examples" / "registry.csv")
        session.flush()
        end = generate(session, ABONE_SP, days=days, end=quarter_floor(runtime.clock.now()))
        logins = {d.kind.value: d for d in ensure_demo_users(session)}
    return end, logins


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, home: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """The panel in its own process(es), as ``osos serve --workers N`` runs it."""
    env = {**os.environ, "OSOS_DATABASE_URL": url, "OSOS_HOME": home, "OSOS_SECRET_KEY": "b" * 40}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "osos.app.web:app_from_environment",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, env=env, cwd=ROOT)


async def _run(client: httpx.AsyncClient, path: str, users: int, total: int) -> list[float]:
    times: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=total)
    for n in range(total):
        queue.put_nowait(n)

    async def user() -> None:
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t = time.perf_counter()
            response = await client.get(path)
            response.raise_for_status()
            times.append(time.perf_counter() - t)

    await asyncio.gather(*(user() for _ in range(users)))
    return times


def _summary(times: list[float], wall: float) -> tuple[float, float, float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        len(times) / wall,
        statistics.median(ordered) * 1000,
        p95 * 1000,
        statistics.mean(ordered),
    )


async def _bench(
    base: str,
    cookie: dict[str, str],
    targets: dict[str, str],
    args: argparse.Namespace,
    table: Table,
) -> None:
    limits = httpx.Limits(max_connections=max(args.users) + 2)
    async with httpx.AsyncClient(base_url=base, cookies=cookie, timeout=300, limits=limits) as c:
        for path in targets.values():  # warm up
            (await c.get(path)).raise_for_status()
        print(
            f"{'users':>5} {'target':<10} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} {'× static':>9}"
        )
        for users in args.users:
            results = {}
            for name, path in targets.items():
                total = args.requests if name != "excel" else max(users, args.requests // 2)
                t = time.perf_counter()
                times = await _run(c, path, users, total)
                results[name] = _summary(times, time.perf_counter() - t)
            static_mean = results["static"][3]
            for name, (rps, p50, p95, mean) in results.items():
                print(
                    f"{users:>5} {name:<10} {rps:>8.1f} {p50:>9.1f} {p95:>9.1f} "
                    f"{mean / static_mean:>9.1f}"
                )
            _excel_against_writers(results["excel"], table, args.writer_rounds)


def _excel_against_writers(
    excel: tuple[float, float, float, float], table: Table, rounds: int
) -> None:
    """The same rows written in this process by XlsxWriter constant_memory and by the direct
    writer (no HTTP, no database), right after the level's requests: the Excel baseline."""
    for name, times in excel_baseline.writers(table, rounds).items():
        _, p50, p95, _ = _summary(times, sum(times))
        label = "xlsxwriter constant_memory" if name == "xlsxwriter" else "direct writer alone"
        print(
            f"      {label} (same rows, in-process): p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
            f"Excel download p50 {excel[1] / p50:.2f}×, p95 {excel[2] / p95:.2f}× it"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,4,16", help="Concurrency levels, comma-separated.")
    parser.add_argument("--requests", type=int, default=48, help="Requests per target and level.")
    parser.add_argument("--days", type=int, default=31, help="Days of 15-minute data to show.")
    parser.add_argument("--workers", type=int, default=1, help="Server worker processes.")
    parser.add_argument(
        "--writer-rounds", type=int, default=10, help="Rounds of the in-process Excel baseline."
    )
    args = parser.parse_args()
    args.users = [int(u) for u in args.users.split(",")]
    with tempfile.TemporaryDirectory() as home:
        url = os.environ.get("OSOS_BENCH_DATABASE_URL") or f"sqlite:///{home}/bench.sqlite3"
        db.upgrade(url)
        runtime = Runtime(
            Settings(home=Path(home), database=DatabaseSettings(url), secret_key="b" * 40)
        )
        t = time.perf_counter()
        end, logins = _world(runtime, args.days + 1)
        last = (end.astimezone(LOCAL_TZ)).date()
        first = last.fromordinal(last.toordinal() - args.days + 1)
        table = excel_baseline.rows_of(runtime, ABONE_SP, first, last)
        runtime.close()
        print(
            f"data: {args.days + 1} days of 15-minute rows for {ABONE_SP} "
            f"({time.perf_counter() - t:.1f} s to generate), database {url.split(':')[0]}, "
            f"{args.workers} server worker(s)"
        )
        port = _free_port()
        server = _serve(url, home, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(base + "/saglik", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            demo = logins["abone"]
            with httpx.Client(base_url=base) as c:
                token = CSRF.search(c.get("/giris").text)
                assert token
                c.post(
                    "/giris",
                    data={
                        "tip": "abone",
                        "login": demo.login,
                        "password": demo.password,
                        "csrf_token": token.group(1),
                    },
                )
                cookie = {"osos_session": c.cookies["osos_session"]}
            query = f"?from={first.isoformat()}&to={last.isoformat()}&step=15"
            targets = {
                "static": "/static/osos.css",
                "ykp": f"/hn/{ABONE_SP}/ykp{query}",
                "excel": f"/hn/{ABONE_SP}/ykp.xlsx{query}",
            }
            print(f"range {first} – {last}, 15-minute rows: {args.days * 96}")
            asyncio.run(_bench(base, cookie, targets, args, table))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

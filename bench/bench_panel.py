"""Panel benchmark: the YKP page and its Excel export for one meter-month of 15-minute data,
under concurrent users, against a static file served by the same server in the same run.

    .venv/bin/python bench/bench_panel.py [--users 1,50] [--requests 100] [--days 31]
        [--workers 1] [--threads N] [--queue-ms MS] [--targets static,ykp,ykp-cold,excel]

Prints, per concurrency, requests per second and latency (p50, p95) of each target, the ratio of
its mean latency and of its p95 to the static file's (same run, same concurrency), and how many
answers were 503 (the web edge's admission: more than ``--threads`` requests at once wait
``--queue-ms``, then are refused; both default to the server's own, ``OSOS_WEB_THREADS`` and
``OSOS_WEB_QUEUE_MS``). A 503 is counted and asked again after its Retry-After, like a browser;
its latency is not in the figures. ``ykp`` asks the same month each time (after the first, the
kept figures and rendered rows); ``ykp-cold`` a month starting one quarter later each time, so
nothing is kept. Then the Excel download against the same rows written in the benchmark's
process by XlsxWriter ``constant_memory`` (the writer osos used before) and by osos's direct
writer alone (``bench/excel_baseline.py``). OSOS_BENCH_DATABASE_URL selects PostgreSQL; the
default is a fresh SQLite file.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import excel_baseline
from bench.common import Figure

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

COLD_DAYS = 4  # data before the month, for the ykp-cold ranges (96 a day)
RETRIES = 30  # a request refused (503) more often than this fails the run
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


def _serve(url: str, home: str, port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """The panel in its own process(es), as ``osos serve --workers N`` runs it."""
    env = {**os.environ, "OSOS_DATABASE_URL": url, "OSOS_HOME": home, "OSOS_SECRET_KEY": "b" * 40}
    if args.threads:
        env["OSOS_WEB_THREADS"] = str(args.threads)
    if args.queue_ms:
        env["OSOS_WEB_QUEUE_MS"] = str(args.queue_ms)
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
        str(args.workers),
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, env=env, cwd=ROOT)


Asked = Callable[[int], str]  # request number → path


@dataclass
class Refused:
    count: int = 0


async def _run(
    client: httpx.AsyncClient, path: Asked, users: int, total: int, refused: Refused
) -> list[float]:
    times: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=total)
    for n in range(total):
        queue.put_nowait(n)

    async def user() -> None:
        while True:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            for _ in range(RETRIES):
                t = time.perf_counter()
                response = await client.get(path(n))
                if response.status_code != 503:
                    break
                refused.count += 1
                await asyncio.sleep(int(response.headers.get("retry-after", "1")))
            response.raise_for_status()
            times.append(time.perf_counter() - t)

    await asyncio.gather(*(user() for _ in range(users)))
    return times


def _moved(first: dt.date, last: dt.date, n: int) -> str:
    """The query of [first, last] moved back ``n`` quarters (days back, then a later start)."""
    back = dt.timedelta(days=n // 96 + 1)
    minutes = (n % 96) * 15
    day = f"?from={(first - back).isoformat()}&to={(last - back).isoformat()}&step=15"
    return day + f"&from_time={minutes // 60:02d}:{minutes % 60:02d}"


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
    targets: dict[str, Asked],
    args: argparse.Namespace,
    table: Table,
) -> list[Figure]:
    figures: list[Figure] = []
    limits = httpx.Limits(max_connections=max(args.users) + 2)
    async with httpx.AsyncClient(base_url=base, cookies=cookie, timeout=300, limits=limits) as c:
        for path in targets.values():  # warm up
            (await c.get(path(0))).raise_for_status()
        print(
            f"{'users':>5} {'target':<9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'mean×st':>8} {'p95×st':>7} {'503s':>5}"
        )
        start = 1  # ykp-cold: request numbers never asked before
        for users in args.users:
            results = {}
            for name, path in targets.items():
                total = args.requests if name != "excel" else max(users, args.requests // 2)
                refused = Refused()
                asked = path if name != "ykp-cold" else (lambda n, p=path, s=start: p(s + n))
                t = time.perf_counter()
                times = await _run(c, asked, users, total, refused)
                results[name] = (*_summary(times, time.perf_counter() - t), refused.count)
                start += total if name == "ykp-cold" else 0
            static_mean, static_p95 = results["static"][3], results["static"][2]
            for name, (rps, p50, p95, mean, shed) in results.items():
                print(
                    f"{users:>5} {name:<9} {rps:>7.1f} {p50:>8.1f} {p95:>8.1f} "
                    f"{mean / static_mean:>8.1f} {p95 / static_p95:>7.1f} {shed:>5}"
                )
            writers = {}
            if "excel" in results:
                writers = _excel_against_writers(results["excel"][:4], table, args.writer_rounds)
            figures += _figures(users, results, writers)
    return figures


def _excel_against_writers(excel: tuple[float, ...], table: Table, rounds: int) -> dict[str, float]:
    """The same rows written in this process by XlsxWriter constant_memory and by the direct
    writer (no HTTP, no database), right after the level's requests: the Excel baseline.
    Returns each writer's p50 (ms)."""
    p50s = {}
    for name, times in excel_baseline.writers(table, rounds).items():
        _, p50, p95, _ = _summary(times, sum(times))
        label = "xlsxwriter constant_memory" if name == "xlsxwriter" else "direct writer alone"
        print(
            f"      {label} (same rows, in-process): p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
            f"Excel download p50 {excel[1] / p50:.2f}×, p95 {excel[2] / p95:.2f}× it"
        )
        p50s[label] = p50
    return p50s


def _figures(
    users: int, results: dict[str, tuple[float, ...]], writers: dict[str, float]
) -> list[Figure]:
    """The level's figures for ``python -m bench``: latencies (lower is better) against the
    static file's p95, and the Excel download against XlsxWriter writing the same rows."""
    static_p95 = results["static"][2]
    found = []
    for name, label in (("ykp", "YKP page (kept month)"), ("ykp-cold", "YKP page (first visit)")):
        if name in results:
            p95 = results[name][2]
            ratio = p95 / static_p95
            found.append(
                Figure(
                    f"{label} p95, {users} users", p95, "ms", "static file p95", static_p95,
                    ratio, "< 50 ms and ≤ 5× the static file", p95 < 50 and ratio <= 5,
                    note=f"p50 {results[name][1]:.1f} ms, {int(results[name][4])} answers 503",
                )
            )  # fmt: skip
    if "excel" in results:
        p50, baseline = results["excel"][1], writers.get("xlsxwriter constant_memory")
        found.append(
            Figure(
                f"Excel download p50, {users} users", p50, "ms",
                "XlsxWriter constant_memory, same rows in-process", baseline,
                None if not baseline else p50 / baseline, "< 150 ms", p50 < 150,
                note=f"p95 {results['excel'][2]:.1f} ms",
            )
        )  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,50", help="Concurrency levels, comma-separated.")
    parser.add_argument("--requests", type=int, default=100, help="Requests per target and level.")
    parser.add_argument("--days", type=int, default=31, help="Days of 15-minute data to show.")
    parser.add_argument("--workers", type=int, default=1, help="Server worker processes.")
    parser.add_argument("--threads", type=int, default=0, help="OSOS_WEB_THREADS of the server.")
    parser.add_argument("--queue-ms", type=int, default=0, help="OSOS_WEB_QUEUE_MS of the server.")
    parser.add_argument("--targets", default="static,ykp,ykp-cold,excel", help="What to ask.")
    parser.add_argument(
        "--writer-rounds", type=int, default=10, help="Rounds of the in-process Excel baseline."
    )
    args = parser.parse_args()
    args.users = [int(u) for u in args.users.split(",")]
    _measure(args)


def run(quick: bool) -> list[Figure]:
    """``python -m bench``: 1 and 50 users (1 and 16 with ``quick``) on the default database
    (OSOS_BENCH_DATABASE_URL selects PostgreSQL)."""
    args = argparse.Namespace(
        users=[1, 16] if quick else [1, 50], requests=40 if quick else 100,
        days=31, workers=1, threads=0, queue_ms=0, targets="static,ykp,ykp-cold,excel",
        writer_rounds=3 if quick else 10,
    )  # fmt: skip
    return _measure(args)


def _measure(args: argparse.Namespace) -> list[Figure]:
    with tempfile.TemporaryDirectory() as home:
        url = os.environ.get("OSOS_BENCH_DATABASE_URL") or f"sqlite:///{home}/bench.sqlite3"
        db.upgrade(url)
        runtime = Runtime(
            Settings(home=Path(home), database=DatabaseSettings(url), secret_key="b" * 40)
        )
        t = time.perf_counter()
        end, logins = _world(runtime, args.days + 1 + COLD_DAYS)
        last = (end.astimezone(LOCAL_TZ)).date()
        first = last.fromordinal(last.toordinal() - args.days + 1)
        table = excel_baseline.rows_of(runtime, ABONE_SP, first, last)
        runtime.close()
        print(
            f"data: {args.days + 1 + COLD_DAYS} days of 15-minute rows for {ABONE_SP} "
            f"({time.perf_counter() - t:.1f} s to generate), database {url.split(':')[0]}, "
            f"{args.workers} server worker(s)"
        )
        port = _free_port()
        server = _serve(url, home, port, args)
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
            paths: dict[str, Asked] = {
                "static": lambda n: "/static/osos.css",
                "ykp": lambda n: f"/hn/{ABONE_SP}/ykp{query}",
                # the month moved back n quarters: a range never asked before
                "ykp-cold": lambda n: f"/hn/{ABONE_SP}/ykp{_moved(first, last, n)}",
                "excel": lambda n: f"/hn/{ABONE_SP}/ykp.xlsx{query}",
            }
            wanted = ["static", *(t for t in args.targets.split(",") if t != "static")]
            targets = {name: paths[name] for name in wanted}
            print(f"range {first} – {last}, 15-minute rows: {args.days * 96}")
            return asyncio.run(_bench(base, cookie, targets, args, table))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

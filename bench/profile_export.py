"""Where one panel export request spends its time: cProfile of the YKP Excel download.

Not a test. ``python bench/profile_export.py [--days 31] [--requests 5] [--top 20] [--path P]``
builds ``bench_panel``'s world (OSOS_BENCH_DATABASE_URL selects PostgreSQL, else a fresh
SQLite file), logs the demo Abone in through a TestClient and profiles ``--requests``
downloads of a month of 15-minute rows. The handler and its dependencies run in the server's
thread pool, so the profiler is switched on inside each thread-pool call and around the making
of each streamed chunk (the event loop's middleware is not profiled; the wall time per request
is printed for the whole request).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fastapi.dependencies.utils
import fastapi.routing
import starlette.concurrency
from bench.bench_panel import ABONE_SP, _world
from fastapi.testclient import TestClient

from osos.runtime import Runtime
from osos.settings import DatabaseSettings, Settings
from osos.store import db
from osos.timeutil import LOCAL_TZ
from osos.web import downloads
from osos.web.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROFILER = cProfile.Profile()
_original = starlette.concurrency.run_in_threadpool


async def _profiled(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    def call() -> Any:
        PROFILER.enable()
        try:
            return func(*args, **kwargs)
        finally:
            PROFILER.disable()

    return await _original(call)


def _profiled_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A streamed file's chunks, each made under the profiler (in the thread that makes it)."""
    made = iter(chunks)
    while True:
        PROFILER.enable()
        try:
            chunk = next(made, None)
        finally:
            PROFILER.disable()
        if chunk is None:
            return
        yield chunk


def _patch() -> None:
    fastapi.routing.run_in_threadpool = _profiled  # type: ignore[attr-defined]
    fastapi.dependencies.utils.run_in_threadpool = _profiled  # type: ignore[attr-defined]
    stream = downloads.stream
    downloads.stream = lambda chunks, fmt, name: stream(_profiled_chunks(chunks), fmt, name)


def _print(top: int) -> None:
    stats = pstats.Stats(PROFILER)
    total = stats.total_tt  # type: ignore[attr-defined]
    items = stats.stats.items()  # type: ignore[attr-defined]
    print(f"== {total:.3f} s under cProfile (thread-pool calls only)")
    print("-- own time (tottime)")
    for (filename, line, name), (_cc, calls, own, cum, _callers) in sorted(
        items, key=lambda kv: kv[1][2], reverse=True
    )[:top]:
        where = f"{Path(filename).name}:{line}" if line else filename
        print(f"{100 * own / total:5.1f} %  {calls:>8}  cum {cum:6.3f}s  {name}  ({where})")
    print("-- cumulative, osos functions")
    osos = [kv for kv in items if "/osos/" in kv[0][0]]
    for (filename, line, name), (_cc, calls, _own, cum, _callers) in sorted(
        osos, key=lambda kv: kv[1][3], reverse=True
    )[:top]:
        print(f"{100 * cum / total:5.1f} %  {calls:>8}  {name}  ({Path(filename).name}:{line})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--path", default="ykp.xlsx", help="the screen's download, e.g. ykp.csv")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        url = os.environ.get("OSOS_BENCH_DATABASE_URL") or f"sqlite:///{home}/bench.sqlite3"
        db.upgrade(url)
        settings = Settings(home=Path(home), database=DatabaseSettings(url), secret_key="b" * 40)
        runtime = Runtime(settings)
        end, logins = _world(runtime, args.days + 1)
        last = end.astimezone(LOCAL_TZ).date()
        first = last.fromordinal(last.toordinal() - args.days + 1)
        query = {"from": first.isoformat(), "to": last.isoformat(), "step": "15"}
        _patch()
        with TestClient(create_app(runtime)) as client:
            token = CSRF.search(client.get("/giris").text)
            assert token
            demo = logins["abone"]
            form = {"tip": "abone", "login": demo.login, "password": demo.password}
            client.post("/giris", data={**form, "csrf_token": token.group(1)})
            path = f"/hn/{ABONE_SP}/{args.path}"
            client.get(path, params=query).raise_for_status()  # warm up
            PROFILER.clear()
            walls = []
            for _ in range(args.requests):
                t = time.perf_counter()
                response = client.get(path, params=query)
                response.raise_for_status()
                walls.append(time.perf_counter() - t)
        runtime.close()
    print(f"{path}: {len(response.content):,} bytes, {args.days * 96} rows, {url.split(':')[0]}")
    print("wall per request (under cProfile), ms: " + ", ".join(f"{w * 1000:.0f}" for w in walls))
    _print(args.top)


if __name__ == "__main__":
    main()

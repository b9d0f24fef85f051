"""cProfile of one YKP page (a meter-month of 15-minute rows) in process, top own time (the
handler `show`: everything but the session dependency and the socket).

    .venv/bin/python bench/profile_panel.py [--days 31] [--top 25] [--repeat 3]

Builds the demo registry and ``days`` of data for the demo Abone in a fresh database
(OSOS_BENCH_DATABASE_URL, a PostgreSQL server URL ending in a database to create; default a
SQLite file), logs in and profiles ``repeat`` requests of the month's page after one warm-up.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_panel import ABONE_SP, CSRF, _world  # noqa: E402

from osos.runtime import Runtime  # noqa: E402
from osos.settings import DatabaseSettings, Settings  # noqa: E402
from osos.store import db  # noqa: E402
from osos.timeutil import LOCAL_TZ  # noqa: E402
from osos.web.app import create_app  # noqa: E402
from osos.web.routes import panel  # noqa: E402


class _Kept:
    """Both memos of the YKP page (figures, rendered rows), or none where the tree has none."""

    def clear(self) -> None:
        try:
            from osos.web.screens import ykp, ykp_figures
        except ImportError:
            return
        ykp_figures.FIGURES.clear()
        ykp.RENDERED.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument(
        "--cold", action="store_true", help="Forget the kept figures and rows before each request."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        url = os.environ.get("OSOS_BENCH_DATABASE_URL") or f"sqlite:///{home}/bench.sqlite3"
        db.upgrade(url)
        settings = Settings(home=Path(home), database=DatabaseSettings(url), secret_key="p" * 40)
        runtime = Runtime(settings)
        end, logins = _world(runtime, args.days + 1)
        last = end.astimezone(LOCAL_TZ).date()
        first = last.fromordinal(last.toordinal() - args.days + 1)
        path = f"/hn/{ABONE_SP}/ykp?from={first.isoformat()}&to={last.isoformat()}&step=15"
        with TestClient(create_app(runtime)) as client:
            demo = logins["abone"]
            token = CSRF.search(client.get("/giris").text)
            assert token
            form = {"tip": "abone", "login": demo.login, "password": demo.password}
            client.post("/giris", data={**form, "csrf_token": token.group(1)})
            client.get(path).raise_for_status()  # warm-up
            profile = cProfile.Profile()
            show = panel.show

            def profiled(*a: Any, **k: Any) -> Any:  # the handler runs in a worker thread
                if args.cold:
                    kept.clear()
                return profile.runcall(show, *a, **k)

            kept = _Kept()
            panel.show = profiled
            t = time.perf_counter()
            try:
                for _ in range(args.repeat):
                    client.get(path).raise_for_status()
            finally:
                panel.show = show
            wall = (time.perf_counter() - t) / args.repeat
        runtime.close()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats(args.sort).print_stats(args.top)
    print(f"{path}: {wall * 1000:.0f} ms per request, whole, under cProfile ({url.split(':')[0]})")
    print(out.getvalue())


if __name__ == "__main__":
    main()

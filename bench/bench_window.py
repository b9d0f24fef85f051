"""Meters read per 15-minute window: the head-end and the simulated fleet on this machine.

Not a test. ``python bench/bench_window.py [--quick] [--meters N] [--concurrency C]
[--latency S] [--backend postgresql|sqlite]``: the fleet (``N`` meters, one per modem port,
``S`` seconds of modem latency before every answer) in a process of its own, warmed (every
meter's history walked once at start, as in a simulator that has been running), registered in
a fresh database; the head-end ticks every quarter second as ``osos headend`` does, keeping
``C`` sessions running (readout, clock check, the last profile block) until every meter is
read. Both processes and the database share the machine's cores.

Figures: meters read per 15 minutes (the run's rate × 900 s) against the target of 100,000,
head-end and simulator CPU per session, the loop's lag, sessions lost. The rate is measured
on the whole run (the first sessions' ramp-up and the last ones' tail included).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, print_figures
from bench.headend_world import FleetProcess, LagProbe, database, open_runtime, register

from osos.headend.config import HeadendConfig
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.transport.tcp import install_uvloop

WINDOW_S = 900
TARGET = 100_000


async def _window(url: str, fleet: FleetProcess, meters: int, concurrency: int) -> dict[str, Any]:
    runtime = open_runtime(url)
    config = HeadendConfig(
        concurrency=concurrency,
        timeouts=Timeouts(connect=30, inter_byte=30, step=120, session=600),
        initial_backfill=dt.timedelta(hours=1),
        max_attempts=1,
    )
    scheduler = Scheduler(runtime, config=config)
    try:
        before = fleet.usage()
        with LagProbe() as probe:
            cpu, wall = time.process_time(), time.perf_counter()
            while len(scheduler.reports) < meters and time.perf_counter() - wall < WINDOW_S:
                await scheduler.tick()
                await asyncio.sleep(0.25)
            reports = await scheduler.drain()  # every report of the run
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after = fleet.usage()
        await scheduler.close()
    finally:
        runtime.close()
    ok = sum(r.outcome == "ok" for r in reports)
    return {
        "ok": ok,
        "lost": meters - ok,
        "wall_s": wall,
        "cpu_ms": cpu / max(len(reports), 1) * 1000,
        "sim_ms": (after["cpu_s"] - before["cpu_s"]) / max(len(reports), 1) * 1000,
        "sim_mb_per_1000": after["rss_kb"] / meters * 1000 / 1024,
        "lag_p99_ms": probe.p99() * 1000,
    }


def _figures(found: dict[str, Any], meters: int, warm_ms: float, backend: str) -> list[Figure]:
    per_window = found["ok"] / found["wall_s"] * WINDOW_S
    note = f"{found['ok']:,}/{meters:,} read in {found['wall_s']:.1f} s, {backend}"
    return [
        Figure.against(
            "meters read per 15-minute window",
            per_window,
            "meters",
            "the target",
            TARGET,
            at_least=1.0,
            note=note,
        ),
        Figure(
            "head-end CPU/session (window)",
            found["cpu_ms"],
            "ms",
            target="≤ 4 ms",
            met=found["cpu_ms"] <= 4.0,
        ),
        Figure(
            "simulator CPU/session (window)",
            found["sim_ms"],
            "ms",
            target="≤ 3 ms",
            met=found["sim_ms"] <= 3.0,
        ),
        Figure("simulator warm-up CPU/meter (history walk, once)", warm_ms, "ms"),
        Figure("simulator memory per 1,000 meters (window)", found["sim_mb_per_1000"], "MB"),
        Figure(
            "event-loop lag p99 (window)",
            found["lag_p99_ms"],
            "ms",
            target="< 50 ms",
            met=found["lag_p99_ms"] < 50,
        ),
        Figure(
            "sessions lost (window)",
            float(found["lost"]),
            "sessions",
            target="0",
            met=found["lost"] == 0,
        ),
    ]


async def _run(meters: int, concurrency: int, latency: float, backend: str) -> list[Figure]:
    uvloop = install_uvloop()
    fleet = FleetProcess(meters, 1, latency, uvloop=uvloop, warm=True)
    try:
        warm_ms = fleet.started["warm_cpu_s"] / meters * 1000
        with database(backend) as url:
            if url is None:
                return [Figure("meters per window", 0, "", note=f"no {backend}: skipped")]
            register(open_runtime(url), fleet, meters=meters, per_modem=1)
            found = await _window(url, fleet, meters, concurrency)
            return _figures(found, meters, warm_ms, backend)
    finally:
        fleet.close()


def run(quick: bool, argv: list[str] | None = None) -> list[Figure]:
    """Every figure of this module (the ``python -m bench`` entry point)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--meters", type=int, default=1000 if quick else 5000)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    args = parser.parse_args(argv or [])
    try:
        return asyncio.run(_run(args.meters, args.concurrency, args.latency, args.backend))
    finally:
        asyncio.set_event_loop_policy(None)


if __name__ == "__main__":
    print_figures(run("--quick" in sys.argv[1:], sys.argv[1:]))

"""Head-end CPU per meter session, the simulator's CPU and memory, and the event loop's lag.

Not a test. ``python bench/bench_headend.py [--quick]`` starts the simulated fleet in a
process of its own (modem latency before every answer), registers it in a fresh database
(SQLite, and PostgreSQL when reachable) and lets the head-end read every meter once — readout,
clock check and the last profile block, all sessions at once — measuring:

- head-end CPU per session (the whole process: event loop and database threads), against the
  same-run baseline of a bare asyncio readout session (no parsing, no store) on the same fleet;
- simulator CPU per session and its memory per 1,000 meters;
- the event loop's lag (p99 of a 10 ms sleeper's lateness), peak memory per 1,000 sessions, and
  sessions that failed.

``--dlms-share 0.25`` makes that share of the fleet DLMS/COSEM meters (IP wrapper, public
client: registers, clock, the last hour of profile) and adds, per backend, meters read per
minute and CPU per session of the DLMS meters alone against the IEC meters alone, each in a
database of its own, in the same run on the same fleet. ``--meters N`` sizes the fleet.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, script_main
from bench.fleet_process import fleet_specs, rss_kb
from bench.headend_world import (
    FleetProcess,
    LagProbe,
    database,
    open_runtime,
    raw_readout,
    register,
)

from osos.headend.config import HeadendConfig
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.transport.tcp import install_uvloop


async def _baseline(fleet: FleetProcess, sample: int) -> float:
    """CPU seconds of this process per bare readout session (``sample`` at once), on the
    fleet's IEC 62056-21 meters."""
    specs = fleet_specs(len(fleet.ports), 1, fleet.port_base, dlms_share=fleet.dlms_share)
    chosen = [s.serial for s in specs if s.protocol == "iec"][:sample]
    start = time.process_time()
    await asyncio.gather(*(raw_readout(fleet.ports[s], fleet.address[s] or "") for s in chosen))
    return (time.process_time() - start) / len(chosen)


async def _read_all(url: str, fleet: FleetProcess, meters: int) -> dict[str, Any]:
    runtime = open_runtime(url)
    try:
        config = HeadendConfig(
            concurrency=meters,
            timeouts=Timeouts(connect=30, inter_byte=30, step=120, session=600),
            initial_backfill=dt.timedelta(hours=1),
            max_attempts=1,
        )
        scheduler = Scheduler(runtime, config=config)
        before_sim = fleet.usage()
        base_rss = rss_kb()
        with LagProbe() as probe:
            cpu, wall = time.process_time(), time.perf_counter()
            reports = await scheduler.run_once()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        after_sim = fleet.usage()
    finally:
        runtime.close()
    done = len(reports)
    return {
        "sessions": done,
        "ok": sum(r.outcome == "ok" for r in reports),
        "cpu_ms": cpu / max(done, 1) * 1000,
        "wall_s": wall,
        "lag_p99_ms": probe.p99() * 1000,
        "peak_kb_per_1000": (probe.peak_kb - base_rss) / max(done, 1) * 1000,
        "sim_cpu_ms": (after_sim["cpu_s"] - before_sim["cpu_s"]) / max(done, 1) * 1000,
    }


def _figures(backend: str, found: dict[str, Any], baseline_ms: float, meters: int) -> list[Figure]:
    lost = found["sessions"] - found["ok"] + (meters - found["sessions"])
    note = f"{found['ok']}/{meters} ok in {found['wall_s']:.1f} s"
    return [
        Figure(
            f"head-end CPU/session ({backend})",
            found["cpu_ms"],
            "ms",
            "bare asyncio readout",
            baseline_ms,
            found["cpu_ms"] / baseline_ms if baseline_ms else None,
            "≤ 4 ms",
            found["cpu_ms"] <= 4.0,
            note,
        ),
        Figure(
            f"simulator CPU/session ({backend} run)",
            found["sim_cpu_ms"],
            "ms",
            target="≤ 3 ms",
            met=found["sim_cpu_ms"] <= 3.0,
        ),
        Figure(
            f"event-loop lag p99 ({backend})",
            found["lag_p99_ms"],
            "ms",
            target="< 50 ms",
            met=found["lag_p99_ms"] < 50,
        ),
        Figure(
            f"head-end peak RSS per 1,000 sessions ({backend})",
            found["peak_kb_per_1000"] / 1024,
            "MB",
        ),
        Figure(f"sessions lost ({backend})", float(lost), "sessions", target="0", met=lost == 0),
    ]


def _per_minute(found: dict[str, Any]) -> float:
    return float(found["ok"]) / found["wall_s"] * 60 if found["wall_s"] else 0.0


async def _by_protocol(backend: str, fleet: FleetProcess, meters: int) -> list[Figure]:
    """DLMS meters alone against IEC meters alone, each read in a database of its own."""
    found: dict[str, dict[str, Any]] = {}
    for protocol in ("iec", "dlms"):
        with database(backend) as url:
            assert url is not None
            runtime = open_runtime(url)
            count = register(runtime, fleet, meters=meters, per_modem=1, protocol=protocol)
            runtime.close()
            found[protocol] = {**await _read_all(url, fleet, count), "count": count}
    iec, dlms = found["iec"], found["dlms"]
    note = f"DLMS {dlms['ok']}/{dlms['count']} ok, IEC {iec['ok']}/{iec['count']} ok"
    return [
        Figure(
            f"DLMS meters read per minute ({backend})",
            _per_minute(dlms),
            "meters/min",
            "IEC 62056-21 meters alone",
            _per_minute(iec),
            _per_minute(dlms) / _per_minute(iec) if _per_minute(iec) else None,
            note=note,
        ),
        Figure(
            f"head-end CPU/session, DLMS ({backend})",
            dlms["cpu_ms"],
            "ms",
            "IEC 62056-21 session",
            iec["cpu_ms"],
            dlms["cpu_ms"] / iec["cpu_ms"] if iec["cpu_ms"] else None,
        ),
    ]


async def _run(
    quick: bool, uvloop: bool, dlms_share: float = 0.0, size: int | None = None
) -> list[Figure]:
    meters = size or (300 if quick else 900)
    latency = 0.5 if quick else 1.0
    fleet = FleetProcess(meters, 1, latency, uvloop=uvloop, dlms_share=dlms_share)
    figures: list[Figure] = []
    try:
        sim = fleet.usage()
        figures.append(
            Figure("simulator memory per 1,000 meters", sim["rss_kb"] / meters * 1000 / 1024, "MB")
        )
        baseline_ms = await _baseline(fleet, min(meters, 200)) * 1000
        for backend in ("sqlite", "postgresql"):
            with database(backend) as url:
                if url is None:
                    figures.append(
                        Figure(f"head-end ({backend})", 0, "", note="no server: skipped")
                    )
                    continue
                register(open_runtime(url), fleet, meters=meters, per_modem=1)
                found = await _read_all(url, fleet, meters)
                figures += _figures(backend, found, baseline_ms, meters)
            if dlms_share:
                figures += await _by_protocol(backend, fleet, meters)
        sim = fleet.usage()
        figures.append(
            Figure(
                "simulator memory per 1,000 meters after reads",
                sim["rss_kb"] / meters * 1000 / 1024,
                "MB",
            )
        )
    finally:
        fleet.close()
    return figures


def run(quick: bool, dlms_share: float = 0.0, meters: int | None = None) -> list[Figure]:
    """Every figure of this module (the ``python -m bench`` entry point)."""
    uvloop = install_uvloop()
    try:
        return asyncio.run(_run(quick, uvloop, dlms_share, meters))
    finally:
        asyncio.set_event_loop_policy(None)


def _option(name: str) -> str | None:
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args[:-1] else None


if __name__ == "__main__":
    share = float(_option("--dlms-share") or 0)
    size = int(_option("--meters") or 0) or None
    script_main(lambda quick: run(quick, share, size))

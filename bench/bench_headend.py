"""Head-end throughput: meters read per minute, concurrent against sequential, in one run.

Not a test. ``python bench/bench_headend.py --meters 100 --concurrency 50 --latency 0.2``
starts a simulated fleet (one TCP port per meter, ``--latency`` seconds before every answer,
like a GPRS modem), then reads every meter (readout, clock check, ``--hours`` of load profile)
with the head-end twice, each time into a fresh SQLite database: once strictly sequentially
(concurrency 1, the baseline, on the first ``--sample`` meters) and once at ``--concurrency``.
It prints meters per minute for both and the ratio. The simulator runs in the same process
and shares its CPU (1000 meters at concurrency 1000 with 1 s latency: about 110x).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from osos.domain import CommMode
from osos.headend.config import HeadendConfig
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.runtime import Runtime
from osos.settings import DatabaseSettings, Settings
from osos.simulator import Fleet
from osos.simulator.spec import MeterSpec, specs_for
from osos.store import db
from osos.store.models import Installation, Meter, ServicePoint
from osos.timeutil import UTC, FixedClock

NOW = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)


def _runtime(directory: Path, name: str) -> Runtime:
    url = f"sqlite:///{directory / name}"
    db.upgrade(url)
    return Runtime(
        Settings(home=directory, database=DatabaseSettings(url), secret_key="bench-" + "x" * 40)
    )


def _register(runtime: Runtime, specs: list[MeterSpec], fleet: Fleet) -> None:
    with runtime.sessions.begin() as session:
        for spec in specs:
            point = ServicePoint(no=f"SP{spec.serial}")
            meter = Meter(
                serial=spec.serial,
                flag=spec.meter_flag,
                comm_mode=CommMode.DIAL_OUT,
                host="127.0.0.1",
                port=fleet.port(spec.serial),
                password=spec.password,
            )
            session.add_all([point, meter])
            session.flush()
            session.add(
                Installation(
                    meter_id=meter.id,
                    service_point_id=point.id,
                    installed_at=dt.datetime(2025, 1, 1, tzinfo=UTC),
                    ct_ratio=Decimal(1),
                    vt_ratio=Decimal(1),
                )
            )


async def _read_all(
    runtime: Runtime, clock: FixedClock, concurrency: int, hours: int
) -> tuple[float, int, int]:
    config = HeadendConfig(
        concurrency=concurrency,
        timeouts=Timeouts(connect=30, inter_byte=30, step=120, session=600),
        initial_backfill=dt.timedelta(hours=hours),
        max_attempts=1,
    )
    scheduler = Scheduler(runtime, clock=clock, config=config)
    start = time.perf_counter()
    reports = await scheduler.run_once()
    elapsed = time.perf_counter() - start
    ok = sum(report.outcome == "ok" for report in reports)
    intervals = sum(report.profile.inserted for report in reports)
    return elapsed, ok, intervals


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=60, help="meters in the fleet")
    parser.add_argument("--concurrency", type=int, default=60, help="sessions at once")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per modem answer")
    parser.add_argument("--hours", type=int, default=6, help="hours of load profile per meter")
    parser.add_argument(
        "--sample",
        type=int,
        default=20,
        help="meters read sequentially for the baseline (its rate is per meter)",
    )
    args = parser.parse_args()

    clock = FixedClock(NOW)
    specs = [dataclasses.replace(s, port=0) for s in specs_for(args.meters, seed=11)]
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        async with Fleet(specs, clock=clock, latency=args.latency) as fleet:
            results = {}
            runs = (
                ("sequential", 1, specs[: args.sample]),
                ("concurrent", args.concurrency, specs),
            )
            for label, concurrency, chosen in runs:
                runtime = _runtime(directory, f"{label}.sqlite3")
                _register(runtime, chosen, fleet)
                results[label] = await _read_all(runtime, clock, concurrency, args.hours)
                runtime.close()
    print(
        f"{args.meters} meters, modem latency {args.latency:.2f} s per answer, "
        f"{args.hours} h of profile each"
    )
    rates = {}
    for label, (elapsed, ok, intervals) in results.items():
        rates[label] = ok / elapsed * 60
        print(
            f"{label:<11}: {rates[label]:8.1f} meters/min ({ok} ok in {elapsed:.1f} s, "
            f"{intervals} intervals stored)"
        )
    print(
        f"ratio concurrent/sequential at concurrency {args.concurrency}: "
        f"{rates['concurrent'] / rates['sequential']:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())

"""A simulated fleet in a process of its own, so its CPU is measured apart from the head-end's.

``python -m bench.fleet_process --meters N --per-modem K --port-base P --latency L [--warm]``
serves ``N`` generated meters, ``K`` behind each modem port (``P``, ``P+1``, …; the meter's
serial is its device address when ``K`` > 1); with ``--warm`` every meter's readout is made
once before the ports are announced (the history a long-running simulator has walked
already). It prints one JSON line with every meter's port and device address, then one JSON
line of its own CPU seconds and memory for every line it reads on standard input, and exits
when standard input closes. Not a test; bench and tests drive it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import resource
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from osos.simulator import Fleet
from osos.simulator.spec import MeterSpec, specs_for
from osos.transport.tcp import install_uvloop


def fleet_specs(
    meters: int, per_modem: int, port_base: int, seed: int = 11, dlms_share: float = 0.0
) -> list[MeterSpec]:
    """``meters`` generated meters, ``per_modem`` of them on each port from ``port_base``;
    ``dlms_share`` of them speak DLMS/COSEM (the IP wrapper; one per modem)."""
    specs = specs_for(meters, seed=seed, dlms_share=dlms_share)
    return [
        dataclasses.replace(
            spec,
            port=port_base + i // per_modem,
            device_address=spec.serial if per_modem > 1 else None,
        )
        for i, spec in enumerate(specs)
    ]


def rss_kb() -> int:
    """Resident memory now (kB), from /proc."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 1024


def usage(base_rss: int) -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpu_s": own.ru_utime + own.ru_stime,
        "rss_kb": rss_kb() - base_rss,
        "peak_kb": own.ru_maxrss - base_rss,
        "at": time.monotonic(),
    }


async def serve(args: argparse.Namespace) -> None:
    base = rss_kb()
    specs = fleet_specs(args.meters, args.per_modem, args.port_base, args.seed, args.dlms_share)
    async with Fleet(specs, latency=args.latency) as fleet:
        if args.warm:  # each meter's history walked once, as in a simulator that has run a while
            for spec in specs:
                fleet.device(spec.serial).readout_data_sets()
        warmed = usage(base)
        ports = {spec.serial: fleet.port(spec.serial) for spec in specs}
        address = {spec.serial: spec.device_address for spec in specs}
        first = {"ports": ports, "address": address, "warm_cpu_s": warmed["cpu_s"]}
        print(json.dumps({**first, **usage(base)}), flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            print(json.dumps({**usage(base), "refused": fleet.refused}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, required=True)
    parser.add_argument("--per-modem", type=int, default=1)
    parser.add_argument("--port-base", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--dlms-share", type=float, default=0.0)
    parser.add_argument("--warm", action="store_true", help="read every meter once at start")
    args = parser.parse_args()
    if args.uvloop:
        install_uvloop()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()

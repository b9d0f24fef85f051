"""Where the IEC 62056-21 codec spends its time: cProfile of each benchmarked path.

Not a test. ``python bench/profile_iec.py [captures|fleet|p01-emh|p01-makel] [--top N]``
runs the same work as ``bench_parser`` / ``bench_p01`` under cProfile and prints the
functions with the most own time (``tottime``), as a share of the total.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_p01, bench_parser, iec_inputs


def _work(path: str) -> Callable[[], int]:
    if path == "captures":
        samples = iec_inputs.captures()
        return lambda: bench_parser._osos_captures(samples * 50)
    if path == "fleet":
        fleet = iec_inputs.fleet_readouts(4)
        return lambda: bench_parser._osos_session(fleet * 10)
    source = iec_inputs.emh_profile() if path == "p01-emh" else iec_inputs.makel_profile()
    return lambda: sum(bench_p01.osos_rows(source) for _ in range(40))


def report(path: str, top: int) -> None:
    work = _work(path)
    work()  # warm caches and imports outside the profile
    profiler = cProfile.Profile()
    profiler.runcall(work)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    print(f"== {path}: {total:.3f} s under cProfile")
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in rows[:top]:
        where = f"{Path(filename).name}:{line}" if line else filename
        print(f"{100 * own / total:5.1f} %  {calls:>8}  cum {cumulative:6.3f}s  {name}  ({where})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", default=["captures", "fleet", "p01-emh", "p01-makel"])
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    for path in args.paths:
        report(path, args.top)


if __name__ == "__main__":
    main()

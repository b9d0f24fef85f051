"""Readout parsing throughput: our parser against a plain regex baseline, in one run.

Not a test. ``python bench/bench_parser.py [N]`` parses every readout sample N times with
:func:`parse_capture` (BCC, identification, data sets, Decimal values, time stamps) and with
``re.findall`` over the same bytes, and prints readouts/s for both and the ratio.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

from osos.protocol.iec62056_21.capture import parse_capture

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
READOUTS = [
    "makel-c520.txt",
    "emh-em4tii-readout.txt",
    "easymeter-q3da1024.txt",
    "kamstrup-162.txt",
]
BASELINE = re.compile(r"([^()\r\n]+)\(([^)]*)\)")


def _ours(samples: list[bytes]) -> int:
    count = 0
    for data in samples:
        result = parse_capture(data)
        count += len(result.values)
        for data_set in result.values:
            _ = data_set.number, data_set.time  # what a consumer asks for
    return count


def _baseline(samples: list[bytes]) -> int:
    return sum(len(BASELINE.findall(data.decode("ascii", "replace"))) for data in samples)


def _rate(func: object, samples: list[bytes], rounds: int) -> tuple[float, int]:
    assert callable(func)
    start = time.perf_counter()
    found = 0
    for _ in range(rounds):
        found = func(samples)
    elapsed = time.perf_counter() - start
    return rounds * len(samples) / elapsed, found


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    samples = [(DATA / name).read_bytes() for name in READOUTS]
    ours, ours_found = _rate(_ours, samples, rounds)
    base, base_found = _rate(_baseline, samples, rounds)
    print(f"{len(samples)} readouts x {rounds} rounds")
    print(f"osos parse_capture : {ours:10.0f} readouts/s ({ours_found} data sets per round)")
    print(f"regex baseline     : {base:10.0f} readouts/s ({base_found} matches per round)")
    print(f"ratio baseline/ours: {base / ours:10.1f}x")


if __name__ == "__main__":
    main()

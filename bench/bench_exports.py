"""Export benchmark: memory of writing 10,000 and 100,000 rows, XLSX and CSV.

    .venv/bin/python bench/bench_exports.py [--small 10000] [--large 100000]

Prints, per format, the tracemalloc peak of each size and their ratio (flat memory: about 1),
and the seconds each took (under tracemalloc, which slows Python several times).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.export_memory import peak  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{'format':<6} {'rows':>9} {'peak KiB':>10} {'seconds':>8}")
    for fmt in ("csv", "xlsx"):
        small, t_small = peak(fmt, args.small)
        large, t_large = peak(fmt, args.large)
        print(f"{fmt:<6} {args.small:>9,} {small / 1024:>10.0f} {t_small:>8.2f}")
        print(f"{fmt:<6} {args.large:>9,} {large / 1024:>10.0f} {t_large:>8.2f}")
        print(f"{fmt:<6} peak ratio {args.large // args.small}× rows: {large / small:.2f}")


if __name__ == "__main__":
    main()

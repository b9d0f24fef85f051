"""``python -m bench [--quick] [--only NAME] [--json FILE]``: every benchmark, one command.

Each module in :data:`MODULES` offers ``run(quick: bool) -> list[Figure]``; the runner prints
every figure with its same-run baseline and ratio, and with ``--json`` writes a summary with
the machine (CPU model, cores, Python, date). A module without ``run`` yet is skipped with a
one-line note. ``--only`` takes a module name (``bench_parser``) or part of one (``p01``);
repeat it to pick several. Benchmarks are never part of the test suite and assert no time.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, machine, print_figures, write_json

#: Benchmark modules by name, in the order they run. Others register theirs here.
MODULES = (
    "bench_parser",
    "bench_p01",
    "bench_headend",
    "bench_ingest",
    "bench_monthly",
    "bench_panel",
    "bench_window",
    "bench_raw",
)


def _selected(only: list[str] | None) -> list[str]:
    if not only:
        return list(MODULES)
    chosen = [name for name in MODULES if any(part in name for part in only)]
    if not chosen:
        raise SystemExit(f"no benchmark module matches {only}; modules: {', '.join(MODULES)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--only", action="append", metavar="NAME", help="module (part of) name")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write a JSON summary")
    args = parser.parse_args(argv)
    info = machine()
    print(f"# {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['date']}")
    figures: list[Figure] = []
    notes: list[str] = []
    failed = False
    for name in _selected(args.only):
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "run", None)
        if not callable(run):
            note = f"{name}: no run(quick) yet, skipped"
            print(f"# {note}", flush=True)
            notes.append(note)
            continue
        print(f"# {name}", flush=True)
        try:
            found = list(run(args.quick))
            print_figures(found)
        except Exception:  # one broken module must not hide the others' figures
            traceback.print_exc()
            notes.append(f"{name}: failed, see the run's output")
            failed = True
            continue
        figures += found
    if args.json is not None:
        write_json(args.json, figures, notes, quick=args.quick)
        print(f"# summary written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

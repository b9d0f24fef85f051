"""What every benchmark shares: a :class:`Figure`, same-run timing, and the runner's output.

A figure is only meaningful next to a baseline measured in the same run on the same machine
(these machines are shared and noisy), so a :class:`Figure` always carries its baseline and
the ratio; ``met`` says whether the target holds (None when there is no target or the
baseline was skipped). Benchmarks never assert a time: they report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@dataclass(frozen=True)
class Figure:
    """One measured figure against one same-run baseline.

    ``ratio`` is ``value / baseline_value`` (higher is better for rates); ``target`` is the
    text of the goal (``≥ 0.7×``); ``note`` says why a baseline was skipped or what it covers.
    """

    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @classmethod
    def against(
        cls,
        name: str,
        value: float,
        unit: str,
        baseline: str,
        baseline_value: float | None,
        *,
        at_least: float | None = None,
        note: str = "",
    ) -> Figure:
        """A rate against a baseline; ``at_least`` is the target ratio (None: no target).
        ``baseline_value`` None means the baseline was skipped (``note`` says why)."""
        ratio = None if not baseline_value else value / baseline_value
        target = "" if at_least is None else f"≥ {at_least:g}× {baseline}"
        met = None if ratio is None or at_least is None else ratio >= at_least
        return cls(name, value, unit, baseline, baseline_value, ratio, target, met, note)


def best_rates(
    contenders: dict[str, Callable[[], int]], *, repeats: int, min_seconds: float
) -> dict[str, float]:
    """Items per second of each contender, best of ``repeats`` rounds.

    Each contender is a callable doing one batch and returning how many items it handled.
    Rounds interleave the contenders (A B A B …) so that a noisy neighbour slows all of them
    alike; each round repeats a batch until ``min_seconds`` have passed.
    """
    best = dict.fromkeys(contenders, 0.0)
    for _ in range(repeats):
        for name, batch in contenders.items():
            items = 0
            start = time.perf_counter()
            elapsed = 0.0
            while elapsed < min_seconds:
                items += batch()
                elapsed = time.perf_counter() - start
            best[name] = max(best[name], items / elapsed)
    return best


def machine() -> dict[str, Any]:
    """CPU model, cores, Python and date: what a reader needs to weigh the figures."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _number(value: float | None) -> str:
    if value is None:
        return "skipped"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def format_figure(figure: Figure) -> str:
    """One line: value, baseline, ratio, target and whether it is met."""
    line = f"{figure.name:<44} {_number(figure.value):>12} {figure.unit}"
    if figure.baseline is not None:
        ratio = "" if figure.ratio is None else f"  = {figure.ratio:.2f}×"
        line += f"  vs {figure.baseline} {_number(figure.baseline_value)}{ratio}"
    if figure.target:
        verdict = {True: "met", False: "NOT met", None: "n/a"}[figure.met]
        line += f"  [target {figure.target}: {verdict}]"
    if figure.note:
        line += f"  ({figure.note})"
    return line


def print_figures(figures: Iterable[Figure]) -> None:
    for figure in figures:
        print(format_figure(figure), flush=True)


def write_json(path: Path, figures: Sequence[Figure], notes: Sequence[str], *, quick: bool) -> None:
    """The run's summary: machine, mode, every figure, and the modules that were skipped."""
    summary = {
        "machine": machine(),
        "quick": quick,
        "figures": [dataclasses.asdict(f) for f in figures],
        "notes": list(notes),
    }
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")


def script_main(run: Callable[[bool], list[Figure]]) -> None:
    """``python bench/bench_x.py [--quick]``: run one module and print its figures."""
    import sys

    print_figures(run("--quick" in sys.argv[1:]))

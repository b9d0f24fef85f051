"""P.01 load-profile throughput of the IEC 62056-21 codec against two baselines, in one run.

Not a test. ``python -m bench --only bench_p01`` (or ``python bench/bench_p01.py
[--quick]``) measures profile rows/s on one day (96 records) of the simulated EMH LZQJ
(VDEW header form, 15 channels) and Makel C520 (a time stamp per row, 6 channels + 2 status
groups), each answer one ``STX … ETX BCC`` frame. osos runs it as the head-end does: a
signed-on :class:`ClientSession` asks for the profile and turns the answer into a
:class:`LoadProfile` (frame buffer, decode, BCC, records with aware times and Decimal
values). Baselines: the typed regex (:mod:`bench.iec_baselines`, ≥ 0.7× is the target) and
the PyPI ``iec62056-21`` package's ``AnswerDataMessage`` (strings only, no target).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import iec_baselines, iec_inputs
from bench.common import Figure, best_rates, script_main
from bench.iec_inputs import ProfileInput

from osos.protocol.iec62056_21.events import ProfileReceived

TYPED = "typed regex"
PACKAGE = "iec62056-21 package"


def osos_rows(source: ProfileInput) -> int:
    """One profile read on the signed-on session: request, answer, records."""
    session = source.session
    session.send_profile_request(*iec_inputs.DAY)
    session.receive_data(source.frame)
    event = session.next_event()
    assert isinstance(event, ProfileReceived) and not event.errors
    return len(event.profile.records)


def _figures(source: ProfileInput, quick: bool) -> list[Figure]:
    name = f"P.01 rows, {source.name} {source.channels} channels"
    contenders: dict[str, Callable[[], int]] = {
        "osos": lambda: osos_rows(source),
        TYPED: lambda: len(iec_baselines.typed_profile(source.frame)),
    }
    parsers = iec_baselines.package()
    if parsers is not None:
        _readout, answer = parsers
        contenders[PACKAGE] = lambda: source.rows if answer(source.frame) else 0
    rates = best_rates(contenders, repeats=3 if quick else 7, min_seconds=0.1 if quick else 0.4)
    return [
        Figure.against(name, rates["osos"], "rows/s", TYPED, rates[TYPED], at_least=0.7),
        Figure.against(
            name,
            rates["osos"],
            "rows/s",
            PACKAGE,
            rates.get(PACKAGE),
            note="strings only" if parsers is not None else "package not installed: skipped",
        ),
    ]


def run(quick: bool) -> list[Figure]:
    """Rows/s for the EMH (15 channels) and Makel (6 channels) simulated profiles."""
    return _figures(iec_inputs.emh_profile(), quick) + _figures(iec_inputs.makel_profile(), quick)


if __name__ == "__main__":
    script_main(run)

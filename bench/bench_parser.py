"""Readout parsing throughput of the IEC 62056-21 codec against two baselines, in one run.

Not a test. ``python -m bench --only bench_parser`` (or ``python bench/bench_parser.py
[--quick]``) measures readouts/s on

* the capture files of ``tests/data/`` — osos :func:`parse_capture` (identification, BCC,
  data sets, then ``number`` and ``time`` of every data set, what a consumer asks for);
* the simulated fleet's readouts (Makel 2.0 kB, EMH 1.3 kB, Luna 0.9 kB, identification and
  ``STX … ETX BCC``) — osos :class:`ClientSession` as the head-end runs it (frame buffer,
  decode, BCC, data sets, then ``number`` and ``time``),

each against the typed-regex baseline and the PyPI ``iec62056-21`` package
(:mod:`bench.iec_baselines`). Targets: ≥ 0.7× the typed regex, ≥ 3× the package.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import iec_baselines, iec_inputs
from bench.common import Figure, best_rates, script_main

from osos.protocol.iec62056_21.capture import parse_capture
from osos.protocol.iec62056_21.events import ReadoutReceived
from osos.protocol.iec62056_21.session import ClientSession

TYPED = "typed regex"
PACKAGE = "iec62056-21 package"
MISSING = "package not installed (pip install -e '.[bench]'): skipped"


def _osos_captures(samples: list[bytes]) -> int:
    for data in samples:
        for data_set in parse_capture(data).values:
            _ = data_set.number, data_set.time  # what a consumer asks for
    return len(samples)


def _osos_session(samples: list[bytes]) -> int:
    for data in samples:
        session = ClientSession()
        session.send_request()
        session.receive_data(data)
        session.next_event()  # Identified
        session.send_option_select()
        event = session.next_event()
        assert isinstance(event, ReadoutReceived) and not event.errors
        for data_set in event.data_sets:
            _ = data_set.number, data_set.time
    return len(samples)


def _typed(samples: list[bytes]) -> int:
    for data in samples:
        iec_baselines.typed_readout(data)
    return len(samples)


def _figures(
    name: str, samples: list[bytes], ours: Callable[[list[bytes]], int], quick: bool
) -> list[Figure]:
    contenders: dict[str, Callable[[], int]] = {
        "osos": lambda: ours(samples),
        TYPED: lambda: _typed(samples),
    }
    parsers = iec_baselines.package()
    if parsers is not None:
        readout, _answer = parsers
        frames = [iec_baselines.as_frame(data) for data in samples]

        def package_batch() -> int:
            for frame in frames:
                readout(frame)
            return len(frames)

        contenders[PACKAGE] = package_batch
    rates = best_rates(contenders, repeats=3 if quick else 7, min_seconds=0.1 if quick else 0.4)
    return [
        Figure.against(name, rates["osos"], "readouts/s", TYPED, rates[TYPED], at_least=0.7),
        Figure.against(
            name,
            rates["osos"],
            "readouts/s",
            PACKAGE,
            rates.get(PACKAGE),
            at_least=3,
            note="" if parsers is not None else MISSING,
        ),
    ]


def run(quick: bool) -> list[Figure]:
    """Readouts/s on the capture files and on the simulated fleet's readouts."""
    figures = _figures(
        "readouts, tests/data captures", iec_inputs.captures(), _osos_captures, quick
    )
    fleet = iec_inputs.fleet_readouts(1 if quick else 4)
    figures += _figures("readouts, simulated fleet 0.9-2 kB", fleet, _osos_session, quick)
    return figures


if __name__ == "__main__":
    script_main(run)

"""Fuzzing as a habit: fuzz targets that run in every test run, and for minutes on demand.

A fuzz target is a test decorated with :func:`fuzz_target`: hypothesis feeds it inputs drawn
from its strategies; it passes when every input is either accepted or refused with one of
the decoder's own typed errors (:func:`refused`). In the normal suite each target tries a
fixed, small number of inputs with a fixed seed (deterministic, a fraction of a second).
``scripts/fuzz [--minutes N]`` runs every test marked ``fuzz`` with
``HYPOTHESIS_PROFILE=fuzz-long`` and ``OSOS_FUZZ_SECONDS`` (the time each target gets): the
target then runs round after round with fresh seeds until its time is used, and appends how
many inputs it tried to ``OSOS_FUZZ_REPORT`` (JSON lines) for the script to sum up.

Any decoder registers its own targets by importing this module — the IEC 62056-21 codec's
are in ``tests/protocol/test_fuzz.py``; a DLMS codec adds ``tests/protocol/dlms/test_fuzz.py``
the same way. The corpus helpers seed inputs from the real dumps in ``tests/data/``; the
mutations are those real inputs suffer: cuts at any byte, flipped bits, inserted garbage,
parity bits set by an 8N1 line, Unicode digits that ``int()`` would accept.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parent / "data"
LONG_PROFILE = "fuzz-long"
#: Inputs per round in a long run; rounds repeat with new seeds until the time is used.
ROUND = 2_000
_CHECKS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile(
    LONG_PROFILE, max_examples=ROUND, deadline=None, suppress_health_check=_CHECKS
)

#: Characters that look like digits and pass ``str.isdigit()`` / ``int()`` but are no ASCII
#: digits: superscripts, Arabic-Indic, Extended Arabic-Indic, NKo, Devanagari, fullwidth.
UNICODE_DIGITS = "²³¹٣۵߂०３"


def _long_run_seconds() -> float | None:
    if os.environ.get("HYPOTHESIS_PROFILE") != LONG_PROFILE:
        return None
    return float(os.environ.get("OSOS_FUZZ_SECONDS", "30"))


def _report(name: str, inputs: int, seconds: float, rounds: int) -> None:
    path = os.environ.get("OSOS_FUZZ_REPORT")
    if path:
        entry = {"target": name, "inputs": inputs, "seconds": round(seconds, 1), "rounds": rounds}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")


def fuzz_target(
    *strategies: st.SearchStrategy[Any], examples: int = 200
) -> Callable[[Callable[..., None]], Callable[[], None]]:
    """Make ``body(*drawn)`` a fuzz test: ``examples`` inputs in the normal suite (fixed seed),
    rounds of :data:`ROUND` inputs with fresh seeds for ``OSOS_FUZZ_SECONDS`` in a long run."""

    def decorate(body: Callable[..., None]) -> Callable[[], None]:
        name = f"{body.__module__}.{body.__qualname__}"

        @pytest.mark.fuzz
        @functools.wraps(body)
        def test() -> None:
            tried = [0]
            inputs = st.tuples(*strategies)

            def counted(drawn: tuple[Any, ...]) -> None:
                tried[0] += 1
                body(*drawn)

            budget = _long_run_seconds()
            if budget is None:
                quick = settings(
                    max_examples=examples,
                    deadline=None,
                    derandomize=True,
                    suppress_health_check=_CHECKS,
                )
                quick(given(inputs)(counted))()
                return
            long = settings.get_profile(LONG_PROFILE)
            start = time.monotonic()
            base = int.from_bytes(os.urandom(4), "big")
            rounds = 0
            try:
                while time.monotonic() - start < budget:
                    long(seed(base + rounds)(given(inputs)(counted)))()
                    rounds += 1
            finally:
                _report(name, tried[0], time.monotonic() - start, rounds)

        del test.__wrapped__  # type: ignore[attr-defined]  # pytest would ask for body's args
        return test

    return decorate


def refused(exc: BaseException, *allowed: type[BaseException]) -> None:
    """Assert an exception is one of the decoder's typed refusals, with a message."""
    assert isinstance(exc, allowed), f"{type(exc).__name__} escaped: {exc!r}"
    assert str(exc).strip(), f"{type(exc).__name__} without a message"


# ---------------------------------------------------------------- corpus and mutations


def dumps() -> list[bytes]:
    """Every real meter dump in ``tests/data/`` (captures as they were taken)."""
    return [path.read_bytes() for path in sorted(DATA.glob("*.txt"))]


def cuts(data: bytes) -> Iterator[bytes]:
    """Every truncation of ``data`` (a line that drops mid-frame can stop anywhere)."""
    for end in range(len(data)):
        yield data[:end]


def parity_set(data: bytes) -> Iterator[bytes]:
    """``data`` with bit 7 set on one byte at a time, then on every byte (an 8N1 line)."""
    for index, byte in enumerate(data):
        yield data[:index] + bytes([byte | 0x80]) + data[index + 1 :]
    yield bytes(byte | 0x80 for byte in data)


_GARBAGE = st.sampled_from(
    [
        *(bytes([control]) for control in (0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x15, 0x7F, 0xFF)),
        *(b"\r\n", b"(", b")", b"*", b"!", b"/", b"/?!\r\n", b";", b"P.01(", b"99999999"),
        "²".encode(),
    ]
) | st.binary(min_size=1, max_size=8)


@st.composite
def mutated(draw: st.DrawFn, sources: Sequence[bytes], *, max_steps: int = 4) -> bytes:
    """One real input, changed by up to ``max_steps`` of the damages real inputs suffer."""
    data = bytearray(draw(st.sampled_from(list(sources))))
    for _ in range(draw(st.integers(0, max_steps))):
        if not data:
            break
        index = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "cut", "parity", "copy"]))
        if action == "flip":
            data[index] ^= 1 << draw(st.integers(0, 7))
        elif action == "delete":
            del data[index : index + draw(st.integers(1, 4))]
        elif action == "insert":
            data[index:index] = draw(_GARBAGE)
        elif action == "cut":
            del data[index:]
        elif action == "parity":
            data[index] |= 0x80
        else:
            piece = data[index : index + draw(st.integers(1, 40))]
            data[draw(st.integers(0, len(data))) : 0] = piece
    return bytes(data)


@st.composite
def unicode_digits(draw: st.DrawFn, texts: Sequence[str]) -> str:
    """A real text with some ASCII digits replaced by look-alike Unicode digits."""
    chars = list(draw(st.sampled_from(list(texts))))
    places = [i for i, char in enumerate(chars) if "0" <= char <= "9"]
    if places:
        for index in draw(st.lists(st.sampled_from(places), min_size=1, max_size=3)):
            chars[index] = draw(st.sampled_from(UNICODE_DIGITS))
    return "".join(chars)

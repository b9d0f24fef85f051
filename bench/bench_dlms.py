"""DLMS frames decoded per second: osos's decoder against baselines measured in the same
run — dlms-cosem 21.3.2 (test extra, MIT) decoding the same frames where it can, and a bare
``struct``/slicing walk of the same bytes (the floor any Python decoder stands on).

Frames: the captures of tests/data/dlms, plus simulator-generated GET responses of profile
buffers (a day of 15-minute rows). dlms-cosem 21.3.2 keeps a GET.response's data as raw
bytes (it decodes A-XDR only on request), so its profile figure measures less work.
Prints ratios; asserts nothing. ``run(quick)`` returns
the figures for a ``python -m bench`` runner.

    .venv/bin/python bench/bench_dlms.py [--quick]
"""

from __future__ import annotations

import contextlib
import datetime as dt
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

from osos.protocol.dlms.apdu import decode_apdu
from osos.protocol.dlms.axdr import Data
from osos.protocol.dlms.cosem import AttributeDescriptor, Obis
from osos.protocol.dlms.hdlc import HdlcFrame
from osos.protocol.dlms.xdlms import GetResponse, Result
from osos.simulator import MeterSpec
from osos.simulator.dlms_meter import DlmsMeter
from osos.simulator.meter import VirtualMeter
from osos.timeutil import FixedClock

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "dlms"
NOW = dt.datetime(2026, 3, 10, 10, 7, 30, tzinfo=dt.UTC)


def captures() -> list[bytes]:
    return [bytes.fromhex(p.read_text().strip()) for p in sorted(DATA.glob("*.hex"))]


def profile_responses(days: int) -> list[bytes]:
    meter = DlmsMeter(VirtualMeter(MeterSpec("B1", protocol="dlms"), FixedClock(NOW)))
    buffer = meter.get(AttributeDescriptor(7, Obis(1, 0, 99, 1, 0), 2), None)
    assert isinstance(buffer, Data)
    rows = buffer.items[-96 * days :]
    return [GetResponse((Result(Data.array(*rows)),)).to_bytes()]


def osos_decode(raw: bytes) -> None:
    if raw[0] == 0x7E or raw[0] & 0xF0 == 0xA0:
        frame = HdlcFrame.from_bytes(raw)
        if frame.info[3:]:
            with contextlib.suppress(Exception):  # segments and parameters are no APDU
                decode_apdu(frame.info[3:])
        return
    try:
        decode_apdu(raw[8:] if raw[:2] == b"\x00\x01" else raw)
    except Exception:
        Data.from_bytes(raw) if raw[:1] in (b"\x01", b"\x02") else None


def struct_walk(raw: bytes) -> None:
    """Tags and lengths only: the least a decoder must touch."""
    pos, end, unpack = 0, len(raw), struct.unpack_from
    while pos < end:
        tag = raw[pos]
        pos += 1
        if tag in (5, 6):
            if pos + 4 > end:
                break
            unpack(">I", raw, pos)
            pos += 4
        elif tag in (9, 10, 12):
            pos += 1 + raw[pos] if pos < end else 0
        elif tag in (16, 18):
            pos += 2
        elif tag in (15, 17, 22):
            pos += 1


def dlms_cosem_decode() -> Callable[[bytes], None] | None:
    try:
        from dlms_cosem.connection import XDlmsApduFactory
        from dlms_cosem.hdlc.frames import InformationFrame
    except ImportError:
        return None
    factory = XDlmsApduFactory()

    def decode(raw: bytes) -> None:
        with contextlib.suppress(Exception):  # the cases 21.3.2 cannot parse
            if raw[0] == 0x7E:
                InformationFrame.from_bytes(raw)
            else:
                factory.apdu_from_bytes(raw[8:] if raw[:2] == b"\x00\x01" else raw)

    return decode


def rate(decode: Callable[[bytes], None], frames: list[bytes], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for raw in frames:
            decode(raw)
        count += len(frames)
    return count / (time.perf_counter() - start)


def run(quick: bool = False) -> list[tuple[str, float, str]]:
    seconds = 0.3 if quick else 2.0
    sets = {"captures": captures(), "profile GET responses": profile_responses(1)}
    figures = []
    other = dlms_cosem_decode()
    for label, frames in sets.items():
        ours = rate(osos_decode, frames, seconds)
        floor = rate(struct_walk, frames, seconds)
        figures.append((f"osos {label}", ours, "frames/s"))
        figures.append((f"struct walk {label}", floor, "frames/s"))
        if other is not None:
            figures.append((f"dlms-cosem 21.3.2 {label}", rate(other, frames, seconds), "frames/s"))
    return figures


def main() -> None:
    figures = run("--quick" in sys.argv)
    by_name = {name: value for name, value, _ in figures}
    for name, value, unit in figures:
        print(f"{name:<45} {value:>12,.0f} {unit}")
    for label in ("captures", "profile GET responses"):
        ours = by_name[f"osos {label}"]
        print(f"{label}: osos / struct walk = {ours / by_name[f'struct walk {label}']:.2f}")
        other = by_name.get(f"dlms-cosem 21.3.2 {label}")
        if other:
            print(f"{label}: osos / dlms-cosem 21.3.2 = {ours / other:.2f}")


if __name__ == "__main__":
    main()

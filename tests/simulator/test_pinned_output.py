"""The simulator's bytes are pinned: readouts and profiles of a few meters on a fixed clock.

The simulator is the fleet the head-end, the benchmarks and the tests read; its caches were
reshaped for memory (shared day patterns, sparse day-start checkpoints, bounded per-meter
caches), which must change nothing a meter says. Each case drives the codec's meter session
sans-io with the client session's requests and hashes every byte the meter answered; the
meters are read at several times, forward and back, on one meter object, so that cached
state from an earlier read cannot leak into a later one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable

import pytest

from osos.protocol.iec62056_21.events import NeedMoreData
from osos.protocol.iec62056_21.meter_session import MeterSession
from osos.protocol.iec62056_21.session import PROGRAMMING, READOUT, ClientSession
from osos.simulator.consumption import CustomerKind
from osos.simulator.meter import VirtualMeter
from osos.simulator.spec import MeterSpec, specs_for
from osos.timeutil import FixedClock

UTC = dt.UTC
# Times the meters are read at, in this order: forward, a month end, back in time, far ahead.
TIMES = (
    dt.datetime(2026, 3, 10, 10, 7, 30, tzinfo=UTC),
    dt.datetime(2026, 3, 31, 20, 59, 0, tzinfo=UTC),  # 23:59 local, the last of the month
    dt.datetime(2026, 4, 1, 0, 16, 5, tzinfo=UTC),
    dt.datetime(2025, 11, 2, 4, 44, 59, tzinfo=UTC),  # back: before the first read
    dt.datetime(2027, 7, 15, 13, 0, 0, tzinfo=UTC),
)
SPECS = (
    MeterSpec("80221569", "makel-c520", CustomerKind.INDUSTRY, seed=11, password="12345678"),
    MeterSpec("03878504", "emh-lzqj", CustomerKind.GENERATION, seed=12, password="87654321"),
    MeterSpec("669205929", "luna", CustomerKind.RESIDENCE, seed=13, password="11112222"),
    MeterSpec("30131001", "metcom-mcs301", CustomerKind.COMMERCE, seed=15, password="31313131"),
    MeterSpec(
        "80229999",
        "makel-c520",
        CustomerKind.LIGHTING,
        seed=14,
        drift_s=-754,
        install_date=dt.date(2017, 2, 3),
    ),
    *(dataclasses.replace(s, port=None) for s in specs_for(6, seed=11)[:6]),
)


def _call(meter: VirtualMeter, steps: list[Callable[[ClientSession], bytes]]) -> bytes:
    """Every byte the meter answers to ``steps`` (each one request of the client session,
    which sees each answer before it sends the next)."""
    client = ClientSession()
    session = MeterSession(meter, profile=meter.family.protocol, address=meter.spec.serial)
    out = bytearray()
    for step in steps:
        reply = session.receive_data(step(client))
        out += reply
        client.receive_data(reply)
        while not isinstance(client.next_event(), NeedMoreData):
            pass
    return bytes(out)


def _readout(meter: VirtualMeter) -> bytes:
    return _call(meter, [ClientSession.send_request, lambda c: c.send_option_select(READOUT)])


def _profile(meter: VirtualMeter, start: dt.datetime, end: dt.datetime) -> bytes:
    password = meter.spec.password
    return _call(
        meter,
        [
            ClientSession.send_request,
            lambda c: c.send_option_select(PROGRAMMING),
            lambda c: c.send_password(password),
            lambda c: c.send_profile_request(start, end),
        ],
    )


def _digest(spec: MeterSpec) -> str:
    clock = FixedClock(TIMES[0])
    meter = VirtualMeter(spec, clock)
    digest = hashlib.sha256()
    for when in TIMES:
        clock.set(when)
        digest.update(_readout(meter))
        digest.update(_profile(meter, when - dt.timedelta(hours=5), when))
        digest.update(_readout(meter))  # again: the second read from the caches
    return digest.hexdigest()[:16]


PINNED = {
    "80221569": "436046925eb402a4",
    "03878504": "7181ee85c69a670b",
    "669205929": "7fa3346b5d278777",
    "30131001": "e5d2276e8726bb58",
    "80229999": "318b3ad396d349d4",
    "80220000": "023d839571a007f9",
    "03870001": "37f538881b16d7cf",
    "80230002": "d24627b5961bb90e",
    "03880003": "cb18a7e7ee46d78d",
    "669200004": "cfd27700344c80b4",
    "80240005": "065aadd351416bf6",
}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.serial)
def test_meter_bytes_are_pinned(spec: MeterSpec) -> None:
    assert _digest(spec) == PINNED[spec.serial]

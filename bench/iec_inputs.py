"""Inputs of the IEC 62056-21 benchmarks: real captures and the simulated fleet's bytes.

Everything is made once, before any timing: the capture files of ``tests/data/``, readouts of
the simulator's families (0.9–2 kB, ``ident CR LF STX … ETX BCC`` as a head-end receives them)
and one day of P.01 from the EMH (15 header channels) and Makel (6 channels per row) families,
produced by the codec's own :class:`MeterSession` answering a :class:`ClientSession` in memory
(no sockets, a fixed clock).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bench.common import DATA

from osos.protocol.iec62056_21.events import Event, NeedMoreData, ProfileReceived
from osos.protocol.iec62056_21.framing import FrameBuffer
from osos.protocol.iec62056_21.meter_session import MeterSession
from osos.protocol.iec62056_21.session import PROGRAMMING, ClientSession
from osos.simulator import MeterSpec, VirtualMeter
from osos.timeutil import LOCAL_TZ, UTC, FixedClock

#: The capture files bench_parser has always parsed (four makes, three capture forms).
CAPTURES = (
    "makel-c520.txt",
    "emh-em4tii-readout.txt",
    "easymeter-q3da1024.txt",
    "kamstrup-162.txt",
)
NOW = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
DAY = (dt.datetime(2026, 11, 1, 0, 15, tzinfo=LOCAL_TZ), dt.datetime(2026, 11, 2, tzinfo=LOCAL_TZ))
FLEET_FAMILIES = ("makel-c520", "emh-lzqj", "luna")


def captures() -> list[bytes]:
    return [(DATA / name).read_bytes() for name in CAPTURES]


def _meter(family: str, serial: str) -> tuple[VirtualMeter, MeterSession]:
    spec = MeterSpec(serial=serial, family=family, seed=int(serial) % 9973)
    device = VirtualMeter(spec, FixedClock(NOW))
    return device, MeterSession(device)


def fleet_readouts(per_family: int = 4) -> list[bytes]:
    """``identification CR LF`` + the readout frame of meters of every readout family."""
    out = []
    for index in range(per_family):
        for number, family in enumerate(FLEET_FAMILIES):
            _device, meter = _meter(family, f"{80220000 + 10 * index + number}")
            ident = meter.receive_data(b"/?!\r\n")
            frame = meter.receive_data(b"\x06050\r\n")
            out.append(ident + frame)
    return out


def _until(client: ClientSession, meter: MeterSession, data: bytes) -> Event:
    client.receive_data(meter.receive_data(data))
    event = client.next_event()
    if isinstance(event, NeedMoreData):
        raise RuntimeError("the simulated meter did not answer")
    return event


@dataclass(frozen=True)
class ProfileInput:
    """One P.01 answer frame and a client session that is signed on, ready to ask again."""

    name: str
    frame: bytes
    session: ClientSession
    rows: int
    channels: int


def profile_input(family: str, serial: str) -> ProfileInput:
    """Sign on in programming mode, ask one day of P.01, keep the answer's frame bytes."""
    device, meter = _meter(family, serial)
    client = ClientSession()
    _until(client, meter, client.send_request())
    _until(client, meter, client.send_option_select(PROGRAMMING))
    _until(client, meter, client.send_password(device.spec.password))
    request = client.send_profile_request(*DAY)
    answer = meter.receive_data(request)
    client.receive_data(answer)
    event = client.next_event()
    if not isinstance(event, ProfileReceived) or event.errors:
        raise RuntimeError(f"{family}: no clean profile answer: {event!r}")
    buffer = FrameBuffer()
    buffer.feed(answer)
    (frame,) = list(buffer)
    records = event.profile.records
    return ProfileInput(family, frame, client, len(records), len(records[0].values))


def emh_profile() -> ProfileInput:
    return profile_input("emh-lzqj", "3870001")


def makel_profile() -> ProfileInput:
    return profile_input("makel-c520", "80220001")

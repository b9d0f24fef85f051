"""A small head-end for the simulator tests: the codec's ClientSession over asyncio streams."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from osos.protocol.iec62056_21.events import Event, Identified, NeedMoreData
from osos.protocol.iec62056_21.framing import ParityCodec
from osos.protocol.iec62056_21.session import PROGRAMMING, READOUT, ClientSession
from osos.simulator import Fleet, MeterSpec
from osos.simulator.consumption import CustomerKind
from osos.timeutil import FixedClock

NOW = dt.datetime(2026, 3, 10, 10, 7, 30, tzinfo=dt.UTC)  # 13:07:30 local, a Tuesday


class Client:
    """One call to a virtual meter, driven by the codec's client session."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, parity: bool = False
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.session = ClientSession(parity=ParityCodec(software=parity, check=parity))
        self.raw = bytearray()

    @classmethod
    async def connect(cls, port: int, *, parity: bool = False) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, parity=parity)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def event(self, timeout: float = 5.0) -> Event:
        while True:
            event = self.session.next_event()
            if not isinstance(event, NeedMoreData):
                return event
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                raise EOFError("the meter hung up")
            self.raw += data
            self.session.receive_data(data)

    async def sign_on(self) -> Event:
        await self.send(self.session.send_request())
        return await self.event()

    async def readout(self) -> Event:
        await self.sign_on()
        await self.send(self.session.send_option_select(READOUT))
        return await self.event()

    async def programming(self, password: str) -> Event:
        await self.sign_on()
        await self.send(self.session.send_option_select(PROGRAMMING))
        await self.event()  # P0 seed
        await self.send(self.session.send_password(password))
        return await self.event()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def seconds_to_identify(port: int) -> float:
    """How long one sign-on takes to be answered with an identification (pacing tests)."""
    client = await Client.connect(port)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        assert isinstance(await client.sign_on(), Identified)
    finally:
        await client.close()
    return loop.time() - started


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


SPECS = (
    MeterSpec(
        "80221569", "makel-c520", CustomerKind.INDUSTRY, seed=11, password="12345678", port=0
    ),
    MeterSpec(
        "03878504", "emh-lzqj", CustomerKind.GENERATION, seed=12, password="87654321", port=0
    ),
    MeterSpec("669205929", "luna", CustomerKind.RESIDENCE, seed=13, password="11112222", port=0),
    MeterSpec(
        "30131001", "metcom-mcs301", CustomerKind.COMMERCE, seed=15, password="31313131", port=0
    ),
    MeterSpec(
        "80229999",
        "makel-c520",
        CustomerKind.COMMERCE,
        seed=14,
        password="00000000",
        port=0,
        parity=True,
        drift_s=-754,
    ),
)


@pytest.fixture
async def fleet(clock: FixedClock) -> AsyncIterator[Fleet]:
    async with Fleet(SPECS, clock=clock, option_timeout=0.3, idle_timeout=5.0) as running:
        yield running

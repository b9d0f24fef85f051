"""Fixtures for the DLMS tests: the captures in tests/data/dlms (see SOURCES.md there), the
published keys, and a fleet of simulated DLMS meters running in its own thread."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from osos.protocol.dlms.security import Keys
from osos.simulator import Fleet, MeterSpec
from osos.timeutil import FixedClock

DATA = Path(__file__).resolve().parents[2] / "data" / "dlms"
NOW = dt.datetime(2026, 3, 10, 10, 7, 30, tzinfo=dt.UTC)  # 13:07:30 local, a Tuesday
EK = "000102030405060708090a0b0c0d0e0f"
AK = "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
GREEN_BOOK = Keys(bytes.fromhex(EK), bytes.fromhex(AK))
SERVER_TITLE = bytes.fromhex("4D4D4D0000BC614E")
CLIENT_TITLE = bytes.fromhex("4D4D4D0000000001")


def sample(name: str) -> bytes:
    return bytes.fromhex((DATA / f"{name}.hex").read_text().strip())


def all_samples() -> list[str]:
    return sorted(p.stem for p in DATA.glob("*.hex"))


class ThreadedFleet:
    """A Fleet served by an event loop in a thread, for blocking third-party clients."""

    def __init__(self, specs: list[MeterSpec], *, hdlc: bool = False) -> None:
        self.specs = specs
        self.hdlc = hdlc
        self.ports: dict[str, int] = {}
        self.fleet: Fleet | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with Fleet(self.specs, clock=FixedClock(NOW), dlms_hdlc=self.hdlc) as fleet:
            self.fleet = fleet
            self.ports = fleet.ports
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> ThreadedFleet:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()


def dlms_spec(serial: str = "D0001", **kw: object) -> MeterSpec:
    return MeterSpec(serial, protocol="dlms", port=0, dlms_keys=(EK, AK), **kw)  # type: ignore[arg-type]


@pytest.fixture
def threaded_fleet() -> Iterator[ThreadedFleet]:
    with ThreadedFleet([dlms_spec()]) as fleet:
        yield fleet

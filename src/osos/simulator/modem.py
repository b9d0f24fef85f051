"""Virtual modems in front of several meters: one call at a time, the meter picked by the
device address of the call's first sign-on (``/?address!``), as on a multi-drop bus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable
from typing import Protocol

from .meter import VirtualMeter

log = logging.getLogger(__name__)


class Converse(Protocol):
    def __call__(
        self,
        meter: VirtualMeter,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        first: bytes = ...,
    ) -> Awaitable[bool]: ...


class Modem:
    """Several meters behind one modem port: one call at a time, meters by device address."""

    __slots__ = ("busy", "meters")

    def __init__(self, meters: dict[str, VirtualMeter]) -> None:
        self.meters = meters
        self.busy = False

    async def answer(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        converse: Converse,
        idle_timeout: float,
    ) -> bool:
        """Serve one call (False: refused, the modem was in another call)."""
        if self.busy:
            return False
        self.busy = True
        try:
            only = next(iter(self.meters.values())) if len(self.meters) == 1 else None
            first = b"" if only is not None else await first_line(reader, idle_timeout)
            meter = only or self._meter(first)
            if meter is not None and meter.busy:
                return False
            if meter is not None:
                meter.busy = True
                try:
                    await converse(meter, reader, writer, first=first)
                finally:
                    meter.busy = False
        except OSError as exc:
            log.debug("modem call dropped: %s", exc)
        except asyncio.CancelledError:
            pass  # the fleet is stopping: end the call normally (see Fleet._answer)
        finally:
            self.busy = False
        return True

    def _meter(self, line: bytes) -> VirtualMeter | None:
        """The meter a shared modem's call is for: the one its sign-on addresses."""
        start = line.rfind(b"/?")
        if start < 0 or not line.endswith(b"!\r\n"):
            return None
        return self.meters.get(line[start + 2 : -3].decode("ascii", "replace"))


def modem_groups(meters: Iterable[VirtualMeter]) -> list[list[VirtualMeter]]:
    """Meters that listen, grouped by modem: one group per fixed port, each port-0 meter alone."""
    groups: dict[object, list[VirtualMeter]] = {}
    for meter in meters:
        port = meter.spec.port
        if port is None:
            continue
        groups.setdefault(port if port else id(meter), []).append(meter)
    return list(groups.values())


async def first_line(reader: asyncio.StreamReader, timeout: float) -> bytes:
    """The call's first line (normally the sign-on); b'' on silence or a hang-up."""
    try:
        async with asyncio.timeout(timeout):
            return await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial
    except (TimeoutError, asyncio.LimitOverrunError):
        return b""

"""A transport for tests: every send is answered by a handler function, no sockets.

``MockTransport(meter.receive_data)`` puts a sans-io meter (the codec's ``MeterSession``)
directly behind the head-end; a handler may also return scripted bytes, ``None`` to close the
line, or raise to simulate a broken link.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .base import ConnectFailed, Transport

Handler = Callable[[bytes], bytes | None]


class MockTransport(Transport):
    """Replies come from ``handler(sent_bytes)``; ``chunk`` splits them like a slow modem."""

    def __init__(
        self,
        handler: Handler,
        *,
        peer: str = "mock",
        chunk: int | None = None,
        refuse: bool = False,
    ) -> None:
        super().__init__(peer)
        self.handler = handler
        self.chunk = chunk
        self.refuse = refuse
        self.opened = False
        self.closed = False
        self.sent: list[bytes] = []
        self._inbox = bytearray()
        self._eof = False
        self._arrived = asyncio.Event()

    async def open(self, *, timeout: float) -> None:
        if self.refuse:
            raise ConnectFailed(f"{self.peer}: connection refused (mock)")
        self.opened = True

    async def _write(self, data: bytes) -> None:
        self.sent.append(data)
        reply = self.handler(data)
        if reply is None:
            self._eof = True
        else:
            self._inbox += reply
        self._arrived.set()

    async def _read(self, timeout: float) -> bytes:
        if not self._inbox and not self._eof:
            self._arrived.clear()
            async with asyncio.timeout(timeout):
                await self._arrived.wait()
        if not self._inbox:
            return b""
        size = self.chunk or len(self._inbox)
        data = bytes(self._inbox[:size])
        del self._inbox[:size]
        return data

    def inject(self, data: bytes) -> None:
        """Bytes that arrive without being asked for (garbage, a late echo)."""
        self._inbox += data
        self._arrived.set()

    async def close(self) -> None:
        self.closed = True
        self._eof = True

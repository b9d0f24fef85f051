"""asyncio TCP links: dial-out to a modem's host:port, and a listener for modems that dial in.

Dial-in convention (ours; the simulator does the same): right after connecting the modem sends
one greeting line ``ID:<meter serial>\\r\\n``; then the head-end runs the session on that
connection as if it had dialled out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from .base import ConnectFailed, GreetingRefused, Transport

log = logging.getLogger(__name__)

GREETING_PREFIX = b"ID:"
GREETING_MAX = 80


class StreamTransport(Transport):
    """A transport over an asyncio stream pair (dialled out, or accepted by the listener)."""

    def __init__(
        self,
        peer: str,
        reader: asyncio.StreamReader | None = None,
        writer: asyncio.StreamWriter | None = None,
    ) -> None:
        super().__init__(peer)
        self._reader = reader
        self._writer = writer
        self._unsent = False

    async def open(self, *, timeout: float) -> None:
        if self._writer is None:
            raise ConnectFailed(f"{self.peer}: stream transport has no connection")

    def _write_nowait(self, data: bytes) -> bool:
        """Written when the socket took every byte at once (the usual case for a message of a
        few hundred bytes): nothing left to drain, so no write timer is armed."""
        writer = self._writer
        if writer is None or writer.transport.is_closing():
            return False
        if writer.transport.get_write_buffer_size():
            return False  # bytes still queued from before: wait for them in _write
        writer.write(data)
        if writer.transport.get_write_buffer_size():
            self._unsent = True  # the rest drains in _write, under the write timeout
            return False
        return True

    async def _write(self, data: bytes) -> None:
        assert self._writer is not None, "send before open"
        if self._unsent:
            self._unsent = False  # written by _write_nowait already: only drain it
        else:
            self._writer.write(data)
        await self._writer.drain()

    async def _read(self, timeout: float) -> bytes:
        assert self._reader is not None, "receive before open"
        async with asyncio.timeout(timeout):
            return await self._reader.read(4096)

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(1.0):
                await writer.wait_closed()


class TcpTransport(StreamTransport):
    """Dial out to ``host:port`` (a GPRS modem in transparent mode, or the simulator)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"{host}:{port}")
        self.host = host
        self.port = port

    async def open(self, *, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        except TimeoutError:
            raise ConnectFailed(f"{self.peer}: no connection within {timeout:.1f} s") from None
        except OSError as exc:
            raise ConnectFailed(f"{self.peer}: {exc.strerror or exc}") from exc


DialInHandler = Callable[[str, Transport], Awaitable[None]]


async def read_greeting(reader: asyncio.StreamReader, timeout: float, first: bytes = b"") -> str:
    """The serial from ``ID:<serial>\\r\\n``; :class:`GreetingRefused` for anything else —
    silence, a closed line, or a line longer than the stream's limit (never an asyncio error).

    ``readuntil`` leaves what follows the greeting in the buffer: the meter's first bytes.
    """
    try:
        async with asyncio.timeout(timeout):
            line = first if first == b"\n" else first + await reader.readuntil(b"\n")
    except TimeoutError:
        raise GreetingRefused(f"no greeting within {timeout:.0f} s") from None
    except asyncio.LimitOverrunError as exc:
        raise GreetingRefused(f"no end of line in the first {exc.consumed} bytes") from None
    except asyncio.IncompleteReadError as exc:
        raise GreetingRefused(f"the line closed after {len(exc.partial)} bytes") from None
    except OSError as exc:
        raise GreetingRefused(f"the line failed before a greeting: {exc}") from exc
    if len(line) > GREETING_MAX or not line.startswith(GREETING_PREFIX):
        raise GreetingRefused(f"not a greeting line: {line[:40]!r}")
    serial = line[len(GREETING_PREFIX) :].strip().decode("ascii", errors="replace")
    if not serial or not serial.isprintable():
        raise GreetingRefused(f"greeting without a serial: {line[:40]!r}")
    return serial


#: A DLMS push instead of ``ID:``: an IP-wrapper frame (version 0x0001) or an HDLC flag.
PUSH_STARTS = (b"\x00", b"\x7e")
PUSH_LIMIT = 65536  # bytes of one push call kept
PUSH_IDLE = 2.0  # seconds of silence that end a push call
PushHandler = Callable[[str, bytes], Awaitable[object]]


async def _first_byte(reader: asyncio.StreamReader, timeout: float) -> bytes:
    try:
        async with asyncio.timeout(timeout):
            return await reader.readexactly(1)
    except TimeoutError:
        raise GreetingRefused(f"no greeting within {timeout:.0f} s") from None
    except (asyncio.IncompleteReadError, OSError):
        raise GreetingRefused("the line closed before a greeting") from None


async def _push_call(reader: asyncio.StreamReader, first: bytes) -> bytes:
    """What a pushing meter sends until it hangs up or goes quiet (bounded)."""
    data = bytearray(first)
    while len(data) < PUSH_LIMIT:
        try:
            async with asyncio.timeout(PUSH_IDLE):
                chunk = await reader.read(PUSH_LIMIT - len(data))
        except (TimeoutError, OSError):
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


class DialInListener:
    """Accept modem connections, read the greeting, hand the link to ``handler(serial, link)``.

    The handler runs the session and the listener closes the link afterwards, whatever happened.
    """

    def __init__(
        self,
        host: str,
        port: int,
        handler: DialInHandler,
        *,
        greeting_timeout: float = 30.0,
        push_handler: PushHandler | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.handler = handler
        self.push_handler = push_handler
        self.greeting_timeout = greeting_timeout
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        sockets = self._server.sockets
        if sockets and self.port == 0:
            self.port = int(sockets[0].getsockname()[1])
        log.info("dial-in listener on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("peername")
        peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address)
        link = StreamTransport(peer, reader, writer)
        try:
            first = await _first_byte(reader, self.greeting_timeout)
            if first in PUSH_STARTS and self.push_handler is not None:
                data = await _push_call(reader, first)
                await link.close()
                await self.push_handler(peer, data)
                return
            serial = await read_greeting(reader, self.greeting_timeout, first)
        except GreetingRefused as exc:
            log.warning("dial-in from %s refused: %s", peer, exc)
            await link.close()
            return
        try:
            await self.handler(serial, link)
        finally:
            await link.close()

    async def __aenter__(self) -> DialInListener:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()


def install_uvloop() -> bool:
    """Use uvloop's event loop policy when it is installed (it is not a dependency)."""
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True

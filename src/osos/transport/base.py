"""The transport interface: move bytes to and from one meter link, with bounded waits.

A transport only moves bytes. Framing, checksums and retries live in the codec and the
head-end (STYLE.md); a transport counts bytes, keeps a bounded transcript for the
communication log, and turns silence into :class:`ReceiveTimeout` and a closed line into
:class:`ConnectionClosed`. Deadlines are absolute times on the event loop's monotonic clock
(``asyncio.get_running_loop().time()``), so a session can give each step and the whole
session its own deadline and pass the nearer one down.
"""

from __future__ import annotations

import abc
import asyncio

from osos.errors import CommunicationError

TRANSCRIPT_LIMIT = 64 * 1024


class TransportError(CommunicationError):
    """The link failed: no connection, closed, or silent too long."""


class ConnectFailed(TransportError):
    """The modem did not accept the connection (refused, unreachable, timed out)."""


class ConnectionClosed(TransportError):
    """The other side closed the line."""


class ReceiveTimeout(TransportError):
    """Nothing arrived within the inter-byte timeout, or the deadline passed."""


class GreetingRefused(TransportError):
    """A dial-in connection did not open with a valid ``ID:<serial>`` line."""


class SendTimeout(TransportError):
    """The line took none of our bytes for too long (the other side stopped reading)."""


def loop_time() -> float:
    return asyncio.get_running_loop().time()


def remaining(deadline: float | None, default: float) -> float:
    """Seconds until ``deadline`` (loop time), at most ``default``; never negative."""
    if deadline is None:
        return default
    return max(0.0, min(default, deadline - loop_time()))


class Transport(abc.ABC):
    """One open link to a meter (or to the modem in front of it)."""

    def __init__(self, peer: str, *, write_timeout: float = 30.0) -> None:
        self.peer = peer
        self.write_timeout = write_timeout
        self.bytes_sent = 0
        self.bytes_received = 0
        self._transcript = bytearray()

    # -- the interface

    @abc.abstractmethod
    async def open(self, *, timeout: float) -> None:
        """Establish the link (no-op for a link that arrived already open)."""

    @abc.abstractmethod
    async def _write(self, data: bytes) -> None: ...

    def _write_nowait(self, data: bytes) -> bool:
        """Hand ``data`` to the line at once when it takes it without waiting (True: sent, no
        timer needed); False leaves the write to :meth:`_write` under the write timeout."""
        return False

    @abc.abstractmethod
    async def _read(self, timeout: float) -> bytes:
        """Some bytes (at least one) within ``timeout``; b'' means the line closed."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the link; safe to call twice."""

    async def set_baud(self, baud: int) -> None:  # noqa: B027 - optional for links without a UART
        """Switch the line speed (serial links); transparent TCP modems ignore it."""

    # -- shared behaviour

    async def send(self, data: bytes) -> None:
        """Write ``data``; a line that takes no bytes for ``write_timeout`` s is given up."""
        if not data:
            return
        try:
            if not self._write_nowait(data):
                async with asyncio.timeout(self.write_timeout):
                    await self._write(data)
        except TimeoutError:
            message = f"{self.peer}: the line took no data for {self.write_timeout:.0f} s"
            raise SendTimeout(message) from None
        except OSError as exc:
            raise ConnectionClosed(f"{self.peer}: {exc}") from exc
        self.bytes_sent += len(data)
        self._record(b">", data)

    async def receive(self, *, inter_byte_timeout: float, deadline: float | None = None) -> bytes:
        """The next bytes that arrive: waits at most the inter-byte timeout, never past the
        deadline."""
        timeout = remaining(deadline, inter_byte_timeout)
        if timeout <= 0:
            raise ReceiveTimeout(f"{self.peer}: deadline passed")
        try:
            data = await self._read(timeout)
        except TimeoutError:
            raise ReceiveTimeout(f"{self.peer}: no answer within {timeout:.1f} s") from None
        except OSError as exc:
            raise ConnectionClosed(f"{self.peer}: {exc}") from exc
        if not data:
            raise ConnectionClosed(f"{self.peer}: connection closed by the other side")
        self.bytes_received += len(data)
        self._record(b"<", data)
        return data

    @property
    def transcript(self) -> bytes:
        """What went each way, as ``> bytes`` / ``< bytes`` records (bounded, for the log)."""
        return bytes(self._transcript)

    def _record(self, direction: bytes, data: bytes) -> None:
        room = TRANSCRIPT_LIMIT - len(self._transcript)
        if room > 0:
            self._transcript += (direction + data + b"\n")[:room]

    async def __aenter__(self) -> Transport:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

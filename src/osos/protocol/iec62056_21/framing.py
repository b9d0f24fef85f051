"""Stream reassembly and 7E1 parity, kept apart from parsing.

Serial lines and TCP modems deliver bytes in arbitrary chunks, preceded by noise, the optical
head's echo of what we sent, or NULs from a battery wake-up. :class:`FrameBuffer` takes the
chunks as they come and hands out complete frames (bytes) only:

* ``/ … CR LF`` — request or identification,
* ``STX … ETX|EOT BCC`` — data block (the BCC byte must have arrived),
* ``SOH … ETX|EOT BCC`` — command,
* ``ACK V Z Y CR LF`` — option select (ACK followed by a digit),
* ``ACK`` / ``NAK`` — single bytes.

Anything before a start character is skipped and counted in ``discarded``. Decoding a frame is
the job of :func:`~.messages.decode`; the buffer never looks inside.

7E1 over a transparent TCP modem: the head-end sees 8-bit bytes with the parity in bit 7.
:func:`add_even_parity` / :func:`strip_parity` convert; :class:`ParityCodec` is the per-meter
switch a session or transport holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import FrameError, ParityError
from .messages import ACK, EOT, ETX, NAK, SOH, STX

_CONTROL_IN_LINE = re.compile(rb"[\x00-\x09\x0b\x0c\x0e-\x1f]")
#: Where a frame can start: '/', STX, SOH, ACK, NAK. One search skips any amount of noise.
_START = re.compile(b"[" + re.escape(bytes([ord("/"), STX, SOH, ACK, NAK])) + b"]")
_DIGITS = b"0123456789"
#: Translation tables: clear bit 7; set bit 7 where the 7-bit character has odd parity;
#: 1 where a received byte's bit 7 is not its character's even parity.
_MASK = bytes(b & 0x7F for b in range(256))
_WITH_PARITY = bytes(b | ((bin(b).count("1") & 1) << 7) for b in range(128))
_PARITY_WRONG = bytes(int(b & 0x80 != (bin(b & 0x7F).count("1") & 1) << 7) for b in range(256))
#: An identification is at most ~40 bytes; a ``/`` that is not followed by CR LF within this
#: many bytes was noise, so the buffer resynchronises instead of waiting forever.
MAX_LINE = 128
DEFAULT_MAX_FRAME = 4 * 1024 * 1024


class FrameBuffer:
    """Collects chunks, yields complete frames.

    ``option_select_expected``: set it on the meter side while an option select may arrive, so
    that a lone ACK at the end of the buffer waits for its ``V Z Y CR LF`` instead of being
    taken as a bare ACK. ``max_frame`` bounds memory: a block that grows beyond it raises
    :class:`FrameError` and is dropped.
    """

    def __init__(self, *, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self._buffer = bytearray()
        self.max_frame = max_frame
        self.option_select_expected = False
        self.discarded = 0

    def feed(self, data: bytes) -> None:
        """Append a chunk exactly as it arrived."""
        self._buffer += data

    def __iter__(self) -> Iterator[bytes]:
        return self.frames()

    def frames(self) -> Iterator[bytes]:
        """Yield every complete frame now in the buffer, in order."""
        while (frame := self.next_frame()) is not None:
            yield frame

    def next_frame(self) -> bytes | None:
        """The next complete frame, or None when more bytes are needed."""
        while True:
            self._skip_noise()
            buf = self._buffer
            if not buf:
                return None
            first = buf[0]
            if first == ord("/"):
                if not _plausible_line_start(buf):
                    self._drop(1)
                    continue
                end = buf.find(b"\n")
                control = _CONTROL_IN_LINE.search(buf, 1, end if end >= 0 else len(buf))
                if control is not None:
                    # A line never holds SOH/STX/…: the '/' was noise before a block.
                    self._drop(control.start())
                    continue
                if end < 0:
                    if len(buf) > MAX_LINE:
                        self._drop(1)
                        continue
                    return None
                if end > MAX_LINE:
                    self._drop(1)
                    continue
                return self._take(end + 1)
            if first in (STX, SOH):
                end = self._find_end(1)
                if end < 0:
                    if len(buf) > self.max_frame:
                        size = len(buf)
                        self._buffer.clear()
                        raise FrameError(f"block of {size} bytes without ETX/EOT dropped")
                    return None
                if end + 1 >= len(buf):
                    return None  # the BCC byte has not arrived yet
                return self._take(end + 2)
            if first == ACK:
                if len(buf) == 1:
                    return None if self.option_select_expected else self._take(1)
                if buf[1] in _DIGITS:
                    end = buf.find(b"\n")
                    if end < 0:
                        if len(buf) > 8:
                            return self._take(1)
                        return None
                    if end > 7:
                        return self._take(1)
                    return self._take(end + 1)
                return self._take(1)
            # NAK
            return self._take(1)

    def clear(self) -> None:
        """Forget everything buffered (after a timeout or a baud-rate switch)."""
        self._buffer.clear()

    @property
    def pending(self) -> int:
        """Bytes held that do not yet form a frame."""
        return len(self._buffer)

    def _find_end(self, start: int) -> int:
        etx = self._buffer.find(ETX, start)
        eot = self._buffer.find(EOT, start)
        ends = [i for i in (etx, eot) if i >= 0]
        return min(ends) if ends else -1

    def _skip_noise(self) -> None:
        start = _START.search(self._buffer)
        index = len(self._buffer) if start is None else start.start()
        if index:
            self._drop(index)

    def _drop(self, count: int) -> None:
        del self._buffer[:count]
        self.discarded += count

    def _take(self, count: int) -> bytes:
        frame = bytes(self._buffer[:count])
        del self._buffer[:count]
        return frame


def _plausible_line_start(buf: bytearray) -> bool:
    """Could ``buf`` (starting with '/') still become a request or identification?"""
    head = bytes(buf[:5])
    if len(head) >= 2 and head[1:2] == b"?":
        return True
    letters = head[1:4]
    if letters and not letters.isalpha():  # bytes.isalpha: ASCII letters only
        return False
    return len(head) < 5 or head[4:5].isdigit() or head[4:5].isupper()


def add_even_parity(data: bytes) -> bytes:
    """7-bit characters → 8-bit bytes with even parity in bit 7 (what a 7E1 UART sends)."""
    if not data.isascii():
        offset = next(i for i, byte in enumerate(data) if byte > 0x7F)
        raise ParityError(f"byte 0x{data[offset]:02X} at offset {offset} is not a 7-bit character")
    return data.translate(_WITH_PARITY + bytes(128))


def strip_parity(data: bytes, *, check: bool = False) -> bytes:
    """8-bit bytes → 7-bit characters (mask 0x7F); with ``check``, odd parity raises."""
    if check and (offset := data.translate(_PARITY_WRONG).find(1)) >= 0:
        raise ParityError(f"odd parity on byte 0x{data[offset]:02X} at offset {offset}")
    return data.translate(_MASK)


@dataclass(frozen=True)
class ParityCodec:
    """Per-meter parity handling for links that do not do 7E1 themselves.

    ``software``: the link is 8N1 (transparent TCP modem), so we add parity when sending and
    strip it when receiving. ``check``: refuse received bytes with odd parity.
    """

    software: bool = False
    check: bool = False

    def encode(self, data: bytes) -> bytes:
        return add_even_parity(data) if self.software else data

    def decode(self, data: bytes) -> bytes:
        if self.software or not data.isascii():
            return strip_parity(data, check=self.check and self.software)
        return data

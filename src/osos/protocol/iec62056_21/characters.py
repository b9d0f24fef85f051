"""Characters of IEC 62056-21 and the checks every frame needs, each over the whole buffer.

The control characters, the BCC (PROTOCOL.md §6: XOR of every byte after the first SOH — or
after the first STX when the frame has no SOH — up to and including ETX/EOT), the 7-bit ASCII
test and the forbidden-character checks of message fields. Each is one C-level operation on
the bytes or the text (an integer fold, ``isascii``, one regex search), never a Python step
per byte: a 12 kB load-profile block is checked as fast as a 12-byte command.
"""

from __future__ import annotations

import re
from typing import Final

from .errors import BccError, FrameError

SOH: Final = 0x01
STX: Final = 0x02
ETX: Final = 0x03
EOT: Final = 0x04
ACK: Final = 0x06
NAK: Final = 0x15
CRLF: Final = b"\r\n"


def bcc(data: bytes) -> int:
    """XOR of ``data`` on 7-bit characters: the BCC of bytes already cut to the BCC range.

    The bytes are read as one integer and folded onto themselves (upper half XOR lower half)
    until one byte is left: log2(n) big-integer operations in C instead of n Python steps.
    """
    size = len(data)
    value = int.from_bytes(data, "little")
    while size > 1:
        half = (size + 1) >> 1
        bits = half << 3
        value = (value >> bits) ^ (value & ((1 << bits) - 1))
        size = half
    return value & 0x7F


def frame_bcc(frame: bytes) -> int:
    """BCC of a whole frame ``SOH … ETX`` / ``STX … ETX|EOT`` (any trailing BCC byte ignored).

    Starts after the first SOH, or the first STX if there is no SOH; ends with the first
    ETX/EOT after that start.
    """
    start = frame.find(SOH)
    if start < 0:
        start = frame.find(STX)
    if start < 0:
        raise FrameError(f"no SOH or STX in frame {frame[:40]!r}")
    end = find_end(frame, start + 1)
    if end < 0:
        raise FrameError(f"no ETX or EOT after offset {start} in frame {frame[:40]!r}")
    return bcc(frame[start + 1 : end + 1])


def find_end(frame: bytes, start: int) -> int:
    ends = [i for i in (frame.find(ETX, start), frame.find(EOT, start)) if i >= 0]
    return min(ends) if ends else -1


_HIGH = re.compile(rb"[\x80-\xff]")


def ascii_text(data: bytes, what: str) -> str:
    if data.isascii():
        return data.decode("ascii")
    bad = _HIGH.search(data)
    assert bad is not None
    raise FrameError(
        f"{what}: byte 0x{bad[0][0]:02X} at offset {bad.start()} is not 7-bit ASCII "
        "(strip parity first)"
    )


def _forbidding(characters: str) -> re.Pattern[str]:
    """One compiled check for a message field: non-ASCII or any of ``characters``."""
    return re.compile("[" + re.escape(characters) + "\x80-\U0010ffff]")


def check_chars(value: str, what: str, forbidden: re.Pattern[str]) -> None:
    """One regex search over the whole field (C speed), not a Python step per character."""
    if (bad := forbidden.search(value)) is not None:
        raise FrameError(f"{what}: character {bad[0]!r} at position {bad.start()} is not allowed")


def check_block(value: str, what: str) -> None:
    """A data block holds no SOH/STX/ETX/EOT and only ASCII: a few C-level scans of the
    text (``isascii``, ``in``), a regex only to name the culprit once one is there."""
    if not value.isascii() or any(control in value for control in _BLOCK_CONTROLS):
        check_chars(value, what, _NOT_IN_BLOCK)


CONTROL = "".join(chr(c) for c in range(0x20)) + "\x7f"
NOT_IN_ADDRESS = _forbidding(CONTROL + "!/")
NOT_IN_IDENT = _forbidding(CONTROL)
_BLOCK_CONTROLS = "\x01\x02\x03\x04"
_NOT_IN_BLOCK = _forbidding(_BLOCK_CONTROLS)


def split_block(data: bytes, start_char: int, what: str) -> tuple[bytes, bool]:
    """Check ``start … ETX|EOT BCC`` and return (inner bytes, partial?)."""
    if len(data) < 3 or data[0] != start_char:
        raise FrameError(f"{what}: must start with 0x{start_char:02X}, got {data[:40]!r}")
    end_char = data[-2]
    if end_char not in (ETX, EOT):
        raise FrameError(f"{what}: must end with ETX or EOT and a BCC byte, got {data[-40:]!r}")
    inner = data[1:-2]
    if ETX in inner or EOT in inner:
        raise FrameError(f"{what}: ETX/EOT inside the block at offset {find_end(inner, 0) + 1}")
    received = data[-1] & 0x7F
    computed = bcc(data[1:-1])
    if received != computed:
        raise BccError(what, received, computed)
    return inner, end_char == EOT

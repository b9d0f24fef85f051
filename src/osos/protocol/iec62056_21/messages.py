"""Every mode-C message of IEC 62056-21, both directions, as values with a two-way codec.

Each message is a frozen dataclass with ``to_bytes()``, a ``from_bytes()`` classmethod that
accepts exactly one complete frame (as :class:`~.framing.FrameBuffer` yields them) and raises
:class:`~.errors.FrameError` / :class:`~.errors.BccError` otherwise, and named constructors for
the common cases. Round trips are byte-exact: ``M.from_bytes(b).to_bytes() == b``.

Characters are 7-bit ASCII; strip parity (:func:`~.framing.strip_parity`) before decoding.

BCC (PROTOCOL.md §6): XOR of every byte after the first SOH — or after the first STX when the
frame has no SOH — up to and including ETX/EOT. Starting at STX in a command frame (leaving out
``P1``/``R2``) is the classic mistake this module avoids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .characters import (
    ACK,
    CONTROL,
    CRLF,
    EOT,
    ETX,
    NAK,
    NOT_IN_ADDRESS,
    NOT_IN_IDENT,
    SOH,
    STX,
    ascii_text,
    bcc,
    check_block,
    check_chars,
    frame_bcc,
    split_block,
)
from .commands import CommandMessage, answer_error
from .errors import FrameError

__all__ = [
    "ACK",
    "CRLF",
    "EOT",
    "ETX",
    "NAK",
    "SOH",
    "STX",
    "Ack",
    "AckOptionSelect",
    "CommandMessage",
    "DataMessage",
    "IdentificationMessage",
    "Message",
    "Nak",
    "RequestMessage",
    "bcc",
    "decode",
    "frame_bcc",
]

#: Mode C baud characters (and mode B letters, for identification strings from older meters).
BAUD_RATES: Final[dict[str, int]] = {
    "0": 300,
    "1": 600,
    "2": 1200,
    "3": 2400,
    "4": 4800,
    "5": 9600,
    "6": 19200,
    "A": 600,
    "B": 1200,
    "C": 2400,
    "D": 4800,
    "E": 9600,
    "F": 19200,
}
MODE_C_BAUD_CHARS: Final[dict[int, str]] = {
    rate: char for char, rate in BAUD_RATES.items() if char.isdigit()
}

#: ``Y`` of the option select: the mode the meter switches to.
MODE_READOUT: Final = "0"
MODE_PROGRAMMING: Final = "1"
MODE_BINARY: Final = "2"
MODE_NAMES: Final[dict[str, str]] = {
    "0": "readout",
    "1": "programming",
    "2": "binary (HDLC)",
    "5": "technical quality (national)",
    "6": "short readout (national)",
    "7": "history (national)",
    "8": "warnings (national)",
    "9": "outages (national)",
}


@dataclass(frozen=True)
class RequestMessage:
    """``/ ? [address] ! CR LF`` — sign-on request from the head-end."""

    address: str = ""

    def __post_init__(self) -> None:
        check_chars(self.address, "request address", NOT_IN_ADDRESS)

    def to_bytes(self) -> bytes:
        return b"/?" + self.address.encode("ascii") + b"!\r\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> RequestMessage:
        if not (data.startswith(b"/?") and data.endswith(b"!\r\n")):
            raise FrameError(f"request must be '/?[address]!CRLF', got {data[:40]!r}")
        return cls(ascii_text(data[2:-3], "request address"))

    def __repr__(self) -> str:
        return f"RequestMessage(address={self.address!r})"


_FLAG = re.compile(r"[A-Za-z]{3}")
_BAUD_CHAR = re.compile(r"[0-9A-Z]")
_DIGIT = re.compile(r"[0-9]")
_IDENT_RE = re.compile(
    r"/(?P<flag>[A-Za-z]{3})(?P<baud>[0-9A-Z])(?P<sep> ?)"
    r"(?:\\(?P<enhanced>.))?(?:<(?P<generation>[0-9])>)?(?P<ident>[^\r\n]*)\r\n\Z",
    re.DOTALL,
)


@dataclass(frozen=True)
class IdentificationMessage:
    """``/ XXX Z [\\W] [<G>] ident CR LF`` — the meter's answer to a request.

    ``flag`` is the 3-letter manufacturer id as sent (a lower-case third letter means 20 ms
    minimum reaction time); ``baud_char`` the highest rate the meter offers; ``enhanced`` the
    character after a backslash (``@`` = DIN/VDEW R5/W5, ``2`` = mode E); ``generation`` the
    Turkish ``<1>``/``<2>`` marker; ``separator`` a space some meters put after the baud char.
    """

    flag: str
    baud_char: str
    ident: str
    enhanced: str | None = None
    generation: str | None = None
    separator: str = ""

    def __post_init__(self) -> None:
        if not _FLAG.fullmatch(self.flag):
            raise FrameError(f"identification flag must be 3 letters, got {self.flag!r}")
        if not _BAUD_CHAR.fullmatch(self.baud_char):
            raise FrameError(f"identification baud character invalid: {self.baud_char!r}")
        if self.separator not in ("", " "):
            raise FrameError(f"identification separator must be '' or ' ': {self.separator!r}")
        if self.enhanced is not None and (
            len(self.enhanced) != 1 or self.enhanced in CONTROL or ord(self.enhanced) > 0x7F
        ):
            raise FrameError(f"enhanced identification must be one character: {self.enhanced!r}")
        if self.generation is not None and not _DIGIT.fullmatch(self.generation):
            raise FrameError(f"generation marker must be one digit: {self.generation!r}")
        check_chars(self.ident, "identification", NOT_IN_IDENT)

    @property
    def baud(self) -> int | None:
        """The maximum baud rate offered, or None for a character outside modes B/C."""
        return BAUD_RATES.get(self.baud_char)

    @property
    def manufacturer(self) -> str:
        """The FLAG id in upper case (``ISk`` → ``ISK``), for table look-ups."""
        return self.flag.upper()

    @property
    def short_reaction_time(self) -> bool:
        """True when the third flag letter is lower case: 20 ms instead of 200 ms."""
        return self.flag[2].islower()

    def to_bytes(self) -> bytes:
        text = "/" + self.flag + self.baud_char + self.separator
        if self.enhanced is not None:
            text += "\\" + self.enhanced
        if self.generation is not None:
            text += f"<{self.generation}>"
        return (text + self.ident).encode("ascii") + CRLF

    @classmethod
    def from_bytes(cls, data: bytes) -> IdentificationMessage:
        match = _IDENT_RE.match(ascii_text(data, "identification"))
        if match is None:
            raise FrameError(f"identification must be '/XXXZ…ident CRLF', got {data[:40]!r}")
        return cls(
            flag=match["flag"],
            baud_char=match["baud"],
            ident=match["ident"],
            enhanced=match["enhanced"],
            generation=match["generation"],
            separator=match["sep"],
        )

    def __repr__(self) -> str:
        return f"IdentificationMessage({self.to_bytes()[:-2].decode('ascii')!r})"


@dataclass(frozen=True)
class AckOptionSelect:
    """``ACK V Z Y CR LF`` — the head-end picks protocol ``V``, baud ``Z`` and mode ``Y``.

    The mode goes in ``Y`` (the last character), not in ``V``: the other classic mistake.
    """

    protocol: str = "0"
    baud_char: str = "0"
    mode: str = MODE_READOUT

    def __post_init__(self) -> None:
        for name, value in (("protocol", self.protocol), ("baud", self.baud_char)):
            if not _DIGIT.fullmatch(value):
                raise FrameError(f"option select {name} must be one digit, got {value!r}")
        if not _DIGIT.fullmatch(self.mode):
            raise FrameError(f"option select mode must be one digit, got {self.mode!r}")

    @classmethod
    def readout(cls, baud_char: str = "0") -> AckOptionSelect:
        return cls("0", baud_char, MODE_READOUT)

    @classmethod
    def programming(cls, baud_char: str = "0") -> AckOptionSelect:
        return cls("0", baud_char, MODE_PROGRAMMING)

    @property
    def baud(self) -> int | None:
        return BAUD_RATES.get(self.baud_char)

    @property
    def mode_name(self) -> str:
        return MODE_NAMES.get(self.mode, f"manufacturer mode {self.mode}")

    def to_bytes(self) -> bytes:
        return bytes([ACK]) + (self.protocol + self.baud_char + self.mode).encode("ascii") + CRLF

    @classmethod
    def from_bytes(cls, data: bytes) -> AckOptionSelect:
        if len(data) != 6 or data[0] != ACK or not data.endswith(CRLF):
            raise FrameError(f"option select must be 'ACK V Z Y CRLF', got {data[:40]!r}")
        text = ascii_text(data[1:4], "option select")
        return cls(text[0], text[1], text[2])

    def __repr__(self) -> str:
        return (
            f"AckOptionSelect(protocol={self.protocol!r}, baud={self.baud}, "
            f"mode={self.mode_name!r})"
        )


@dataclass(frozen=True)
class Ack:
    """A single ACK byte: password/write accepted, or 'send the next partial block'."""

    def to_bytes(self) -> bytes:
        return bytes([ACK])

    @classmethod
    def from_bytes(cls, data: bytes) -> Ack:
        if data != bytes([ACK]):
            raise FrameError(f"ACK must be the single byte 0x06, got {data[:40]!r}")
        return cls()


@dataclass(frozen=True)
class Nak:
    """A single NAK byte: rejected, or 'repeat the last message' after a bad BCC."""

    def to_bytes(self) -> bytes:
        return bytes([NAK])

    @classmethod
    def from_bytes(cls, data: bytes) -> Nak:
        if data != bytes([NAK]):
            raise FrameError(f"NAK must be the single byte 0x15, got {data[:40]!r}")
        return cls()


@dataclass(frozen=True)
class DataMessage:
    """``STX data ETX BCC`` (or ``… EOT BCC`` for a partial block): meter → head-end data.

    ``data`` is everything between STX and ETX/EOT. A readout ends with ``!`` CR LF
    (:meth:`readout` adds it); the answer to a read is ``addr(value)`` without ``!``.
    """

    data: str
    partial: bool = False

    def __post_init__(self) -> None:
        check_block(self.data, "data block")

    @classmethod
    def readout(cls, lines: list[str] | tuple[str, ...]) -> DataMessage:
        """A full readout from data-set lines (without CR LF): adds ``!`` CR LF."""
        return cls("".join(line + "\r\n" for line in lines) + "!\r\n")

    @classmethod
    def answer(cls, address: str, value: str) -> DataMessage:
        """The meter's answer to a read: ``addr(value)``."""
        return cls(f"{address}({value})")

    @classmethod
    def error_answer(cls, text: str = "ERROR", address: str = "") -> DataMessage:
        """An error answer ``[addr](ERROR…)``: what meters send for an unknown register."""
        return cls(f"{address}({text})")

    @property
    def is_readout(self) -> bool:
        """True when the block ends like a complete readout (``!`` before the final CR LF)."""
        return self.data.rstrip("\r\n").endswith("!")

    @property
    def error(self) -> str | None:
        """The text of an ``(ERROR…)`` answer, or None."""
        return answer_error(self.data)

    def to_bytes(self) -> bytes:
        body = bytes([STX]) + self.data.encode("ascii") + bytes([EOT if self.partial else ETX])
        return body + bytes([bcc(body[1:])])

    @classmethod
    def from_bytes(cls, data: bytes) -> DataMessage:
        inner, partial = split_block(data, STX, "data block (STX … ETX)")
        return cls(ascii_text(inner, "data block"), partial)

    def __repr__(self) -> str:
        shown = self.data if len(self.data) <= 60 else self.data[:57] + "..."
        kind = "partial " if self.partial else ""
        return f"DataMessage({kind}{shown!r}, {len(self.data)} chars)"


Message = (
    RequestMessage
    | IdentificationMessage
    | AckOptionSelect
    | Ack
    | Nak
    | DataMessage
    | CommandMessage
)


def decode(frame: bytes) -> Message:
    """Decode one complete frame into the message class its first byte announces."""
    if not frame:
        raise FrameError("empty frame")
    first = frame[0]
    if frame.startswith(b"/?"):
        return RequestMessage.from_bytes(frame)
    if first == ord("/"):
        return IdentificationMessage.from_bytes(frame)
    if first == ACK:
        return Ack.from_bytes(frame) if len(frame) == 1 else AckOptionSelect.from_bytes(frame)
    if first == NAK:
        return Nak.from_bytes(frame)
    if first == STX:
        return DataMessage.from_bytes(frame)
    if first == SOH:
        return CommandMessage.from_bytes(frame)
    raise FrameError(f"frame starts with unexpected byte 0x{first:02X}: {frame[:40]!r}")

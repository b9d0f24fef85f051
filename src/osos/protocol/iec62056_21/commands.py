"""Programming-mode command messages (``SOH`` command, address and data, BCC) of
IEC 62056-21, and the meter's ``(ERR…)`` answers: values with a two-way codec, like the
other messages in :mod:`.messages` (which re-exports them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from .characters import (
    EOT,
    ETX,
    SOH,
    STX,
    ascii_text,
    bcc,
    check_block,
    split_block,
)
from .errors import FrameError

_ERROR_RE = re.compile(r"\A[^()]*\((?P<text>ERR[^)]*)\)\s*\Z")


def answer_error(data: str) -> str | None:
    """The text of an ``[addr](ERROR…)`` answer's data, or None for any other data."""
    match = _ERROR_RE.match(data)
    return match["text"] if match else None


CommandLetter = Literal["P", "W", "R", "E", "B"]


@dataclass(frozen=True)
class CommandMessage:
    """``SOH C D STX data ETX BCC`` — programming-mode command; ``SOH B0 ETX q`` for break.

    ``command`` is the letter (P password, R read, W write, E execute, B break), ``kind`` the
    digit (``P0`` seed from the meter, ``P1`` plain password, ``P2`` seed-derived, ``R1``/``R2``
    ASCII/formatted read, ``R5``/``R6`` DIN/VDEW, ``W1``/``W2``/``W5`` write, ``E2`` execute,
    ``B0`` break). ``data`` is None only for a frame without STX (break).
    """

    command: str
    kind: str
    data: str | None = None
    partial: bool = False

    VALID: ClassVar[frozenset[str]] = frozenset(
        {"P0", "P1", "P2", "W1", "W2", "W3", "W4", "W5", "W6"}
        | {"R1", "R2", "R3", "R4", "R5", "R6", "E1", "E2", "E3", "B0", "B1"}
    )

    def __post_init__(self) -> None:
        if self.command + self.kind not in self.VALID:
            raise FrameError(f"unknown command {self.command + self.kind!r}")
        if self.data is not None:
            check_block(self.data, f"{self.name} data")

    @property
    def name(self) -> str:
        """``R5``, ``P1``, …"""
        return self.command + self.kind

    @property
    def address(self) -> str:
        """The part of ``data`` before the first ``(`` (empty for password commands)."""
        return (self.data or "").split("(", 1)[0]

    @property
    def value(self) -> str:
        """The text inside the first pair of parentheses of ``data``."""
        data = self.data or ""
        if "(" not in data:
            return ""
        inner = data.split("(", 1)[1]
        return inner.split(")", 1)[0]

    @property
    def groups(self) -> tuple[str, ...]:
        """The texts of every ``(…)`` group of ``data`` (a W5 may carry several)."""
        data = self.data or ""
        return tuple(part.split(")", 1)[0] for part in data.split("(")[1:])

    @classmethod
    def seed(cls, seed: str = "") -> CommandMessage:
        """``P0 (seed)`` — the meter's first message in programming mode."""
        return cls("P", "0", f"({seed})")

    @classmethod
    def password(cls, password: str, kind: str = "1") -> CommandMessage:
        """``P1 (password)``; ``kind='2'`` for a seed-derived password."""
        return cls("P", kind, f"({password})")

    @classmethod
    def read(cls, address: str, args: str = "", kind: str = "5") -> CommandMessage:
        return cls("R", kind, f"{address}({args})")

    @classmethod
    def write(cls, address: str, value: str, kind: str = "5") -> CommandMessage:
        return cls("W", kind, f"{address}({value})")

    @classmethod
    def execute(cls, address: str, args: str = "", kind: str = "2") -> CommandMessage:
        return cls("E", kind, f"{address}({args})")

    @classmethod
    def break_(cls) -> CommandMessage:
        """``SOH B0 ETX q`` — complete sign-off."""
        return cls("B", "0", None)

    def to_bytes(self) -> bytes:
        body = (self.command + self.kind).encode("ascii")
        if self.data is not None:
            body += bytes([STX]) + self.data.encode("ascii")
        body += bytes([EOT if self.partial else ETX])
        return bytes([SOH]) + body + bytes([bcc(body)])

    @classmethod
    def from_bytes(cls, data: bytes) -> CommandMessage:
        inner, partial = split_block(data, SOH, "command (SOH … ETX)")
        if len(inner) < 2:
            raise FrameError(f"command too short: {data[:40]!r}")
        head = ascii_text(inner[:2], "command")
        rest = inner[2:]
        if not rest:
            return cls(head[0], head[1], None, partial)
        if rest[0] != STX:
            raise FrameError(f"command {head!r}: expected STX at offset 3, got 0x{rest[0]:02X}")
        return cls(head[0], head[1], ascii_text(rest[1:], f"command {head} data"), partial)

    def __repr__(self) -> str:
        if self.data is None:
            return f"CommandMessage({self.name})"
        return f"CommandMessage({self.name}, {self.data!r})"

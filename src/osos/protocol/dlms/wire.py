"""A bounds-checked byte reader and the A-XDR length form, shared by every decoder.

Every read goes through :class:`Reader`, so running off the end or meeting a value out of
range becomes a :class:`~.errors.DecodeError` with the offset, never an IndexError.
"""

from __future__ import annotations

from .errors import DecodeError


class Reader:
    """Reads ``data`` from ``pos``; ``what`` names the unit in error messages; ``base`` is
    added to offsets (the unit's position inside a larger one)."""

    __slots__ = ("base", "data", "pos", "what")

    def __init__(self, data: bytes, what: str, pos: int = 0, base: int = 0) -> None:
        self.data = data
        self.what = what
        self.pos = pos
        self.base = base

    def fail(self, expected: str, at: int | None = None) -> DecodeError:
        return DecodeError(self.what, self.base + (self.pos if at is None else at), expected)

    @property
    def left(self) -> int:
        return len(self.data) - self.pos

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def peek(self, expected: str = "one more byte") -> int:
        if self.pos >= len(self.data):
            raise self.fail(expected)
        return self.data[self.pos]

    def u8(self, expected: str = "one more byte") -> int:
        if self.pos >= len(self.data):
            raise self.fail(expected)
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, n: int, expected: str = "") -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self.fail(f"{n} bytes{' of ' + expected if expected else ''} ({self.left} left)")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def uint(self, n: int, expected: str = "") -> int:
        return int.from_bytes(self.take(n, expected), "big")

    def sint(self, n: int, expected: str = "") -> int:
        return int.from_bytes(self.take(n, expected), "big", signed=True)

    def length(self, expected: str = "an A-XDR length") -> int:
        """A-XDR length: one byte below 0x80, else 0x8N and N big-endian bytes."""
        first = self.u8(expected)
        if first < 0x80:
            return first
        count = first & 0x7F
        if count == 0 or count > 4:
            raise self.fail(f"{expected} (0x{first:02X} is no length form)", self.pos - 1)
        return self.uint(count, expected)

    def expect(self, value: int, expected: str) -> None:
        got = self.u8(expected)
        if got != value:
            raise self.fail(f"{expected} 0x{value:02X}, got 0x{got:02X}", self.pos - 1)

    def rest(self) -> bytes:
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    def done(self) -> None:
        if self.pos != len(self.data):
            raise self.fail(f"the end ({self.left} byte(s) more)")


def encode_length(n: int) -> bytes:
    """A-XDR / BER definite length."""
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def hexs(data: bytes) -> str:
    """Bytes as spaced hex for reprs and logs."""
    return data.hex(" ")

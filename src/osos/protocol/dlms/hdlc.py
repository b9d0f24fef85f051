"""HDLC frames of IEC 62056-46 (frame format type 3) as values, and the stream buffer.

``7E | A0|S|len (2) | destination | source | control | HCS | information | FCS | 7E``.
Addresses are 1, 2 or 4 bytes (the low bit of each byte is 0 except in the last); HCS and
FCS are CRC-16/X.25 sent low byte first; HCS is absent when there is no information field.
:class:`FrameBuffer` takes bytes in any chunking (garbage before a flag, several frames in a
chunk, a frame split across chunks, shared flags) and hands out whole frames; parsing and
the CRC checks are :meth:`HdlcFrame.from_bytes`' job.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from .errors import DecodeError, FrameCheckError
from .wire import Reader, hexs

FLAG: Final = 0x7E
FORMAT_TYPE3: Final = 0xA0
SEGMENTED: Final = 0x08
LLC_REQUEST: Final = b"\xe6\xe6\x00"
LLC_RESPONSE: Final = b"\xe6\xe7\x00"
MAX_LENGTH: Final = 0x7FF


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE: Final = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/X.25 (reflected 0x8408, init and xorout 0xFFFF): ``crc16(b"123456789")`` is
    0x906E. On the wire it is sent low byte first."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


def _crc_bytes(data: bytes) -> bytes:
    return crc16(data).to_bytes(2, "little")


@dataclass(frozen=True)
class HdlcAddress:
    """A client SAP (``logical`` only, one byte) or a server address: upper = logical
    device, lower = physical address. ``size`` is the byte count on the wire (1, 2 or 4)."""

    logical: int
    physical: int | None = None
    size: int = 1

    def __post_init__(self) -> None:
        limit = {1: 0x7F, 2: 0x7F, 4: 0x3FFF}.get(self.size)
        if limit is None:
            raise DecodeError("HDLC address", 0, f"1, 2 or 4 bytes, not {self.size}")
        if self.size == 1 and self.physical is not None:
            raise DecodeError("HDLC address", 0, "no physical address in a 1-byte address")
        parts = (self.logical, self.physical or 0)
        if any(not 0 <= p <= limit for p in parts):
            raise DecodeError("HDLC address", 0, f"parts within 0..{limit}, got {parts}")

    @classmethod
    def server(cls, logical: int = 1, physical: int | None = None) -> HdlcAddress:
        """The smallest form that holds the parts (what a client sends)."""
        if physical is None:
            return cls(logical, None, 1)
        size = 2 if logical <= 0x7F and physical <= 0x7F else 4
        return cls(logical, physical, size)

    def to_bytes(self) -> bytes:
        if self.size == 1:
            return bytes(((self.logical << 1) | 1,))
        lower = self.physical or 0
        if self.size == 2:
            return bytes((self.logical << 1, (lower << 1) | 1))
        return bytes(
            (
                (self.logical >> 7) << 1,
                (self.logical & 0x7F) << 1,
                (lower >> 7) << 1,
                ((lower & 0x7F) << 1) | 1,
            )
        )

    @classmethod
    def read(cls, reader: Reader, which: str) -> HdlcAddress:
        start = reader.pos
        parts = []
        while True:
            byte = reader.u8(f"the {which} address")
            parts.append(byte >> 1)
            if byte & 1:
                break
            if len(parts) == 4:
                raise reader.fail(f"a {which} address of at most 4 bytes", start)
        if len(parts) == 1:
            return cls(parts[0])
        if len(parts) == 2:
            return cls(parts[0], parts[1], 2)
        if len(parts) == 4:
            return cls((parts[0] << 7) | parts[1], (parts[2] << 7) | parts[3], 4)
        raise reader.fail(f"a {which} address of 1, 2 or 4 bytes (got 3)", start)

    def __repr__(self) -> str:
        if self.physical is None:
            return f"HdlcAddress({self.logical})"
        return f"HdlcAddress({self.logical}/{self.physical}, {self.size}B)"


class FrameKind(enum.Enum):
    I = "I"  # noqa: E741 - the standard's name
    RR = "RR"
    RNR = "RNR"
    SNRM = "SNRM"
    DISC = "DISC"
    UA = "UA"
    DM = "DM"
    FRMR = "FRMR"
    UI = "UI"


_U_CODES: Final = {
    0x83: FrameKind.SNRM,
    0x43: FrameKind.DISC,
    0x63: FrameKind.UA,
    0x0F: FrameKind.DM,
    0x87: FrameKind.FRMR,
    0x03: FrameKind.UI,
}
_U_BYTES: Final = {kind: code for code, kind in _U_CODES.items()}


@dataclass(frozen=True)
class HdlcFrame:
    """One frame; ``ns``/``nr`` are the I and S frames' sequence numbers (mod 8)."""

    kind: FrameKind
    destination: HdlcAddress
    source: HdlcAddress
    info: bytes = b""
    poll: bool = True
    ns: int = 0
    nr: int = 0
    segmented: bool = False

    @property
    def control(self) -> int:
        pf = 0x10 if self.poll else 0
        if self.kind is FrameKind.I:
            return (self.nr << 5) | pf | (self.ns << 1)
        if self.kind is FrameKind.RR:
            return (self.nr << 5) | pf | 0x01
        if self.kind is FrameKind.RNR:
            return (self.nr << 5) | pf | 0x05
        return _U_BYTES[self.kind] | pf

    def to_bytes(self, flags: bool = True) -> bytes:
        head = self.destination.to_bytes() + self.source.to_bytes() + bytes((self.control,))
        length = 2 + len(head) + 2 + (len(self.info) + 2 if self.info else 0)
        if length > MAX_LENGTH:
            raise DecodeError("HDLC frame", 0, f"a frame of at most {MAX_LENGTH} bytes")
        fmt = bytes(
            (FORMAT_TYPE3 | (SEGMENTED if self.segmented else 0) | (length >> 8), length & 0xFF)
        )
        body = fmt + head
        if self.info:
            body += _crc_bytes(body) + self.info
        body += _crc_bytes(body)
        return bytes((FLAG,)) + body + bytes((FLAG,)) if flags else body

    @classmethod
    def from_bytes(cls, data: bytes, verify: bool = True) -> HdlcFrame:
        """A frame with or without its 7E flags; ``verify`` checks HCS and FCS."""
        body = data[1:-1] if len(data) >= 2 and data[0] == FLAG and data[-1] == FLAG else data
        frame, _checks = _parse(body, verify)
        return frame

    def __repr__(self) -> str:
        seq = f" N(S)={self.ns} N(R)={self.nr}" if self.kind is FrameKind.I else ""
        seq = f" N(R)={self.nr}" if self.kind in (FrameKind.RR, FrameKind.RNR) else seq
        seg = " segmented" if self.segmented else ""
        info = f" info={hexs(self.info[:24])}{'…' if len(self.info) > 24 else ''}" * bool(self.info)
        return (
            f"HdlcFrame({self.kind.value} {self.source!r}->{self.destination!r}"
            f"{seq}{' P/F' if self.poll else ''}{seg}{info})"
        )


@dataclass(frozen=True)
class FrameChecks:
    """What the checks of a frame said: HCS (None when the frame has none) and FCS."""

    hcs_ok: bool | None
    fcs_ok: bool


def check_frame(data: bytes) -> tuple[HdlcFrame, FrameChecks]:
    """Parse without refusing bad check sums; report them instead (for capture files)."""
    body = data[1:-1] if len(data) >= 2 and data[0] == FLAG and data[-1] == FLAG else data
    return _parse(body, verify=False)


def _parse(body: bytes, verify: bool) -> tuple[HdlcFrame, FrameChecks]:
    r = Reader(body, "HDLC frame")
    f0 = r.u8("the frame format")
    if f0 & 0xF0 != FORMAT_TYPE3:
        raise r.fail(f"frame format type 3 (0xA_), got 0x{f0:02X}", 0)
    length = ((f0 & 0x07) << 8) | r.u8("the frame length")
    if length != len(body):
        raise r.fail(f"a frame of the length its format says ({length}), got {len(body)}", 1)
    destination = HdlcAddress.read(r, "destination")
    source = HdlcAddress.read(r, "source")
    control = r.u8("the control field")
    header_end = r.pos
    fcs_ok = crc16(body[:-2]) == int.from_bytes(body[-2:], "little") if len(body) >= 2 else False
    hcs_ok: bool | None = None
    info = b""
    if r.left < 2:
        raise r.fail("a 2-byte FCS")
    if r.left > 2:
        hcs = int.from_bytes(r.take(2, "the HCS"), "little")
        computed = crc16(body[:header_end])
        hcs_ok = hcs == computed
        if verify and not hcs_ok:
            raise FrameCheckError("HCS", header_end, hcs, computed)
        info = body[r.pos : -2]
        if not info:
            raise r.fail("an information field after the HCS")
    if verify and not fcs_ok:
        received = int.from_bytes(body[-2:], "little")
        raise FrameCheckError("FCS", len(body) - 2, received, crc16(body[:-2]))
    frame = _frame(r, control, destination, source, info, bool(f0 & SEGMENTED), header_end - 1)
    return frame, FrameChecks(hcs_ok, fcs_ok)


def _frame(
    r: Reader,
    control: int,
    destination: HdlcAddress,
    source: HdlcAddress,
    info: bytes,
    segmented: bool,
    at: int,
) -> HdlcFrame:
    poll = bool(control & 0x10)
    if control & 0x01 == 0:
        return HdlcFrame(
            FrameKind.I,
            destination,
            source,
            info,
            poll,
            (control >> 1) & 7,
            control >> 5,
            segmented,
        )
    if control & 0x03 == 0x01:
        kind = {0x01: FrameKind.RR, 0x05: FrameKind.RNR}.get(control & 0x0F)
        if kind is None:
            raise r.fail(f"a control field RR or RNR (0x{control:02X} is REJ/SREJ)", at)
        return HdlcFrame(kind, destination, source, info, poll, 0, control >> 5, segmented)
    u_kind = _U_CODES.get(control & 0xEF)
    if u_kind is None:
        raise r.fail(f"a known control field, got 0x{control:02X}", at)
    return HdlcFrame(u_kind, destination, source, info, poll, segmented=segmented)


# ---------------------------------------------------------------- link parameters


@dataclass(frozen=True)
class HdlcParameters:
    """The SNRM/UA information field (``81 80 len`` + parameters). ``max_info_tx`` is what
    the sender of the frame will send at most, ``max_info_rx`` what it accepts."""

    max_info_tx: int = 128
    max_info_rx: int = 128
    window_tx: int = 1
    window_rx: int = 1
    wide: bool = False  # the information lengths sent in 2 bytes even when they fit in one

    def to_bytes(self) -> bytes:
        body = b""
        short = not self.wide and max(self.max_info_tx, self.max_info_rx) <= 0xFF
        for pid, value, width in (
            (0x05, self.max_info_tx, 0),
            (0x06, self.max_info_rx, 0),
            (0x07, self.window_tx, 4),
            (0x08, self.window_rx, 4),
        ):
            size = width or (1 if short else 2)
            body += bytes((pid, size)) + value.to_bytes(size, "big")
        return bytes((0x81, 0x80, len(body))) + body

    @classmethod
    def from_bytes(cls, data: bytes) -> HdlcParameters:
        r = Reader(data, "HDLC parameters")
        r.expect(0x81, "the format identifier")
        r.expect(0x80, "the group identifier")
        body = r.take(r.u8("the group length"), "parameters")
        r.done()
        values = {5: 128, 6: 128, 7: 1, 8: 1}
        wide = False
        p = Reader(body, "HDLC parameters", base=3)
        while not p.at_end():
            pid = p.u8("a parameter id")
            size = p.u8("the parameter length")
            if size > 4:
                raise p.fail(f"a parameter of at most 4 bytes, got {size}", p.pos - 1)
            value = p.uint(size, f"parameter 0x{pid:02X}")
            if pid in values:
                values[pid] = value
            wide = wide or (pid == 5 and size == 2)
        return cls(values[5], values[6], values[7], values[8], wide)


# ---------------------------------------------------------------- stream buffer


class FrameBuffer:
    """Collects bytes and yields whole frames (without flags); skips garbage, counts it."""

    def __init__(self) -> None:
        self._data = bytearray()
        self.discarded = 0

    def feed(self, chunk: bytes) -> None:
        self._data += chunk

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def frames(self) -> Iterator[bytes]:
        data = self._data
        while True:
            start = data.find(FLAG)
            if start < 0:
                self.discarded += len(data)
                data.clear()
                return
            if start:
                self.discarded += start
                del data[:start]
            if len(data) < 3:
                return
            if data[1] == FLAG or data[1] & 0xF0 != FORMAT_TYPE3:
                self.discarded += 1 if data[1] != FLAG else 0
                del data[:1]
                continue
            length = ((data[1] & 0x07) << 8) | data[2]
            if len(data) < length + 2:
                return
            if length < 7 or data[length + 1] != FLAG:
                self.discarded += 1
                del data[:1]
                continue
            frame = bytes(data[1 : length + 1])
            del data[: length + 1]  # keep the closing flag: it may open the next frame
            yield frame

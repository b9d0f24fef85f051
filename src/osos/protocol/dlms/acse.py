"""The ACSE part of an association (Green Book 9.3, BER): AARQ, AARE, RLRQ, RLRE.

The user-information field carries the xDLMS InitiateRequest/Response (plain or ciphered)
as raw bytes; :mod:`.association` decides what they mean. ``lenient`` accepts a BER length
one byte short of what its enclosing unit still holds (the jDLMS AARE fixture has three).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from .wire import Reader, encode_length

CONTEXT_PREFIX: Final = b"\x60\x85\x74\x05\x08\x01"
MECHANISM_PREFIX: Final = b"\x60\x85\x74\x05\x08\x02"
ACSE_REQUIREMENTS: Final = b"\x07\x80"  # authentication functional unit


class Context(enum.IntEnum):
    LN = 1
    SN = 2
    LN_CIPHERED = 3
    SN_CIPHERED = 4


class Mechanism(enum.IntEnum):
    NONE = 0
    LLS = 1
    HLS = 2
    HLS_MD5 = 3
    HLS_SHA1 = 4
    HLS_GMAC = 5
    HLS_SHA256 = 6
    HLS_ECDSA = 7


def _tlvs(r: Reader, lenient: bool) -> Iterator[tuple[int, Reader]]:
    while not r.at_end():
        tag = r.u8("a BER tag")
        length = r.length("a BER length")
        if lenient and length == r.left - 1:
            length = r.left
        start = r.pos
        body = r.take(length, f"the value of tag 0x{tag:02X}")
        yield tag, Reader(body, r.what, 0, r.base + start)


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + encode_length(len(body)) + body


def _open(data: bytes, tag: int, name: str, lenient: bool) -> Reader:
    r = Reader(data, name)
    r.expect(tag, f"the {name} tag")
    length = r.length(f"the {name} length")
    if lenient and length == r.left - 1:
        length = r.left
    start = r.pos
    body = r.take(length, name)
    r.done()
    return Reader(body, name, 0, start)


def _oid(r: Reader, prefix: bytes, what: str) -> int:
    r.expect(0x06, f"an object identifier ({what})")
    body = r.take(r.length("the OID length"), what)
    if len(body) != 7 or body[:6] != prefix:
        raise r.fail(f"a DLMS {what} OID 60 85 74 05 08 …, got {body.hex(' ')}", 0)
    return body[6]


def _octets(r: Reader, tag: int, what: str, lenient: bool = False) -> bytes:
    r.expect(tag, what)
    length = r.length(f"the {what} length")
    if lenient and length == r.left - 1:
        length = r.left
    return r.take(length, what)


def _integer(r: Reader, what: str) -> int:
    r.expect(0x02, f"an INTEGER ({what})")
    return r.uint(r.length("the INTEGER length"), what)


@dataclass(frozen=True)
class Aarq:
    user_information: bytes
    context: int = Context.LN
    mechanism: int | None = None
    authentication_value: bytes | None = None
    calling_ap_title: bytes | None = None

    def to_bytes(self) -> bytes:
        body = _tlv(0xA1, _tlv(0x06, CONTEXT_PREFIX + bytes((self.context,))))
        if self.calling_ap_title is not None:
            body += _tlv(0xA6, _tlv(0x04, self.calling_ap_title))
        if self.mechanism is not None:
            body += _tlv(0x8A, ACSE_REQUIREMENTS)
            body += _tlv(0x8B, MECHANISM_PREFIX + bytes((self.mechanism,)))
        if self.authentication_value is not None:
            body += _tlv(0xAC, _tlv(0x80, self.authentication_value))
        body += _tlv(0xBE, _tlv(0x04, self.user_information))
        return _tlv(0x60, body)

    @classmethod
    def from_bytes(cls, data: bytes, lenient: bool = False) -> Aarq:
        fields: dict[str, object] = {}
        for tag, r in _tlvs(_open(data, 0x60, "AARQ", lenient), lenient):
            if tag == 0xA1:
                fields["context"] = _oid(r, CONTEXT_PREFIX, "application context")
            elif tag == 0xA6:
                fields["calling_ap_title"] = _octets(r, 0x04, "calling AP title")
            elif tag == 0x8B:
                fields["mechanism"] = _mechanism(r)
            elif tag == 0xAC:
                fields["authentication_value"] = _octets(r, 0x80, "authentication value")
            elif tag == 0xBE:
                fields["user_information"] = _octets(r, 0x04, "user information", lenient)
        if "user_information" not in fields:
            raise Reader(data, "AARQ").fail("a user-information field (BE)", len(data))
        return cls(**fields)  # type: ignore[arg-type]


def _mechanism(r: Reader) -> int:
    body = r.rest()
    if len(body) != 7 or body[:6] != MECHANISM_PREFIX:
        raise r.fail(f"a mechanism name 60 85 74 05 08 02 xx, got {body.hex(' ')}", 0)
    return body[6]


@dataclass(frozen=True)
class Aare:
    """``result`` 0 accepted, 1 rejected-permanent, 2 rejected-transient; ``diagnostic``
    from the service user (``diagnostic_source`` 1) or provider (2): 0 null, 1 no reason,
    2 context not supported, 11 mechanism not recognised, 13 authentication failure,
    14 authentication required."""

    user_information: bytes
    result: int = 0
    diagnostic: int = 0
    context: int = Context.LN
    diagnostic_source: int = 1
    mechanism: int | None = None
    authentication_value: bytes | None = None
    responding_ap_title: bytes | None = None

    @property
    def accepted(self) -> bool:
        return self.result == 0

    def to_bytes(self) -> bytes:
        body = _tlv(0xA1, _tlv(0x06, CONTEXT_PREFIX + bytes((self.context,))))
        body += _tlv(0xA2, _tlv(0x02, bytes((self.result,))))
        diag = _tlv(0xA0 | self.diagnostic_source, _tlv(0x02, bytes((self.diagnostic,))))
        body += _tlv(0xA3, diag)
        if self.responding_ap_title is not None:
            body += _tlv(0xA4, _tlv(0x04, self.responding_ap_title))
        if self.mechanism is not None:
            body += _tlv(0x88, ACSE_REQUIREMENTS)
            body += _tlv(0x89, MECHANISM_PREFIX + bytes((self.mechanism,)))
        if self.authentication_value is not None:
            body += _tlv(0xAA, _tlv(0x80, self.authentication_value))
        body += _tlv(0xBE, _tlv(0x04, self.user_information))
        return _tlv(0x61, body)

    @classmethod
    def from_bytes(cls, data: bytes, lenient: bool = False) -> Aare:
        fields: dict[str, object] = {}
        for tag, r in _tlvs(_open(data, 0x61, "AARE", lenient), lenient):
            if tag == 0xA1:
                fields["context"] = _oid(r, CONTEXT_PREFIX, "application context")
            elif tag == 0xA2:
                fields["result"] = _integer(r, "result")
            elif tag == 0xA3:
                source = r.u8("the diagnostic choice (A1 user, A2 provider)")
                r.length("the diagnostic length")
                fields["diagnostic_source"] = source & 0x0F
                fields["diagnostic"] = _integer(r, "diagnostic")
            elif tag == 0xA4:
                fields["responding_ap_title"] = _octets(r, 0x04, "responding AP title")
            elif tag == 0x89:
                fields["mechanism"] = _mechanism(r)
            elif tag == 0xAA:
                fields["authentication_value"] = _octets(r, 0x80, "authentication value")
            elif tag == 0xBE:
                fields["user_information"] = _octets(r, 0x04, "user information", lenient)
        if "user_information" not in fields:
            fields["user_information"] = b""
        return cls(**fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rlrq:
    reason: int | None = 0
    user_information: bytes | None = None

    def to_bytes(self) -> bytes:
        body = b"" if self.reason is None else _tlv(0x80, bytes((self.reason,)))
        if self.user_information is not None:
            body += _tlv(0xBE, _tlv(0x04, self.user_information))
        return _tlv(0x62, body)

    @classmethod
    def from_bytes(cls, data: bytes) -> Rlrq:
        return cls(*_release(data, 0x62, "RLRQ"))


@dataclass(frozen=True)
class Rlre:
    reason: int | None = 0
    user_information: bytes | None = None

    def to_bytes(self) -> bytes:
        body = b"" if self.reason is None else _tlv(0x80, bytes((self.reason,)))
        if self.user_information is not None:
            body += _tlv(0xBE, _tlv(0x04, self.user_information))
        return _tlv(0x63, body)

    @classmethod
    def from_bytes(cls, data: bytes) -> Rlre:
        return cls(*_release(data, 0x63, "RLRE"))


def _release(data: bytes, tag: int, name: str) -> tuple[int | None, bytes | None]:
    reason: int | None = None
    info: bytes | None = None
    for field_tag, r in _tlvs(_open(data, tag, name, False), False):
        if field_tag == 0x80:
            reason = r.u8("the release reason")
        elif field_tag == 0xBE:
            info = _octets(r, 0x04, "user information")
    return reason, info

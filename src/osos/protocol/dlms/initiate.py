"""The xDLMS InitiateRequest / InitiateResponse carried in the AARQ / AARE, and the
confirmedServiceError a meter answers instead (Green Book 9.5, A-XDR)."""

from __future__ import annotations

from dataclasses import dataclass

from .acse import Aare
from .wire import Reader, encode_length


@dataclass(frozen=True)
class ConfirmedServiceError:
    """0x0E: which service (1 initiate, 5 read, 6 write …), the error class and its value."""

    service: int
    error_class: int
    error: int

    def to_bytes(self) -> bytes:
        return bytes((0x0E, self.service, self.error_class, self.error))

    @classmethod
    def from_bytes(cls, data: bytes) -> ConfirmedServiceError:
        r = Reader(data, "confirmedServiceError")
        r.expect(0x0E, "the confirmedServiceError tag")
        out = cls(r.u8("the service"), r.u8("the error class"), r.u8("the error value"))
        r.done()
        return out


@dataclass(frozen=True)
class InitiateRequest:
    conformance: int = 0x001E1D
    max_pdu: int = 0xFFFF
    dedicated_key: bytes | None = None
    version: int = 6

    def to_bytes(self) -> bytes:
        key = (
            b"\x00"
            if self.dedicated_key is None
            else (b"\x01" + encode_length(len(self.dedicated_key)) + self.dedicated_key)
        )
        return (
            b"\x01"
            + key
            + b"\x00\x00"
            + bytes((self.version,))
            + _conformance(self)
            + self.max_pdu.to_bytes(2, "big")
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> InitiateRequest:
        r = Reader(data, "InitiateRequest")
        r.expect(0x01, "the InitiateRequest tag")
        key = r.take(r.length("the dedicated-key length"), "key") if r.u8("key flag") else None
        if r.u8("the response-allowed flag"):
            r.u8("response-allowed")
        if r.u8("the quality-of-service flag"):
            r.u8("the quality of service")
        version = r.u8("the DLMS version")
        conformance = _read_conformance(r)
        out = cls(conformance, r.uint(2, "the max receive PDU size"), key, version)
        r.done()
        return out


@dataclass(frozen=True)
class InitiateResponse:
    conformance: int = 0x001E1D
    max_pdu: int = 1024
    vaa_name: int = 0x0007
    version: int = 6

    def to_bytes(self) -> bytes:
        return (
            b"\x08\x00"
            + bytes((self.version,))
            + _conformance(self)
            + self.max_pdu.to_bytes(2, "big")
            + self.vaa_name.to_bytes(2, "big")
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> InitiateResponse:
        r = Reader(data, "InitiateResponse")
        r.expect(0x08, "the InitiateResponse tag")
        if r.u8("the quality-of-service flag"):
            r.u8("the quality of service")
        version = r.u8("the DLMS version")
        conformance = _read_conformance(r)
        max_pdu = r.uint(2, "the max receive PDU size")
        out = cls(conformance, max_pdu, r.uint(2, "the VAA name"), version)
        r.done()
        return out


def _conformance(initiate: InitiateRequest | InitiateResponse) -> bytes:
    return b"\x5f\x1f\x04\x00" + initiate.conformance.to_bytes(3, "big")


def _read_conformance(r: Reader) -> int:
    r.expect(0x5F, "the conformance tag (5F 1F)")
    r.expect(0x1F, "the conformance tag (5F 1F)")
    r.expect(0x04, "the conformance length 4")
    r.expect(0x00, "the unused-bits byte 0")
    return r.uint(3, "the conformance bits")


def service_error_text(error: ConfirmedServiceError) -> str:
    if error.error_class == 6 and error.error == 1:
        return "initiate: dlms-version-too-low"
    if error.error_class == 6 and error.error == 2:
        return "initiate: incompatible-conformance"
    if error.error_class == 6 and error.error == 3:
        return "initiate: pdu-size-too-short"
    return f"service {error.service}: error class {error.error_class}, value {error.error}"


def aare_text(aare: Aare) -> str:
    names = {
        1: "no reason given",
        2: "application context not supported",
        11: "authentication mechanism not recognised",
        12: "mechanism name required",
        13: "authentication failure",
        14: "authentication required",
    }
    detail = names.get(aare.diagnostic, f"diagnostic {aare.diagnostic}")
    info = aare.user_information
    if info[:1] == b"\x0e":
        detail += f" ({service_error_text(ConfirmedServiceError.from_bytes(info))})"
    return f"result {aare.result}, {detail}"

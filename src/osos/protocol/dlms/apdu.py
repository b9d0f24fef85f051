"""Any APDU by its first byte, and the general-block-transfer (GBT) container.

:func:`decode_apdu` is the one place that knows which class reads which tag; the sessions,
the capture parser and the fuzz tests all go through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from .acse import Aare, Aarq, Rlre, Rlrq
from .errors import DecodeError
from .initiate import ConfirmedServiceError, InitiateRequest, InitiateResponse
from .security import GENERAL_GLO, PLAIN_TAGS, CipheredApdu
from .wire import Reader, encode_length
from .xdlms import (
    ActionRequest,
    ActionResponse,
    DataNotification,
    ExceptionResponse,
    GetRequest,
    GetResponse,
    SetRequest,
    SetResponse,
)

GBT: Final = 0xE0


@dataclass(frozen=True)
class GeneralBlockTransfer:
    """A block of a long APDU: ``last``, ``streaming``, ``window`` (block-control), the
    block number, the number of the last block received, and a part of the APDU."""

    block: int
    data: bytes
    last: bool = True
    ack: int = 0
    streaming: bool = False
    window: int = 1

    def to_bytes(self) -> bytes:
        control = (0x80 if self.last else 0) | (0x40 if self.streaming else 0) | self.window
        return (
            bytes((GBT, control))
            + self.block.to_bytes(2, "big")
            + self.ack.to_bytes(2, "big")
            + encode_length(len(self.data))
            + self.data
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> GeneralBlockTransfer:
        r = Reader(data, "general-block-transfer")
        r.expect(GBT, "the general-block-transfer tag")
        control = r.u8("the block control")
        block = r.uint(2, "the block number")
        ack = r.uint(2, "the block number acknowledged")
        body = r.take(r.length("the block data length"), "block data")
        r.done()
        return cls(block, body, bool(control & 0x80), ack, bool(control & 0x40), control & 0x3F)


Apdu = (
    Aarq
    | Aare
    | Rlrq
    | Rlre
    | GetRequest
    | GetResponse
    | SetRequest
    | SetResponse
    | ActionRequest
    | ActionResponse
    | DataNotification
    | ExceptionResponse
    | ConfirmedServiceError
    | InitiateRequest
    | InitiateResponse
    | CipheredApdu
    | GeneralBlockTransfer
)

_DECODERS: Final[dict[int, Callable[[bytes], Apdu]]] = {
    0x60: Aarq.from_bytes,
    0x61: Aare.from_bytes,
    0x62: Rlrq.from_bytes,
    0x63: Rlre.from_bytes,
    0xC0: GetRequest.from_bytes,
    0xC4: GetResponse.from_bytes,
    0xC1: SetRequest.from_bytes,
    0xC5: SetResponse.from_bytes,
    0xC3: ActionRequest.from_bytes,
    0xC7: ActionResponse.from_bytes,
    0x0F: DataNotification.from_bytes,
    0xD8: ExceptionResponse.from_bytes,
    0x0E: ConfirmedServiceError.from_bytes,
    0x01: InitiateRequest.from_bytes,
    0x08: InitiateResponse.from_bytes,
    GBT: GeneralBlockTransfer.from_bytes,
    GENERAL_GLO: CipheredApdu.from_bytes,
    **{tag: CipheredApdu.from_bytes for tag in PLAIN_TAGS},
}

KINDS: Final = {
    0x60: "aarq",
    0x61: "aare",
    0x62: "rlrq",
    0x63: "rlre",
    0xC0: "get-request",
    0xC4: "get-response",
    0xC1: "set-request",
    0xC5: "set-response",
    0xC3: "action-request",
    0xC7: "action-response",
    0x0F: "data-notification",
    0xD8: "exception-response",
    0x0E: "confirmed-service-error",
    0x01: "initiate-request",
    0x08: "initiate-response",
    GBT: "general-block-transfer",
    GENERAL_GLO: "general-glo-ciphering",
    **{tag: "glo-ciphered" for tag in PLAIN_TAGS},
}


def decode_apdu(data: bytes) -> Apdu:
    """The APDU value of ``data``; DecodeError for an unknown tag or malformed body."""
    if not data:
        raise DecodeError("APDU", 0, "an APDU tag (got nothing)")
    decoder = _DECODERS.get(data[0])
    if decoder is None:
        raise DecodeError("APDU", 0, f"a known APDU tag, got 0x{data[0]:02X}")
    return decoder(data)


def kind_of(data: bytes) -> str:
    return KINDS.get(data[0], "unknown") if data else "empty"

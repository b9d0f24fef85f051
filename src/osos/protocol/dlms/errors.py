"""Errors of the DLMS/COSEM engine, all subclasses of :class:`osos.errors.ProtocolError`.

A decoder never lets IndexError, struct.error, ValueError or UnicodeDecodeError escape: it
raises :class:`DecodeError` naming the offset and what it expected there, because whoever
reads the message has a hex dump in front of them. Service errors name the COSEM attribute
(class id, OBIS, attribute) the meter refused.
"""

from __future__ import annotations

from osos.errors import ProtocolError


class DlmsError(ProtocolError):
    """Base of every error this package raises on purpose."""


class DecodeError(DlmsError):
    """Bytes that do not have the shape expected at ``offset`` (counted from the start of
    the unit being decoded: frame, APDU or data)."""

    def __init__(self, what: str, offset: int, expected: str) -> None:
        super().__init__(f"{what}: at offset {offset}: expected {expected}")
        self.what = what
        self.offset = offset
        self.expected = expected


class FrameCheckError(DecodeError):
    """An HDLC HCS or FCS does not match the frame's bytes."""

    def __init__(self, which: str, offset: int, received: int, computed: int) -> None:
        super().__init__(
            "HDLC frame", offset, f"{which} 0x{computed:04X} (received 0x{received:04X})"
        )
        self.which = which
        self.received = received
        self.computed = computed


class SecurityError(DlmsError):
    """Ciphered APDU that cannot be opened: wrong key, bad tag, missing key, replayed or
    stale invocation counter."""


class SessionError(DlmsError):
    """A session was asked to do something its current state does not allow, or the peer
    said something the state does not expect."""


class AssociationRejected(DlmsError):
    """The meter answered the AARQ with a rejection (or the HLS proof failed)."""

    def __init__(self, message: str, result: int = 1, diagnostic: int = 0) -> None:
        super().__init__(message)
        self.result = result
        self.diagnostic = diagnostic


class ServiceError(DlmsError):
    """The meter refused a service on an attribute or method.

    ``target`` names it as ``class/OBIS/attribute`` (e.g. ``3/1.0.1.8.0.255/2``) or is empty
    when the error concerns the whole request (exception-response).
    """

    def __init__(self, message: str, target: str = "", code: int | None = None) -> None:
        super().__init__(f"{target}: {message}" if target else message)
        self.target = target
        self.code = code


class DataAccessError(ServiceError):
    """A data-access-result other than success (e.g. object-undefined, read-write-denied)."""


class ConfirmedServiceFailure(ServiceError):
    """A confirmedServiceError APDU (0x0E)."""


class ExceptionResponseError(ServiceError):
    """An ExceptionResponse APDU (0xD8): the meter could not process the request at all."""

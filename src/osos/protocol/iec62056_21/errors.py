"""Errors of the IEC 62056-21 codec, all subclasses of :class:`osos.errors.ProtocolError`.

Every message says what was wrong and where (offset, line/column or frame name), because the
person reading it has a capture in one hand and a hex dump in the other.
"""

from __future__ import annotations

from osos.errors import ProtocolError


class IecError(ProtocolError):
    """Base of every error this package raises on purpose."""


class FrameError(IecError):
    """A message's bytes do not have the shape of the message it claims to be."""


class BccError(FrameError):
    """The block check character does not match the frame's contents."""

    def __init__(self, frame: str, received: int, computed: int) -> None:
        super().__init__(
            f"bad BCC in {frame}: received 0x{received:02X}, computed 0x{computed:02X}"
        )
        self.frame = frame
        self.received = received
        self.computed = computed


class ParityError(FrameError):
    """A 7E1 character arrived with odd parity (only raised when parity is checked)."""


class DataSetError(IecError):
    """A data set (``address(value*unit)``) is malformed."""


class TimestampError(DataSetError):
    """A time stamp is not in any of the forms meters use."""


class ProfileError(IecError):
    """A load-profile request or response is malformed."""


class NotAReadoutError(IecError):
    """The input is not an IEC 62056-21 readout or load profile at all."""


class SessionError(IecError):
    """A session was asked to do something its current state does not allow."""

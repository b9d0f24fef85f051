"""Mode E (IEC 62056-21 Annex E): a meter that starts in IEC mode switches to HDLC.

``/?addr!`` CR LF → the identification (``\\2`` in it says the meter can) → ``ACK 2 Z 2``
CR LF; both sides then switch to the baud rate of ``Z`` and continue with HDLC (SNRM …).
The IEC messages are the IEC 62056-21 codec's (read-only use); this is the sans-io step
before :class:`~.link.HdlcLink` takes over the line.
"""

from __future__ import annotations

from osos.protocol.iec62056_21.errors import IecError
from osos.protocol.iec62056_21.framing import FrameBuffer
from osos.protocol.iec62056_21.messages import (
    BAUD_RATES,
    AckOptionSelect,
    IdentificationMessage,
    RequestMessage,
    decode,
)

from .errors import SessionError

MODE_HDLC = "2"  # option select Y = 2: binary (HDLC) mode; V = 2 likewise


class ModeE:
    """The sign-on of one call. ``receive`` returns the identification once it arrived;
    ``switch`` gives the option select and sets ``baud`` to the rate both switch to."""

    def __init__(self, address: str = "", baud_char: str | None = None) -> None:
        self.address = address
        self.baud_char = baud_char
        self.identification: IdentificationMessage | None = None
        self.baud = 300
        self._buffer = FrameBuffer()
        self._sent = b""

    def start(self) -> bytes:
        self._sent = RequestMessage(self.address).to_bytes()
        return self._sent

    def receive(self, data: bytes) -> IdentificationMessage | None:
        self._buffer.feed(data)
        for frame in self._buffer.frames():
            if frame == self._sent:
                continue  # the optical head's echo
            try:
                message = decode(frame)
            except IecError as exc:
                raise SessionError(f"mode E: not an identification: {exc}") from exc
            if isinstance(message, IdentificationMessage):
                self.identification = message
                return message
        return None

    @property
    def hdlc_capable(self) -> bool:
        """The identification announces mode E (``\\2``)."""
        ident = self.identification
        return ident is not None and ident.enhanced == "2"

    def switch(self) -> bytes:
        """``ACK 2 Z 2`` CR LF; afterwards the line runs at ``self.baud`` in HDLC."""
        if self.identification is None:
            raise SessionError("mode E: no identification yet")
        char = self.baud_char or self.identification.baud_char
        char = char if char in BAUD_RATES else "0"
        self.baud = BAUD_RATES[char]
        return AckOptionSelect(MODE_HDLC, char, MODE_HDLC).to_bytes()

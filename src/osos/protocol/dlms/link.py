"""The links that carry APDUs, sans-io: HDLC (IEC 62056-46) and the IP wrapper (-47).

Both offer the same small interface to the sessions above (:class:`Link`): ``open()``,
``send(apdu)``, ``close()`` queue bytes; ``receive(data)`` returns what arrived
(:class:`LinkEvent` values); ``data_to_send()`` hands the queued bytes to whoever moves
them. The HDLC link has one transition table for both roles (client and meter): SNRM/UA with
negotiated sizes, I/RR with sequence numbers, segmentation both ways, DISC/DM/FRMR.
``transcript`` records every frame in and out, for the communication log.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final, Protocol

from .errors import DecodeError, SessionError
from .hdlc import (
    LLC_REQUEST,
    LLC_RESPONSE,
    FrameBuffer,
    FrameKind,
    HdlcAddress,
    HdlcFrame,
    HdlcParameters,
)
from .wrapper import WrapperBuffer, WrapperFrame


@dataclass(frozen=True)
class Connected:
    """The link is up (UA received / SNRM answered / wrapper: at once)."""

    parameters: HdlcParameters | None = None


@dataclass(frozen=True)
class ApduReceived:
    apdu: bytes


@dataclass(frozen=True)
class Disconnected:
    reason: str


@dataclass(frozen=True)
class FrameDropped:
    """A frame that could not be used (bad check sum, wrong address, noise): HDLC drops it
    and the sender repeats after its time-out."""

    error: str


LinkEvent = Connected | ApduReceived | Disconnected | FrameDropped


@dataclass
class Transcript:
    """Every frame as sent (``>``) and received (``<``), in order."""

    frames: list[tuple[str, bytes]] = field(default_factory=list)

    def add(self, direction: str, data: bytes) -> None:
        self.frames.append((direction, data))


class Link(Protocol):
    transcript: Transcript

    def open(self) -> None: ...
    def send(self, apdu: bytes) -> None: ...
    def close(self) -> None: ...
    def receive(self, data: bytes) -> list[LinkEvent]: ...
    def data_to_send(self) -> bytes: ...


class WrapperLink:
    """IP wrapper: no link set-up; ``local``/``remote`` are the wPorts (SAPs)."""

    def __init__(self, local: int, remote: int) -> None:
        self.local = local
        self.remote = remote
        self.transcript = Transcript()
        self._buffer = WrapperBuffer()
        self._out = bytearray()
        self._events: list[LinkEvent] = []

    def open(self) -> None:
        self._events.append(Connected())

    def send(self, apdu: bytes) -> None:
        data = WrapperFrame(self.local, self.remote, apdu).to_bytes()
        self.transcript.add(">", data)
        self._out += data

    def close(self) -> None:
        self._events.append(Disconnected("closed"))

    def receive(self, data: bytes) -> list[LinkEvent]:
        self._buffer.feed(data)
        events, self._events = self._events, []
        for frame in self._buffer.frames():
            self.transcript.add("<", frame.to_bytes())
            if frame.destination != self.local:
                events.append(FrameDropped(f"wrapper frame for wPort {frame.destination}"))
                continue
            events.append(ApduReceived(frame.payload))
        return events

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out


class LinkState(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting (SNRM sent)"
    CONNECTED = "connected"
    DISCONNECTING = "disconnecting (DISC sent)"


L = LinkState
#: The one transition table of the HDLC link: (state, trigger) → next state.
LINK_TRANSITIONS: Final[dict[tuple[LinkState, str], LinkState]] = {
    (L.DISCONNECTED, "send SNRM"): L.CONNECTING,
    (L.CONNECTED, "send SNRM"): L.CONNECTING,
    (L.CONNECTING, "receive UA"): L.CONNECTED,
    (L.CONNECTING, "receive DM"): L.DISCONNECTED,
    (L.DISCONNECTED, "receive SNRM"): L.CONNECTED,
    (L.CONNECTED, "receive SNRM"): L.CONNECTED,
    (L.CONNECTED, "send I"): L.CONNECTED,
    (L.CONNECTED, "receive I"): L.CONNECTED,
    (L.CONNECTED, "receive RR"): L.CONNECTED,
    (L.CONNECTED, "send DISC"): L.DISCONNECTING,
    (L.DISCONNECTING, "receive UA"): L.DISCONNECTED,
    (L.DISCONNECTING, "receive DM"): L.DISCONNECTED,
    (L.CONNECTED, "receive DISC"): L.DISCONNECTED,
    (L.DISCONNECTED, "receive DISC"): L.DISCONNECTED,
    (L.CONNECTED, "receive FRMR"): L.DISCONNECTED,
    (L.CONNECTED, "receive DM"): L.DISCONNECTED,
}


class HdlcLink:
    """One HDLC link. ``client`` True: we send SNRM and LLC E6 E6 00; False: the meter side.
    ``local``/``remote`` are the addresses as they appear in our frames' source/destination.
    ``parameters``: what we propose (client) or accept at most (meter)."""

    def __init__(
        self,
        local: HdlcAddress,
        remote: HdlcAddress | None,
        *,
        client: bool = True,
        parameters: HdlcParameters | None = None,
    ) -> None:
        self.local = local
        self.remote = remote
        self.client = client
        self.proposed = parameters or HdlcParameters()
        self.max_tx = 128  # largest information field we may send (negotiated)
        self.max_rx = self.proposed.max_info_rx
        self.state = LinkState.DISCONNECTED
        self.transcript = Transcript()
        self.vs = 0
        self.vr = 0
        self._buffer = FrameBuffer()
        self._out = bytearray()
        self._pending: list[bytes] = []  # segments still to send, each after the peer's RR
        self._incoming = bytearray()
        self._events: list[LinkEvent] = []

    @property
    def llc_out(self) -> bytes:
        return LLC_REQUEST if self.client else LLC_RESPONSE

    @property
    def llc_in(self) -> bytes:
        return LLC_RESPONSE if self.client else LLC_REQUEST

    def _fire(self, trigger: str) -> None:
        target = LINK_TRANSITIONS.get((self.state, trigger))
        if target is None:
            raise SessionError(f"HDLC: {trigger!r} not allowed in state {self.state.value!r}")
        self.state = target

    def _emit(self, frame: HdlcFrame) -> None:
        data = frame.to_bytes()
        self.transcript.add(">", data)
        self._out += data

    def _frame(self, kind: FrameKind, info: bytes = b"", **kw: int | bool) -> HdlcFrame:
        if self.remote is None:
            raise SessionError("HDLC: the peer's address is not known yet")
        return HdlcFrame(kind, self.remote, self.local, info, **kw)  # type: ignore[arg-type]

    # -- outgoing

    def open(self) -> None:
        """Client: SNRM with our proposal."""
        self._fire("send SNRM")
        self.vs = self.vr = 0
        self._emit(self._frame(FrameKind.SNRM, self.proposed.to_bytes()))

    def close(self) -> None:
        self._fire("send DISC")
        self._emit(self._frame(FrameKind.DISC))

    def send(self, apdu: bytes) -> None:
        """An APDU as I-frames of at most ``max_tx`` bytes; segments after the first wait
        for the peer's RR."""
        self._fire("send I")
        data = self.llc_out + apdu
        self._pending = [data[i : i + self.max_tx] for i in range(0, len(data), self.max_tx)]
        self._send_segment()

    def _send_segment(self) -> None:
        segment = self._pending.pop(0)
        frame = self._frame(
            FrameKind.I, segment, ns=self.vs, nr=self.vr, segmented=bool(self._pending)
        )
        self.vs = (self.vs + 1) % 8
        self._emit(frame)

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    # -- incoming

    def receive(self, data: bytes) -> list[LinkEvent]:
        self._buffer.feed(data)
        events, self._events = self._events, []
        for raw in self._buffer.frames():
            self.transcript.add("<", b"\x7e" + raw + b"\x7e")
            try:
                frame = HdlcFrame.from_bytes(raw)
            except DecodeError as exc:
                events.append(FrameDropped(str(exc)))
                continue
            if frame.destination != self.local and not (
                frame.destination.logical == self.local.logical and not self.client
            ):
                events.append(FrameDropped(f"frame for {frame.destination!r}"))
                continue
            event = self._on_frame(frame)
            if event is not None:
                events.append(event)
        return events

    def _on_frame(self, frame: HdlcFrame) -> LinkEvent | None:
        kind = frame.kind
        if kind is FrameKind.SNRM and not self.client:
            return self._on_snrm(frame)
        if kind is FrameKind.UA and self.state is LinkState.CONNECTING:
            self._fire("receive UA")
            params = HdlcParameters.from_bytes(frame.info) if frame.info else HdlcParameters()
            self.max_tx = min(self.proposed.max_info_tx, params.max_info_rx)
            return Connected(params)
        if kind is FrameKind.UA and self.state is LinkState.DISCONNECTING:
            self._fire("receive UA")
            return Disconnected("link closed")
        if kind is FrameKind.DISC and not self.client:
            connected = self.state is LinkState.CONNECTED
            self._fire("receive DISC")
            self._emit(self._frame(FrameKind.UA if connected else FrameKind.DM))
            return Disconnected("DISC from the client")
        if kind in (FrameKind.DM, FrameKind.FRMR):
            self._fire(f"receive {kind.value}")
            return Disconnected(f"{kind.value} from the peer")
        if kind is FrameKind.RR:
            self._fire("receive RR")
            if self._pending:
                self._send_segment()
            return None
        if kind is FrameKind.I:
            return self._on_information(frame)
        if kind is FrameKind.UI:
            return ApduReceived(_strip_llc(frame.info)) if frame.info else None
        if not self.client and self.state is LinkState.DISCONNECTED:
            self._emit(self._frame(FrameKind.DM))
        return FrameDropped(f"{kind.value} frame in state {self.state.value}")

    def _on_snrm(self, frame: HdlcFrame) -> LinkEvent:
        self.remote = frame.source
        self.local = frame.destination
        self._fire("receive SNRM")
        self.vs = self.vr = 0
        self._incoming.clear()
        offer = HdlcParameters.from_bytes(frame.info) if frame.info else HdlcParameters()
        mine = self.proposed
        agreed = HdlcParameters(
            min(mine.max_info_tx, offer.max_info_rx),
            min(mine.max_info_rx, offer.max_info_tx),
            1,
            1,
        )
        self.max_tx = agreed.max_info_tx
        self._emit(self._frame(FrameKind.UA, agreed.to_bytes()))
        return Connected(agreed)

    def _on_information(self, frame: HdlcFrame) -> LinkEvent | None:
        if self.state is not LinkState.CONNECTED:
            if not self.client:
                self._emit(self._frame(FrameKind.DM))
            return FrameDropped(f"I frame in state {self.state.value}")
        self._fire("receive I")
        if frame.ns != self.vr:
            return FrameDropped(f"I frame N(S)={frame.ns}, expected {self.vr} (repeat?)")
        self.vr = (self.vr + 1) % 8
        self._incoming += frame.info
        if frame.segmented:
            self._emit(self._frame(FrameKind.RR, nr=self.vr))
            return None
        apdu = bytes(self._incoming)
        self._incoming.clear()
        return ApduReceived(_strip_llc(apdu))


def _strip_llc(data: bytes) -> bytes:
    return data[3:] if data[:2] in (b"\xe6\xe6", b"\xe6\xe7") and len(data) >= 3 else data

"""The head-end (client) side of DLMS/COSEM, sans-io: association, GET/SET/ACTION, release.

Usage — the caller moves bytes, the session decides::

    client = DlmsClient(settings, WrapperLink(16, 1), counter=frame_counter)
    client.connect(); client.associate()
    transport.write(client.data_to_send())
    while not isinstance(event := client.next_event(), Associated):
        client.receive_data(await transport.read_some())
    client.get(AttributeDescriptor(8, CLOCK_OBIS, 2)) …   # → GetDone

Long responses (GET with-block, general-block-transfer) are reassembled here: the session
asks for the next block itself and gives one :class:`GetDone`. With HLS-GMAC the session
sends the reply_to_HLS_authentication ACTION itself and checks the meter's proof. Every
state change goes through :data:`TRANSITIONS`; a call the state does not allow raises
:class:`~.errors.SessionError`.
"""

from __future__ import annotations

import enum
import os
from collections import deque
from dataclasses import dataclass, field
from typing import Final

from .acse import Aare, Rlre, Rlrq
from .apdu import GeneralBlockTransfer, decode_apdu
from .association import Authentication, Cipherer, ClientSettings, is_ciphered
from .axdr import Data
from .cosem import ASSOCIATION_OBIS, AttributeDescriptor, MethodDescriptor, SelectiveAccess
from .errors import (
    AssociationRejected,
    ConfirmedServiceFailure,
    DlmsError,
    ExceptionResponseError,
    SessionError,
)
from .initiate import ConfirmedServiceError, InitiateResponse, aare_text, service_error_text
from .link import ApduReceived, Connected, Disconnected, FrameDropped, Link
from .security import FrameCounter, MemoryFrameCounter, hls_gmac_proof, verify_hls_gmac
from .xdlms import (
    ActionRequest,
    ActionResponse,
    ExceptionResponse,
    GetRequest,
    GetResponse,
    Result,
    SetRequest,
    SetResponse,
)


class State(enum.Enum):
    IDLE = "idle"
    LINKING = "opening the link"
    LINKED = "link open"
    ASSOCIATING = "AARQ sent"
    AUTHENTICATING = "HLS proof sent"
    ASSOCIATED = "associated"
    AWAIT_RESPONSE = "request sent"
    RELEASING = "RLRQ sent"
    UNLINKING = "closing the link"
    CLOSED = "closed"


S = State
#: The one transition table: (state, trigger) → next state. Anything else is illegal.
TRANSITIONS: Final[dict[tuple[State, str], State]] = {
    (S.IDLE, "connect"): S.LINKING,
    (S.LINKING, "link up"): S.LINKED,
    (S.LINKED, "associate"): S.ASSOCIATING,
    (S.ASSOCIATING, "accepted"): S.ASSOCIATED,
    (S.ASSOCIATING, "challenge"): S.AUTHENTICATING,
    (S.ASSOCIATING, "rejected"): S.LINKED,
    (S.AUTHENTICATING, "accepted"): S.ASSOCIATED,
    (S.AUTHENTICATING, "rejected"): S.LINKED,
    (S.ASSOCIATED, "request"): S.AWAIT_RESPONSE,
    (S.AWAIT_RESPONSE, "next block"): S.AWAIT_RESPONSE,
    (S.AWAIT_RESPONSE, "response"): S.ASSOCIATED,
    (S.ASSOCIATED, "release"): S.RELEASING,
    (S.AWAIT_RESPONSE, "release"): S.RELEASING,
    (S.RELEASING, "released"): S.LINKED,
    (S.LINKED, "disconnect"): S.UNLINKING,
    (S.ASSOCIATED, "disconnect"): S.UNLINKING,
    (S.UNLINKING, "link down"): S.CLOSED,
    **{(state, "link lost"): S.CLOSED for state in State},
}


class Event:
    """Base of what :meth:`DlmsClient.next_event` returns."""


@dataclass(frozen=True)
class NeedMoreData(Event):
    pass


@dataclass(frozen=True)
class LinkUp(Event):
    pass


@dataclass(frozen=True)
class Associated(Event):
    aare: Aare
    initiate: InitiateResponse | None


@dataclass(frozen=True)
class GetDone(Event):
    """The results of a GET, in the order asked (one for normal, several for with-list)."""

    items: tuple[AttributeDescriptor, ...]
    results: tuple[Result, ...]
    blocks: int = 1


@dataclass(frozen=True)
class SetDone(Event):
    item: AttributeDescriptor
    result: int


@dataclass(frozen=True)
class ActionDone(Event):
    method: MethodDescriptor
    result: int
    returned: Data | None


@dataclass(frozen=True)
class ServiceFailed(Event):
    """ExceptionResponse or confirmedServiceError instead of the answer; ``error`` names it."""

    error: DlmsError = field(compare=False)


@dataclass(frozen=True)
class Released(Event):
    pass


@dataclass(frozen=True)
class Closed(Event):
    reason: str


class DlmsClient:
    """One client session over one link; see the module docstring."""

    def __init__(
        self,
        settings: ClientSettings,
        link: Link,
        *,
        counter: FrameCounter | None = None,
        challenge: bytes | None = None,
    ) -> None:
        self.settings = settings
        self.link = link
        self.state = State.IDLE
        self.challenge = challenge or os.urandom(16)
        self.cipher: Cipherer | None = None
        if settings.use_ciphering or settings.authentication is Authentication.HLS_GMAC:
            keys = settings.keys
            assert keys is not None  # ClientSettings refuses HLS/ciphering without keys
            self.cipher = Cipherer(keys, settings.system_title, counter or MemoryFrameCounter())
        self.negotiated: InitiateResponse | None = None
        self._events: deque[Event] = deque()
        self._pending: tuple[str, tuple[AttributeDescriptor | MethodDescriptor, ...]] = ("", ())
        self._blocks: list[bytes] = []
        self._gbt: list[bytes] = []
        self._aare: Aare | None = None

    @property
    def transcript(self) -> list[tuple[str, bytes]]:
        return self.link.transcript.frames

    def _fire(self, trigger: str) -> None:
        target = TRANSITIONS.get((self.state, trigger))
        if target is None:
            raise SessionError(f"{trigger!r} is not allowed in state {self.state.value!r}")
        self.state = target

    @property
    def _ciphered(self) -> bool:
        return self.cipher is not None and self.settings.use_ciphering

    def _send(self, apdu: bytes) -> None:
        if self._ciphered and self.cipher is not None:
            apdu = self.cipher.seal(apdu)
        self.link.send(apdu)

    # -- calls

    def connect(self) -> None:
        self._fire("connect")
        self.link.open()
        self.receive_data(b"")  # the wrapper is up at once; HDLC waits for its UA

    def associate(self) -> None:
        self._fire("associate")
        cipher = self.cipher if self._ciphered else None
        self.link.send(self.settings.aarq(self.challenge, cipher).to_bytes())

    def get(self, item: AttributeDescriptor, access: SelectiveAccess | None = None) -> None:
        self._fire("request")
        self._pending, self._blocks = ("get", (item,)), []
        self._send(GetRequest.normal(item, access).to_bytes())

    def get_list(self, items: list[tuple[AttributeDescriptor, SelectiveAccess | None]]) -> None:
        self._fire("request")
        self._pending, self._blocks = ("get", tuple(i for i, _ in items)), []
        self._send(GetRequest(tuple(items), with_list=True).to_bytes())

    def set(self, item: AttributeDescriptor, value: Data) -> None:
        self._fire("request")
        self._pending = ("set", (item,))
        self._send(SetRequest(item, value).to_bytes())

    def action(self, method: MethodDescriptor, parameters: Data | None = None) -> None:
        self._fire("request")
        self._pending = ("action", (method,))
        self._send(ActionRequest(method, parameters).to_bytes())

    def release(self) -> None:
        self._fire("release")
        self.link.send(Rlrq(0).to_bytes())

    def disconnect(self) -> None:
        self._fire("disconnect")
        self.link.close()
        self.receive_data(b"")  # the wrapper is down at once; HDLC waits for its UA

    # -- bytes

    def data_to_send(self) -> bytes:
        return self.link.data_to_send()

    def receive_data(self, data: bytes) -> None:
        for event in self.link.receive(data):
            self._on_link(event)

    def next_event(self) -> Event:
        return self._events.popleft() if self._events else NeedMoreData()

    def _on_link(self, event: object) -> None:
        if isinstance(event, Connected):
            if self.state is State.LINKING:
                self._fire("link up")
                self._events.append(LinkUp())
        elif isinstance(event, Disconnected):
            self._fire("link down" if self.state is State.UNLINKING else "link lost")
            self._events.append(Closed(event.reason))
        elif isinstance(event, ApduReceived):
            self._on_apdu(event.apdu)
        elif isinstance(event, FrameDropped):
            pass  # HDLC: the peer repeats; nothing to tell the caller

    def _on_apdu(self, data: bytes) -> None:
        if data[:1] == b"\xe0":
            data = self._reassemble(GeneralBlockTransfer.from_bytes(data))
            if not data:
                return
        if is_ciphered(data):
            if self.cipher is None:
                raise SessionError("a ciphered APDU arrived in an unciphered association")
            data = self.cipher.open(data)
        apdu = decode_apdu(data)
        if isinstance(apdu, Aare):
            self._on_aare(apdu)
        elif isinstance(apdu, GetResponse):
            self._on_get(apdu)
        elif isinstance(apdu, SetResponse):
            self._fire("response")
            self._events.append(SetDone(self._item(), apdu.result))
        elif isinstance(apdu, ActionResponse):
            self._on_action(apdu)
        elif isinstance(apdu, Rlre):
            self._fire("released")
            self._events.append(Released())
        elif isinstance(apdu, ExceptionResponse | ConfirmedServiceError):
            self._on_failure(apdu)
        else:
            raise SessionError(f"unexpected {type(apdu).__name__} in state {self.state.value}")

    def _item(self) -> AttributeDescriptor:
        item = self._pending[1][0]
        assert isinstance(item, AttributeDescriptor)
        return item

    def _reassemble(self, block: GeneralBlockTransfer) -> bytes:
        self._gbt.append(block.data)
        if not block.last:
            ack = GeneralBlockTransfer(len(self._gbt), b"", True, block.block)
            self.link.send(ack.to_bytes())
            return b""
        data, self._gbt = b"".join(self._gbt), []
        return data

    def _on_aare(self, aare: Aare) -> None:
        self._aare = aare
        if not aare.accepted:
            self._fire("rejected")
            text = aare_text(aare)
            raise AssociationRejected(f"association rejected: {text}", aare.result, aare.diagnostic)
        info = aare.user_information
        if self.cipher is not None:
            self.cipher.peer_title = aare.responding_ap_title
        if is_ciphered(info) and self.cipher is not None:
            info = self.cipher.open(info)
        self.negotiated = InitiateResponse.from_bytes(info) if info[:1] == b"\x08" else None
        if self.settings.authentication is Authentication.HLS_GMAC:
            self._prove(aare)
            return
        self._fire("accepted")
        self._events.append(Associated(aare, self.negotiated))

    def _prove(self, aare: Aare) -> None:
        if aare.authentication_value is None or self.cipher is None:
            raise AssociationRejected("HLS: the AARE carries no server challenge (StoC)")
        self._fire("challenge")
        cipher = self.cipher
        proof = hls_gmac_proof(
            cipher.keys, cipher.own_title, cipher.next_counter(), aare.authentication_value
        )
        method = MethodDescriptor(15, ASSOCIATION_OBIS, 1)
        self._pending = ("hls", (method,))
        self._send(ActionRequest(method, Data.octets(proof)).to_bytes())

    def _on_get(self, response: GetResponse) -> None:
        items = tuple(i for i in self._pending[1] if isinstance(i, AttributeDescriptor))
        if response.block is None:
            self._fire("response")
            self._events.append(GetDone(items, response.results, len(self._blocks) + 1))
            return
        if response.results:  # an error instead of the block
            self._fire("response")
            self._events.append(GetDone(items, response.results, len(self._blocks) + 1))
            return
        self._blocks.append(response.raw)
        if not response.last:
            self._fire("next block")
            self._send(GetRequest.next(response.block, response.invoke).to_bytes())
            return
        self._fire("response")
        raw = b"".join(self._blocks)
        results = (Result(Data.from_bytes(raw, "reassembled GET blocks")),)
        self._events.append(GetDone(items, results, len(self._blocks)))

    def _on_action(self, response: ActionResponse) -> None:
        method = self._pending[1][0]
        assert isinstance(method, MethodDescriptor)
        returned = response.returned.data if response.returned else None
        if self._pending[0] != "hls":
            self._fire("response")
            self._events.append(ActionDone(method, response.result, returned))
            return
        cipher, aare = self.cipher, self._aare
        assert cipher is not None and aare is not None
        title = aare.responding_ap_title
        if (
            response.result != 0
            or returned is None
            or title is None
            or not verify_hls_gmac(cipher.keys, title, self.challenge, returned.as_bytes())
        ):
            self._fire("rejected")
            raise AssociationRejected("HLS-GMAC: the meter's proof f(CtoS) does not verify")
        self._fire("accepted")
        self._events.append(Associated(aare, self.negotiated))

    def _on_failure(self, apdu: ExceptionResponse | ConfirmedServiceError) -> None:
        if self.state is State.ASSOCIATING:
            self._fire("rejected")
        elif self.state in (State.AWAIT_RESPONSE, State.AUTHENTICATING):
            self._fire("response" if self.state is State.AWAIT_RESPONSE else "rejected")
        target = "/".join(str(i) for i in self._pending[1])
        if isinstance(apdu, ExceptionResponse):
            error: DlmsError = ExceptionResponseError(
                f"exception-response state-error {apdu.state_error}, service-error "
                f"{apdu.service_error}",
                target,
                apdu.service_error,
            )
        else:
            error = ConfirmedServiceFailure(service_error_text(apdu), target, apdu.error)
        self._events.append(ServiceFailed(error))

"""The meter (server) side of DLMS/COSEM, sans-io: bytes in, bytes out.

The simulator owns the socket and the clock; this class owns the protocol::

    meter = MeterServer(provider, policies, link)   # link: HdlcLink(client=False) or wrapper
    reply = meter.receive_data(chunk)               # bytes to write back (may be b"")

What the meter holds comes from the :class:`CosemProvider` (get/set/action of attributes
and methods). Who may associate and how comes from ``policies`` (client SAP →
:class:`Policy`): none, LLS with a password, HLS-GMAC with keys (ciphered or not). Long
answers go out as GET with-block of ``block_size`` bytes; the meter's invocation counter
grows by one per ciphered APDU.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from .acse import Aare, Aarq, Context, Mechanism, Rlre, Rlrq
from .apdu import decode_apdu
from .association import Authentication, Cipherer, is_ciphered
from .axdr import Data
from .cosem import ASSOCIATION_OBIS, AttributeDescriptor, MethodDescriptor, SelectiveAccess
from .errors import DlmsError, SecurityError, SessionError
from .initiate import InitiateRequest, InitiateResponse
from .link import ApduReceived, Connected, Disconnected, Link
from .security import FrameCounter, Keys, MemoryFrameCounter, hls_gmac_proof, verify_hls_gmac
from .xdlms import (
    ActionRequest,
    ActionResponse,
    DataAccessResult,
    ExceptionResponse,
    GetRequest,
    GetResponse,
    Result,
    SetRequest,
    SetResponse,
)

SERVER_CONFORMANCE: Final = 0x00501F | 0x001E1D  # what this meter offers


class CosemProvider(Protocol):
    """The COSEM objects of a (simulated) meter. An ``int`` answer is a data-access-result."""

    def get(self, item: AttributeDescriptor, access: SelectiveAccess | None) -> Data | int: ...

    def set(self, item: AttributeDescriptor, value: Data) -> int: ...

    def action(
        self, method: MethodDescriptor, parameters: Data | None
    ) -> tuple[int, Data | None]: ...


@dataclass(frozen=True)
class Policy:
    """One way a client SAP may associate; ``ciphered`` None accepts both contexts."""

    authentication: Authentication = Authentication.NONE
    password: bytes | None = None
    keys: Keys | None = None
    ciphered: bool | None = False


class MeterState(enum.Enum):
    IDLE = "no association"
    AWAIT_HLS = "await the client's HLS proof"
    ASSOCIATED = "associated"


M = MeterState
#: The meter's transition table: (state, input) → next state.
METER_TRANSITIONS: Final[dict[tuple[MeterState, str], MeterState]] = {
    (M.IDLE, "aarq accepted"): M.ASSOCIATED,
    (M.IDLE, "aarq hls"): M.AWAIT_HLS,
    (M.IDLE, "aarq rejected"): M.IDLE,
    (M.ASSOCIATED, "aarq accepted"): M.ASSOCIATED,
    (M.ASSOCIATED, "aarq hls"): M.AWAIT_HLS,
    (M.ASSOCIATED, "aarq rejected"): M.IDLE,
    (M.AWAIT_HLS, "hls ok"): M.ASSOCIATED,
    (M.AWAIT_HLS, "hls failed"): M.IDLE,
    (M.ASSOCIATED, "request"): M.ASSOCIATED,
    **{(state, "release"): M.IDLE for state in MeterState},
    **{(state, "link down"): M.IDLE for state in MeterState},
}


class MeterServer:
    """One meter's protocol state for one connection; see the module docstring."""

    def __init__(
        self,
        provider: CosemProvider,
        policies: Mapping[int, tuple[Policy, ...]],
        link: Link,
        *,
        system_title: bytes = b"SIM\x00\x00\x00\x00\x01",
        counter: FrameCounter | None = None,
        block_size: int = 480,
        challenge: Callable[[], bytes] | None = None,
        client_sap: Callable[[], int] | None = None,
    ) -> None:
        self.provider = provider
        self.policies = dict(policies)
        self.link = link
        self.system_title = system_title
        self.counter = counter or MemoryFrameCounter()
        self.block_size = block_size
        self._challenge = challenge or (lambda: os.urandom(16))
        self._client_sap = client_sap or (lambda: 16)
        self.state = MeterState.IDLE
        self.log: list[str] = []
        self.cipher: Cipherer | None = None
        self._stoc = b""
        self._ctos = b""
        self._client_title = b""
        self._policy = Policy()
        self._blocks: list[bytes] = []

    def _fire(self, kind: str) -> None:
        target = METER_TRANSITIONS.get((self.state, kind))
        if target is None:
            raise SessionError(f"meter: {kind!r} not allowed in state {self.state.value!r}")
        self.log.append(f"{self.state.value} --{kind}--> {target.value}")
        self.state = target

    def receive_data(self, data: bytes) -> bytes:
        """Feed received bytes; returns every byte the meter answers (possibly b"")."""
        for event in self.link.receive(data):
            if isinstance(event, ApduReceived):
                self._on_apdu(event.apdu)
            elif isinstance(event, Disconnected):
                self._fire("link down")
            elif isinstance(event, Connected):
                self.log.append("link up")
        return self.link.data_to_send()

    # -- dispatch

    def _answer(self, apdu: bytes) -> None:
        if self.cipher is not None and self._policy.ciphered:
            apdu = self.cipher.seal(apdu)
        self.link.send(apdu)

    def _on_apdu(self, data: bytes) -> None:
        try:
            if is_ciphered(data):
                if self.cipher is None or self.state is MeterState.IDLE:
                    raise SecurityError("ciphered APDU outside a ciphered association")
                data = self.cipher.open(data)
            apdu = decode_apdu(data)
        except SecurityError:
            self.link.send(ExceptionResponse(1, 5).to_bytes())  # deciphering-error
            return
        except DlmsError:
            self.link.send(ExceptionResponse(2, 2).to_bytes())  # service unknown
            return
        if isinstance(apdu, Aarq):
            self._on_aarq(apdu)
        elif isinstance(apdu, Rlrq):
            self._fire("release")
            self.link.send(Rlre(0).to_bytes())
        elif self.state is MeterState.AWAIT_HLS and isinstance(apdu, ActionRequest):
            self._on_hls(apdu)
        elif self.state is not MeterState.ASSOCIATED:
            self.link.send(ExceptionResponse(1, 1).to_bytes())  # service not allowed
        elif isinstance(apdu, GetRequest):
            self._answer(self._on_get(apdu).to_bytes())
        elif isinstance(apdu, SetRequest):
            self._answer(
                SetResponse(self.provider.set(apdu.item, apdu.value), apdu.invoke).to_bytes()
            )
        elif isinstance(apdu, ActionRequest):
            result, returned = self.provider.action(apdu.method, apdu.parameters)
            back = Result(returned) if returned is not None else None
            self._answer(ActionResponse(result, back, apdu.invoke).to_bytes())
        else:
            self.link.send(ExceptionResponse(2, 2).to_bytes())

    # -- association

    def _reject(self, diagnostic: int, context: int) -> None:
        self._fire("aarq rejected")
        self.link.send(
            Aare(b"\x0e\x01\x06\x02" if diagnostic == 2 else b"", 1, diagnostic, context).to_bytes()
        )

    def _on_aarq(self, aarq: Aarq) -> None:
        allowed = self.policies.get(self._client_sap(), ())
        if not allowed:
            self._reject(1, aarq.context)
            return
        policy = next((p for p in allowed if p.authentication.mechanism == aarq.mechanism), None)
        if policy is None:
            self._reject(11, aarq.context)
            return
        ciphered = aarq.context == Context.LN_CIPHERED
        if policy.ciphered is not None and policy.ciphered != ciphered:
            self._reject(2, aarq.context)
            return
        self._policy = Policy(policy.authentication, policy.password, policy.keys, ciphered)
        if policy.authentication is Authentication.LLS and (
            aarq.authentication_value != policy.password
        ):
            self._reject(13, aarq.context)
            return
        self.cipher = None
        if policy.keys is not None:
            self.cipher = Cipherer(policy.keys, self.system_title, self.counter)
            self.cipher.peer_title = aarq.calling_ap_title
        try:
            info = aarq.user_information
            if is_ciphered(info) and self.cipher is not None:
                info = self.cipher.open(info)
            request = InitiateRequest.from_bytes(info)
        except DlmsError:
            self._reject(1, aarq.context)
            return
        self._accept(aarq, request)

    def _accept(self, aarq: Aarq, request: InitiateRequest) -> None:
        policy = self._policy
        pdu = min(request.max_pdu, 1024)
        self.block_size = min(self.block_size, pdu - 16)
        initiate = InitiateResponse(request.conformance & SERVER_CONFORMANCE, pdu).to_bytes()
        if policy.ciphered and self.cipher is not None:
            initiate = self.cipher.seal(initiate)
        hls = policy.authentication is Authentication.HLS_GMAC
        self._ctos = aarq.authentication_value or b""
        self._client_title = aarq.calling_ap_title or b""
        self._stoc = self._challenge() if hls else b""
        self._fire("aarq hls" if hls else "aarq accepted")
        titled = hls or policy.ciphered
        self.link.send(
            Aare(
                initiate,
                0,
                14 if hls else 0,
                aarq.context,
                1,
                Mechanism.HLS_GMAC if hls else aarq.mechanism,
                self._stoc if hls else None,
                self.system_title if titled else None,
            ).to_bytes()
        )

    def _on_hls(self, request: ActionRequest) -> None:
        cipher = self.cipher
        method = request.method
        proof = request.parameters
        ok = (
            cipher is not None
            and method == MethodDescriptor(15, ASSOCIATION_OBIS, 1)
            and proof is not None
            and proof.tag.name == "OCTET_STRING"
            and verify_hls_gmac(cipher.keys, self._client_title, self._stoc, proof.as_bytes())
        )
        if not ok or cipher is None:
            self._fire("hls failed")
            self._answer(
                ActionResponse(DataAccessResult.OTHER_REASON, None, request.invoke).to_bytes()
            )
            return
        reply = hls_gmac_proof(cipher.keys, self.system_title, cipher.next_counter(), self._ctos)
        self._fire("hls ok")
        self._answer(ActionResponse(0, Result(Data.octets(reply)), request.invoke).to_bytes())

    # -- GET

    def _on_get(self, request: GetRequest) -> GetResponse:
        self._fire("request")
        if request.next_block is not None:
            return self._next_block(request)
        results = []
        for item, access in request.items:
            value = self.provider.get(item, access)
            results.append(Result(value) if isinstance(value, Data) else Result(None, value))
        if request.with_list:
            return GetResponse(tuple(results), request.invoke, with_list=True)
        result = results[0]
        if result.data is not None:
            raw = result.data.to_bytes()
            if len(raw) > self.block_size:
                size = self.block_size
                self._blocks = [raw[i : i + size] for i in range(0, len(raw), size)]
                return self._block(1, request.invoke)
        return GetResponse((result,), request.invoke)

    def _block(self, number: int, invoke: int) -> GetResponse:
        return GetResponse(
            (), invoke, number, number == len(self._blocks), self._blocks[number - 1]
        )

    def _next_block(self, request: GetRequest) -> GetResponse:
        number = (request.next_block or 0) + 1
        if not self._blocks or number > len(self._blocks):
            error = Result(None, DataAccessResult.NO_LONG_GET_IN_PROGRESS)
            return GetResponse((error,), request.invoke, request.next_block or 0)
        return self._block(number, request.invoke)

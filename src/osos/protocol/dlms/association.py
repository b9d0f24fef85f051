"""What an association needs and says: client settings, the AARQ a client sends for them,
and the ciphering of xDLMS APDUs inside a ciphered association (shared by the client and
the meter side).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Final

from .acse import Aarq, Context, Mechanism
from .errors import SecurityError
from .hdlc import HdlcParameters
from .initiate import InitiateRequest
from .security import (
    GENERAL_GLO,
    PLAIN_TAGS,
    CipheredApdu,
    FrameCounter,
    Keys,
)

#: The public client (no security) and the management client (LLS/HLS), as IDIS fixes them.
PUBLIC_CLIENT: Final = 16
MANAGEMENT_CLIENT: Final = 1
#: get, set, action, selective-access, block-transfer-with-get/set/action, multiple-references
CONFORMANCE: Final = 0x007E1F
SC_BOTH: Final = 0x30


class Authentication(enum.StrEnum):
    NONE = "none"
    LLS = "lls"
    HLS_GMAC = "hls-gmac"

    @property
    def mechanism(self) -> int | None:
        return {
            Authentication.NONE: None,
            Authentication.LLS: Mechanism.LLS,
            Authentication.HLS_GMAC: Mechanism.HLS_GMAC,
        }[self]


@dataclass(frozen=True)
class ClientSettings:
    """How osos associates with one meter (the registry row holds these, see docs/dlms.md).

    ``ciphered``: use the LN-with-ciphering context, every xDLMS APDU glo-ciphered with
    ``keys`` (defaults to True when keys are given). ``deviation``: the meter's UTC offset in
    COSEM form (UTC = local + deviation; Turkey -180) for date-times that do not carry one.
    """

    client_sap: int = PUBLIC_CLIENT
    server_logical: int = 1
    server_physical: int | None = None
    authentication: Authentication = Authentication.NONE
    password: bytes | None = None
    keys: Keys | None = None
    system_title: bytes = b"OSOS\x00\x00\x00\x01"
    ciphered: bool | None = None
    conformance: int = CONFORMANCE
    max_pdu: int = 0xFFFF
    hdlc: HdlcParameters = field(default_factory=HdlcParameters)
    deviation: int = -180

    def __post_init__(self) -> None:
        if self.authentication is Authentication.LLS and not self.password:
            raise SecurityError("low-level security needs a password")
        if self.authentication is Authentication.HLS_GMAC and self.keys is None:
            raise SecurityError("HLS-GMAC needs the encryption and authentication keys")
        if self.use_ciphering and self.keys is None:
            raise SecurityError("a ciphered association needs the keys")
        if len(self.system_title) != 8:
            raise SecurityError("the client system title is 8 bytes")

    @property
    def use_ciphering(self) -> bool:
        return self.keys is not None if self.ciphered is None else self.ciphered

    def aarq(self, challenge: bytes, cipher: Cipherer | None) -> Aarq:
        """The AARQ for these settings; ``challenge`` is CtoS for HLS (unused otherwise)."""
        initiate = InitiateRequest(self.conformance, self.max_pdu).to_bytes()
        if cipher is not None:
            initiate = cipher.seal(initiate)
        auth = self.authentication
        value = (
            self.password
            if auth is Authentication.LLS
            else (challenge if auth is Authentication.HLS_GMAC else None)
        )
        titled = cipher is not None or auth is Authentication.HLS_GMAC
        return Aarq(
            initiate,
            Context.LN_CIPHERED if cipher is not None else Context.LN,
            auth.mechanism,
            value,
            self.system_title if titled else None,
        )


class Cipherer:
    """Seals what we send (our title, our counter) and opens what the peer sends, refusing
    a peer invocation counter that does not grow."""

    def __init__(self, keys: Keys, own_title: bytes, counter: FrameCounter) -> None:
        self.keys = keys
        self.own_title = own_title
        self.counter = counter
        self.peer_title: bytes | None = None
        self.peer_counter = -1
        self.last_sent: int | None = None

    def next_counter(self) -> int:
        self.last_sent = self.counter.next_value()
        return self.last_sent

    def seal(self, plain: bytes) -> bytes:
        return CipheredApdu.seal(
            plain, SC_BOTH, self.own_title, self.next_counter(), self.keys
        ).to_bytes()

    def open(self, data: bytes) -> bytes:
        apdu = CipheredApdu.from_bytes(data)
        if apdu.invocation_counter <= self.peer_counter:
            raise SecurityError(
                f"peer invocation counter {apdu.invocation_counter} does not grow "
                f"(last {self.peer_counter}): replay refused"
            )
        plain = apdu.open(self.keys, self.peer_title)
        self.peer_counter = apdu.invocation_counter
        return plain


def is_ciphered(data: bytes) -> bool:
    return bool(data) and (data[0] in PLAIN_TAGS or data[0] == GENERAL_GLO)

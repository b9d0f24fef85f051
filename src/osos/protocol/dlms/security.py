"""Security suite 0 (AES-GCM-128, Green Book 9.2.7): ciphered APDUs, HLS-GMAC proofs, the
invocation counter.

IV = system title (8) || invocation counter (4); additional data = security control byte ||
authentication key (|| the plain text when only authenticated); tag 12 bytes. The
security-control byte: 0x10 authenticated, 0x20 encrypted, 0x30 both; the low nibble is the
suite (1 uses the same AES-GCM-128 for the APDUs, so it opens here too).
The invocation counter must never repeat for a key: the caller persists it through a
:class:`FrameCounter` (the head-end keeps one per meter in the database).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final, Protocol

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import SecurityError
from .wire import Reader, encode_length, hexs

TAG_LENGTH: Final = 12
AUTHENTICATED: Final = 0x10
ENCRYPTED: Final = 0x20
#: Plain APDU tag → its glo-ciphered tag (global unicast key).
GLO_TAGS: Final = {
    0x01: 0x21,  # InitiateRequest
    0x08: 0x28,  # InitiateResponse
    0xC0: 0xC8,  # GET.request
    0xC1: 0xC9,  # SET.request
    0xC2: 0xCA,  # EventNotification.request (unsolicited, from a meter: a push's glo tag)
    0xC3: 0xCB,  # ACTION.request
    0xC4: 0xCC,  # GET.response
    0xC5: 0xCD,  # SET.response
    0xC7: 0xCF,  # ACTION.response
    0x0E: 0x2E,  # confirmedServiceError
}
PLAIN_TAGS: Final = {glo: plain for plain, glo in GLO_TAGS.items()}
GENERAL_GLO: Final = 0xDB


class FrameCounter(Protocol):
    """Where the invocation counter of one client key lives. ``next_value`` returns the
    counter for the next ciphered APDU and must have stored that it was used (so a restart
    never sends it again); the head-end implements it with the database."""

    def next_value(self) -> int: ...


class MemoryFrameCounter:
    """A counter in memory (tests, the simulator, one-off reads)."""

    def __init__(self, start: int = 0) -> None:
        self.value = start

    def next_value(self) -> int:
        if self.value >= 0xFFFFFFFF:
            raise SecurityError("invocation counter exhausted: change the keys")
        self.value += 1
        return self.value


@dataclass(frozen=True)
class Keys:
    encryption: bytes
    authentication: bytes

    def __post_init__(self) -> None:
        if len(self.encryption) != 16 or len(self.authentication) != 16:
            raise SecurityError("AES-128 keys are 16 bytes (32 hex digits)")

    def __repr__(self) -> str:
        return "Keys(…)"  # never print key material


def _check_sc(sc: int) -> None:
    if sc & 0x0F not in (0, 1) or not sc & (AUTHENTICATED | ENCRYPTED) or sc & 0xC0:
        raise SecurityError(f"security control 0x{sc:02X}: only AES-GCM-128 (suite 0/1) here")


def protect(sc: int, system_title: bytes, counter: int, keys: Keys, plain: bytes) -> bytes:
    """The ciphered payload after SC || IC: cipher text and/or tag as ``sc`` asks."""
    _check_sc(sc)
    iv = _iv(system_title, counter)
    if sc & ENCRYPTED:
        aad = bytes((sc,)) + keys.authentication
        sealed = AESGCM(keys.encryption).encrypt(iv, plain, aad if sc & AUTHENTICATED else None)
        body = sealed[: len(plain)]
        return body + sealed[len(plain) : len(plain) + TAG_LENGTH] if sc & AUTHENTICATED else body
    return plain + gmac(keys, iv, bytes((sc,)) + keys.authentication + plain)


def unprotect(sc: int, system_title: bytes, counter: int, keys: Keys, payload: bytes) -> bytes:
    """The plain text; SecurityError when the tag does not verify."""
    _check_sc(sc)
    iv = _iv(system_title, counter)
    tag = b""
    if sc & AUTHENTICATED:
        if len(payload) < TAG_LENGTH:
            raise SecurityError(f"ciphered APDU shorter than its {TAG_LENGTH}-byte tag")
        payload, tag = payload[:-TAG_LENGTH], payload[-TAG_LENGTH:]
    plain = _ctr(keys.encryption, iv, payload) if sc & ENCRYPTED else payload
    if sc & AUTHENTICATED and not hmac.compare_digest(
        protect(sc, system_title, counter, keys, plain)[-TAG_LENGTH:], tag
    ):
        raise SecurityError(
            f"authentication tag does not verify (system title {system_title.hex()}, "
            f"IC {counter}): wrong keys or a corrupted APDU"
        )
    return plain


def gmac(keys: Keys, iv: bytes, data: bytes) -> bytes:
    return AESGCM(keys.encryption).encrypt(iv, b"", data)[:TAG_LENGTH]


def hls_gmac_proof(keys: Keys, system_title: bytes, counter: int, challenge: bytes) -> bytes:
    """f(challenge) of HLS mechanism 5: SC 0x10 || IC || GMAC(SC || AK || challenge)."""
    iv = _iv(system_title, counter)
    tag = gmac(keys, iv, bytes((AUTHENTICATED,)) + keys.authentication + challenge)
    return bytes((AUTHENTICATED,)) + counter.to_bytes(4, "big") + tag


def verify_hls_gmac(keys: Keys, system_title: bytes, challenge: bytes, proof: bytes) -> bool:
    if len(proof) != 5 + TAG_LENGTH or proof[0] != AUTHENTICATED:
        return False
    counter = int.from_bytes(proof[1:5], "big")
    return hmac.compare_digest(hls_gmac_proof(keys, system_title, counter, challenge), proof)


def _iv(system_title: bytes, counter: int) -> bytes:
    if len(system_title) != 8:
        raise SecurityError(f"a system title is 8 bytes, got {len(system_title)}")
    if not 0 <= counter <= 0xFFFFFFFF:
        raise SecurityError(f"invocation counter {counter} out of range")
    return system_title + counter.to_bytes(4, "big")


def _ctr(key: bytes, iv: bytes, data: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CTR(iv + b"\x00\x00\x00\x02")).decryptor()
    return decryptor.update(data) + decryptor.finalize()


# ---------------------------------------------------------------- ciphered APDU containers


@dataclass(frozen=True)
class CipheredApdu:
    """A glo-ciphered APDU (``tag`` one of GLO_TAGS' values) or a general-glo-ciphering one
    (``tag`` 0xDB, with the sender's ``system_title``)."""

    tag: int
    security_control: int
    invocation_counter: int
    payload: bytes
    system_title: bytes | None = None

    def to_bytes(self) -> bytes:
        inner = (
            bytes((self.security_control,))
            + self.invocation_counter.to_bytes(4, "big")
            + self.payload
        )
        head = bytes((self.tag,))
        if self.tag == GENERAL_GLO:
            title = self.system_title or b""
            head += encode_length(len(title)) + title
        return head + encode_length(len(inner)) + inner

    @classmethod
    def from_bytes(cls, data: bytes) -> CipheredApdu:
        r = Reader(data, "ciphered APDU")
        tag = r.u8("a ciphered APDU tag")
        if tag not in PLAIN_TAGS and tag != GENERAL_GLO:
            raise r.fail(f"a glo-ciphered or general-glo-ciphering tag, got 0x{tag:02X}", 0)
        title = (
            r.take(r.length("the system-title length"), "system title")
            if (tag == GENERAL_GLO)
            else None
        )
        inner = r.take(r.length("the ciphered content length"), "ciphered content")
        r.done()
        if len(inner) < 5:
            raise r.fail("a security control byte and a 4-byte invocation counter")
        return cls(tag, inner[0], int.from_bytes(inner[1:5], "big"), inner[5:], title)

    def open(self, keys: Keys, system_title: bytes | None = None) -> bytes:
        """The plain APDU; ``system_title`` is the sender's (taken from the APDU when it has
        one)."""
        title = self.system_title or system_title
        if title is None:
            raise SecurityError("the sender's system title is not known (no AARE/AP title)")
        return unprotect(self.security_control, title, self.invocation_counter, keys, self.payload)

    @classmethod
    def seal(
        cls,
        plain: bytes,
        sc: int,
        system_title: bytes,
        counter: int,
        keys: Keys,
        general: bool = False,
    ) -> CipheredApdu:
        """Cipher ``plain``: glo-ciphered under its tag's glo tag, or general-glo."""
        tag = GENERAL_GLO if general else GLO_TAGS.get(plain[0] if plain else -1)
        if tag is None:
            raise SecurityError(f"APDU 0x{plain[:1].hex()} has no glo-ciphered form")
        payload = protect(sc, system_title, counter, keys, plain)
        return cls(tag, sc, counter, payload, system_title if general else None)

    def __repr__(self) -> str:
        title = f" title {self.system_title.hex()}" if self.system_title else ""
        return (
            f"CipheredApdu(0x{self.tag:02X}{title} SC 0x{self.security_control:02X} "
            f"IC {self.invocation_counter} {len(self.payload)} B {hexs(self.payload[:8])}…)"
        )

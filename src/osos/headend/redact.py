"""Meter passwords out of what the head-end keeps: the comm log's transcript and a DLMS
session's raw frames carry the password the call sent (IEC 62056-21 ``P1(…)``, a DLMS AARQ's
LLS calling-authentication-value). Each is overwritten with ``*`` of the same length, so the
frames keep their shape (their checksums then fail, which says they were edited)."""

from __future__ import annotations


def redact(data: bytes, password: str | None) -> bytes:
    """``data`` with every framed occurrence of ``password`` starred out."""
    if not password or not data:
        return data
    secret = password.encode("latin-1", "replace")
    stars = b"*" * len(secret)
    framed = [(b"(" + secret + b")", b"(" + stars + b")")]
    if len(secret) < 0x80:  # the AARQ's [0] octet string: tag 0x80, one length byte
        framed.append(
            (b"\x80" + bytes((len(secret),)) + secret, b"\x80" + bytes((len(secret),)) + stars)
        )
    for needle, mask in framed:
        data = data.replace(needle, mask)
    return data

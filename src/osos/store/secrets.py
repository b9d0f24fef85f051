"""Meter secrets at rest: passwords, DLMS keys. Sealed with AES-GCM before they reach a table,
opened only by the code that talks to the meter.

The key comes from the settings (``OSOS_METER_KEY``, else derived from ``OSOS_SECRET_KEY``)
through the runtime, which puts a :class:`MeterSecrets` into every session it makes
(``Session.info``), like its clock. A flush seals every plain secret an object carries, so
no write path (registry import, a test, a script) can store one in clear. A sealed value is
``sealed:v1:`` + base64url(nonce ‖ ciphertext ‖ tag); the meter's id is the associated
data (the serial),
so a sealed value copied onto another meter does not open. Values written before
sealing existed (plain text) are read as they are until :func:`seal_stored` seals them
(``osos db upgrade`` runs it).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Iterator
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from osos.errors import ConfigError, DataRejected

SECRETS_KEY: Final = "osos.meter_secrets"
"""Where a session (``Session.info``) keeps the runtime's :class:`MeterSecrets`."""
PREFIX: Final = "sealed:v1:"
#: Meter columns that hold secrets (all text; sealed on flush).
SECRET_COLUMNS: Final = ("password", "dlms_encryption_key", "dlms_authentication_key")


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


class MeterSecrets:
    """Seal and open meter secrets with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigError("the meter key is 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_text(cls, secret: str) -> MeterSecrets:
        """A key from settings text (any length ≥ 1): HKDF-SHA256, its own context label."""
        if not secret:
            raise ConfigError("no key for meter secrets (OSOS_METER_KEY or OSOS_SECRET_KEY)")
        derive = HKDF(hashes.SHA256(), 32, salt=None, info=b"osos meter secrets v1")
        return cls(derive.derive(secret.encode("utf-8")))

    def __repr__(self) -> str:
        return "MeterSecrets(***)"

    def seal(self, plain: str, serial: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plain.encode("utf-8"), _aad(serial))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, value: str | None, serial: str) -> str | None:
        """The plain secret (None stays None; a legacy plain value is returned as is)."""
        if value is None or not is_sealed(value):
            return value
        try:
            raw = base64.urlsafe_b64decode(value.removeprefix(PREFIX))
            return self._aead.decrypt(raw[:12], raw[12:], _aad(serial)).decode("utf-8")
        except (InvalidTag, ValueError) as exc:
            raise DataRejected(
                f"meter {serial}: a stored secret does not open with this key "
                "(OSOS_METER_KEY / OSOS_SECRET_KEY changed?)"
            ) from exc


def _aad(serial: str) -> bytes:
    return f"meter:{serial}".encode()


def secrets_of(session: Session) -> MeterSecrets:
    found = session.info.get(SECRETS_KEY)
    if not isinstance(found, MeterSecrets):
        raise ConfigError("this database session has no meter key (make it through the runtime)")
    return found


def _plain_secrets(objects: Iterable[Any]) -> Iterator[tuple[Any, str]]:
    for obj in objects:
        if getattr(obj, "__tablename__", None) != "meters":
            continue
        for column in SECRET_COLUMNS:
            value = getattr(obj, column, None)
            if value is not None and not is_sealed(value):
                yield obj, column


@event.listens_for(Session, "before_flush")
def _seal_on_flush(session: Session, _context: object, _instances: object) -> None:
    pending = list(_plain_secrets([*session.new, *session.dirty]))
    if not pending:
        return
    secrets = secrets_of(session)
    for obj, column in pending:
        setattr(obj, column, secrets.seal(getattr(obj, column), obj.serial))


def seal_stored(session: Session) -> int:
    """Seal every meter secret still stored in clear; returns how many were sealed."""
    from osos.store.models.core import Meter  # the models import this module's events

    count = 0
    secrets = secrets_of(session)
    for meter in session.scalars(select(Meter)):
        for column in SECRET_COLUMNS:
            value = getattr(meter, column)
            if value is not None and not is_sealed(value):
                setattr(meter, column, secrets.seal(value, meter.serial))
                count += 1
    session.flush()
    return count

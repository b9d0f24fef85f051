"""Meter secrets at rest: sealed on every flush (AES-GCM, the serial as associated data),
opened only with the runtime's key; values stored in clear before are sealed by the upgrade;
the registry's DLMS columns are validated without echoing a key, and re-importing the same
file changes nothing although sealing never gives the same bytes twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from osos.errors import DataRejected
from osos.registry.importer import import_registry
from osos.registry.rows import parse_row
from osos.runtime import Runtime
from osos.store import db
from osos.store.secrets import MeterSecrets, is_sealed

EK = "000102030405060708090a0b0c0d0e0f"


def _stored(runtime: Runtime, serial: str) -> tuple[str | None, str | None]:
    with runtime.engine.connect() as connection:
        row = connection.execute(
            text("select password, dlms_encryption_key from meters where serial = :s"),
            {"s": serial},
        ).one()
    return row[0], row[1]


def _registry(tmp_path: Path, password: str, key: str) -> Path:
    path = tmp_path / "registry.csv"
    path.write_text(
        "service_point_no;meter_serial;flag;ct_ratio;vt_ratio;installed_at;protocol;"
        "meter_password;dlms_authentication;dlms_encryption_key;dlms_authentication_key\n"
        f"SP1;D1;MSY;1;1;2025-01-01T00:00;dlms;{password};hls-gmac;{key};{key}\n",
        encoding="utf-8",
    )
    return path


def test_imported_secrets_are_sealed_and_reimport_changes_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    path = _registry(tmp_path, "Gizli-1234", EK)
    with db.transaction(runtime.sessions) as session:
        import_registry(session, path)
    password, key = _stored(runtime, "D1")
    assert is_sealed(password) and is_sealed(key) and EK not in str(key)
    secrets = runtime.meter_secrets
    assert secrets.open(password, "D1") == "Gizli-1234" and secrets.open(key, "D1") == EK
    with pytest.raises(DataRejected):
        secrets.open(password, "D2")  # a sealed value copied onto another meter does not open
    with pytest.raises(DataRejected):
        MeterSecrets.from_text("another key").open(password, "D1")
    with db.transaction(runtime.sessions) as session:
        again = import_registry(session, path)
    assert again.meters_updated == 0 and _stored(runtime, "D1") == (password, key)


def test_the_upgrade_seals_what_was_stored_in_clear(runtime: Runtime, tmp_path: Path) -> None:
    with db.transaction(runtime.sessions) as session:
        import_registry(session, _registry(tmp_path, "x", EK))
    with runtime.engine.begin() as connection:  # as before migration 0007: plain text
        connection.execute(
            text("update meters set password = 'Eski-Sifre', dlms_encryption_key = :k"), {"k": EK}
        )
    assert runtime.upgrade() == 2
    password, key = _stored(runtime, "D1")
    assert is_sealed(password) and runtime.meter_secrets.open(password, "D1") == "Eski-Sifre"
    assert runtime.meter_secrets.open(key, "D1") == EK
    assert runtime.upgrade() == 0


def test_dlms_columns_are_validated_without_echoing_a_key() -> None:
    cells = {
        "service_point_no": "SP1",
        "meter_serial": "D1",
        "flag": "MSY",
        "ct_ratio": "1",
        "vt_ratio": "1",
        "installed_at": "2025-01-01T00:00",
        "protocol": "hdlc",
        "dlms_client_sap": "1",
        "dlms_server_physical": "17",
        "dlms_authentication": "HLS-GMAC",
        "dlms_encryption_key": "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F",
    }
    row, errors = parse_row(2, cells)
    assert row is None
    assert errors == ["row 2, column dlms_authentication_key: required for hls-gmac"]
    row, errors = parse_row(2, {**cells, "dlms_authentication_key": EK})
    assert row is not None and errors == []
    assert row.meter["protocol"].value == "dlms-hdlc" and row.meter["dlms_encryption_key"] == EK
    assert row.meter["dlms_authentication"] == "hls-gmac" and row.meter["dlms_client_sap"] == 1
    secret = "ffffffffffffffffffffffffffffffffXX"
    _row, errors = parse_row(
        2, {**cells, "dlms_authentication_key": secret, "dlms_client_sap": "200"}
    )
    assert any("dlms_authentication_key: 32 hex digits expected" in e for e in errors)
    assert any("dlms_client_sap" in e for e in errors)
    assert not any(secret in e for e in errors)

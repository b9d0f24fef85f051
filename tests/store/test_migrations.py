"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import hashlib

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from osos.store import db
from osos.store.models import Base, Meter


def _diff(url: str) -> list[object]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_head_matches_models(db_url: str) -> None:
    assert db.current_revision(db_url) is not None
    assert _diff(db_url) == []


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    tables = _tables(db_url)
    assert {"service_points", "meters", "installations", "profile_intervals"} <= tables
    db.downgrade(db_url, "base")
    assert _tables(db_url) == set()
    assert db.current_revision(db_url) is None
    db.upgrade(db_url)
    assert _tables(db_url) == tables
    assert _diff(db_url) == []


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_0018_moves_the_raw_bytes_out_of_readouts_and_back(db_url: str) -> None:
    """Readouts stored at 0017 keep their exact bytes in readout_raw, under the local month of
    their read (21:30 UTC on 31 January is February in Istanbul); downgrade puts them back."""
    raws = {1: bytes(range(256)) * 3, 2: b"/MSY5\r\n\x021.8.0(1*kWh)\r\n!\r\n\x03\x00"}
    engine = db.make_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            session.add(Meter(id=1, serial="M1", flag="XYZ"))
        db.downgrade(db_url, "0017")
        zone = "" if engine.dialect.name == "sqlite" else "+00:00"  # as UTCDateTime stores it
        with engine.begin() as connection:
            for i, at in ((1, "2026-01-31 21:30:00"), (2, "2026-01-31 20:30:00")):
                connection.execute(
                    text(
                        "INSERT INTO readouts (id, meter_id, read_at, kind, source, raw, "
                        "raw_sha256) VALUES (:i, 1, :at, 'readout', 'ingest', :raw, :d)"
                    ),
                    {
                        "i": i,
                        "at": at + zone,
                        "raw": raws[i],
                        "d": hashlib.sha256(raws[i]).hexdigest(),
                    },
                )
        db.upgrade(db_url)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT readout_id, raw, sha256, month FROM readout_raw ORDER BY readout_id")
            ).all()
        assert [(i, bytes(r), d, m) for i, r, d, m in rows] == [
            (1, raws[1], _sha(raws[1]), "2026-02"),
            (2, raws[2], _sha(raws[2]), "2026-01"),
        ]
        assert "raw" not in {c["name"] for c in inspect(engine).get_columns("readouts")}
        db.downgrade(db_url, "0017")
        with engine.connect() as connection:
            back = connection.execute(text("SELECT id, raw FROM readouts ORDER BY id")).all()
        assert [(i, bytes(r)) for i, r in back] == [(1, raws[1]), (2, raws[2])]
    finally:
        engine.dispose()

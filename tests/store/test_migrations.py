"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from osos.store import db
from osos.store.models import Base


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

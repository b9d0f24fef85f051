"""osos db backup / restore: a round trip gives back every table, row for row, on both."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select, text
from typer.testing import CliRunner

from osos.cli import app
from osos.domain import ReadSource
from osos.readings import IntervalRecord, ReadValue
from osos.runtime import Runtime
from osos.store import db
from osos.store.ingest import store_readout
from osos.store.intervals import store_profile
from tests import factories as f

AT = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def _tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            return {
                name: sorted(map(tuple, connection.execute(select(table))), key=repr)
                for name, table in meta.tables.items()
            }
    finally:
        engine.dispose()


def test_a_backup_restores_every_table(runtime: Runtime, tmp_path: Path) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = f.service_point(s, "B1", title="Yedek Sanayi A.Ş.")
        meter = f.meter_id(s, sp)
        stored = store_readout(
            s, meter_id=meter, read_at=AT, raw=b"\x02raw bytes\x03", source=ReadSource.HEADEND,
            values=[ReadValue(address="1.8.0", value="12.345", number=Decimal("12.345"))],
        )  # fmt: skip
        store_profile(
            s,
            meter_id=meter,
            records=[IntervalRecord(AT, {"1.8.0": Decimal("12.345")})],
            readout_id=stored.readout_id,
        )
    before = _tables(runtime.settings.database.url)
    file = tmp_path / "osos.backup"
    runner = CliRunner()
    done = runner.invoke(app, ["db", "backup", str(file)])
    assert done.exit_code == 0, done.output
    assert file.stat().st_size > 0
    with db.transaction(runtime.sessions) as s:  # what happens after the backup is undone
        s.execute(text("DELETE FROM profile_intervals"))
        f.service_point(s, "AFTER")
    assert _tables(runtime.settings.database.url) != before
    runtime.engine.dispose()
    restored = runner.invoke(app, ["db", "restore", str(file), "--yes"])
    assert restored.exit_code == 0, restored.output
    after = _tables(runtime.settings.database.url)
    assert after == before and after["readouts"] and after["alembic_version"]


def test_restore_refuses_a_missing_file(runtime: Runtime, tmp_path: Path) -> None:
    out = CliRunner().invoke(app, ["db", "restore", str(tmp_path / "nope"), "--yes"])
    assert out.exit_code == 1 and "no such backup file" in out.output

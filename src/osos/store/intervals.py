"""Load-profile intervals into the store, idempotently on (meter, end).

An interval already stored is never silently changed: an identical re-read changes nothing, a
differing one is kept in ``profile_conflicts``, an estimate is replaced by an actual read with
its old version kept in ``profile_interval_history``. Nothing here commits: the caller's
transaction holds the readout and the rows it produced together.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from osos.channels import BY_OBIS, CHANNELS, to_milli
from osos.domain import DataSource
from osos.obis import normalize_obis
from osos.readings import IntervalRecord, aware_utc
from osos.store.db import now
from osos.store.models import (
    ProfileConflict,
    ProfileIntervalHistory,
    profile_intervals,
)
from osos.timeutil import UTC

CHANNEL_COLUMNS: tuple[str, ...] = tuple(c.column for c in CHANNELS)
# What makes two reads of one interval "the same": every value column, extra channels, status.
_COMPARED: tuple[str, ...] = (*CHANNEL_COLUMNS, "extra", "status")


@dataclass(frozen=True)
class ProfileIngestResult:
    inserted: int = 0
    unchanged: int = 0
    conflicts: int = 0
    replaced_estimates: int = 0

    def __add__(self, other: ProfileIngestResult) -> ProfileIngestResult:
        return ProfileIngestResult(
            self.inserted + other.inserted,
            self.unchanged + other.unchanged,
            self.conflicts + other.conflicts,
            self.replaced_estimates + other.replaced_estimates,
        )


@functools.lru_cache(maxsize=4096)
def _target(obis: str) -> tuple[str, str | None]:
    """A channel name as the meter wrote it → (normalised OBIS, typed column or None)."""
    code = normalize_obis(obis)
    channel = BY_OBIS.get(code)
    return code, channel.column if channel is not None else None


def interval_row(
    meter_id: int,
    record: IntervalRecord,
    *,
    source: DataSource = DataSource.ACTUAL,
    readout_id: int | None = None,
    version: int = 1,
) -> dict[str, Any]:
    """The ``profile_intervals`` row of a record: typed channels in milli-units, others in JSON."""
    row: dict[str, Any] = dict.fromkeys(CHANNEL_COLUMNS)
    extra: dict[str, str] = {}
    for obis, value in record.values.items():
        code, column = _target(obis)
        if column is None:
            extra[code] = format(value, "f")
        else:
            row[column] = to_milli(value)
    row.update(
        meter_id=meter_id,
        end_at=record.end_at,
        extra=json.dumps(extra, sort_keys=True) if extra else None,
        status=record.status,
        source=source.value,
        version=version,
        readout_id=readout_id,
    )
    return row


def _values_json(row: Mapping[str, Any]) -> str:
    """A row's values as the JSON the history and conflict tables keep."""
    values: dict[str, Any] = {c: row.get(c) for c in CHANNEL_COLUMNS if row.get(c) is not None}
    if row.get("extra"):
        values["extra"] = json.loads(row["extra"])
    values["status"] = row.get("status")
    return json.dumps(values, sort_keys=True)


def _same(stored: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return all(stored.get(c) == new.get(c) for c in _COMPARED)


def _dedupe(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """One row per end time (the first the meter sent); later repeats are counted, not stored."""
    seen: dict[dt.datetime, dict[str, Any]] = {}
    repeats = 0
    for row in rows:
        if row["end_at"] in seen:
            repeats += 1
        else:
            seen[row["end_at"]] = row
    return list(seen.values()), repeats


def store_profile(
    session: Session,
    *,
    meter_id: int,
    records: Iterable[IntervalRecord],
    readout_id: int | None,
    source: DataSource = DataSource.ACTUAL,
    actor: str = "headend",
) -> ProfileIngestResult:
    """Store intervals idempotently on (meter, end); see the module text for the rules."""
    rows, repeats = _dedupe(
        [interval_row(meter_id, r, source=source, readout_id=readout_id) for r in records]
    )
    if not rows:
        return ProfileIngestResult(unchanged=repeats)
    if session.get_bind().dialect.name == "postgresql":
        inserted, differing = _insert_postgresql(session, rows)
    else:
        inserted, differing = _insert_sqlite(session, meter_id, rows)
    by_end = {row["end_at"]: row for row in rows}
    conflicts = replaced = 0
    for stored in differing:
        new = by_end[stored["end_at"]]
        if stored["source"] == DataSource.ESTIMATED.value and source is DataSource.ACTUAL:
            _replace_estimate(session, stored, new, actor=actor)
            replaced += 1
        elif not _same(stored, new):
            _record_conflict(session, new)
            conflicts += 1
    unchanged = len(rows) - inserted - conflicts - replaced + repeats
    return ProfileIngestResult(inserted, unchanged, conflicts, replaced)


def _existing_rows(session: Session, meter_id: int, ends: Sequence[dt.datetime]) -> list[Any]:
    table = profile_intervals
    return list(
        session.execute(
            select(table).where(
                table.c.meter_id == meter_id,
                table.c.end_at >= min(ends),
                table.c.end_at <= max(ends),
            )
        ).mappings()
    )


def _insert_sqlite(
    session: Session, meter_id: int, rows: Sequence[dict[str, Any]]
) -> tuple[int, list[dict[str, Any]]]:
    """SQLite: one range read of what is stored, then ``executemany`` of the new rows."""
    wanted = {row["end_at"]: row for row in rows}
    stored = [
        dict(r) for r in _existing_rows(session, meter_id, list(wanted)) if r["end_at"] in wanted
    ]
    stored_ends = {r["end_at"] for r in stored}
    differing = [
        r
        for r in stored
        if r["source"] == DataSource.ESTIMATED.value or not _same(r, wanted[r["end_at"]])
    ]
    new = [row for end, row in wanted.items() if end not in stored_ends]
    if new:
        statement = sqlite_insert(profile_intervals).on_conflict_do_nothing()
        session.execute(statement, new)
    return len(new), differing


_STAGE = "osos_profile_stage"
_STAGE_COLUMNS: tuple[str, ...] = (
    "meter_id",
    "end_at",
    *CHANNEL_COLUMNS,
    "extra",
    "status",
    "source",
    "version",
    "readout_id",
)


def _insert_postgresql(
    session: Session, rows: Sequence[dict[str, Any]]
) -> tuple[int, list[dict[str, Any]]]:
    """PostgreSQL: COPY into a temporary staging table, read the stored rows that differ (or are
    estimates), then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``."""
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} "
            "(LIKE profile_intervals INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
    )
    session.execute(text(f"TRUNCATE {_STAGE}"))
    columns = ", ".join(_STAGE_COLUMNS)
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    with cursor, cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row([row[c] for c in _STAGE_COLUMNS])
    differs = " OR ".join(f"p.{c} IS DISTINCT FROM s.{c}" for c in _COMPARED)
    stored_columns = ", ".join(f"p.{c}" for c in _STAGE_COLUMNS)
    differing = [
        dict(r)
        for r in session.execute(
            text(
                f"SELECT {stored_columns} FROM profile_intervals p JOIN {_STAGE} s "
                "ON p.meter_id = s.meter_id AND p.end_at = s.end_at "
                f"WHERE p.source = :estimated OR {differs}"
            ),
            {"estimated": DataSource.ESTIMATED.value},
        ).mappings()
    ]
    for row in differing:
        row["end_at"] = aware_utc(row["end_at"], "end_at")
    result = session.execute(
        text(
            f"INSERT INTO profile_intervals ({columns}) SELECT {columns} FROM {_STAGE} "
            "ON CONFLICT DO NOTHING"
        )
    )
    return int(result.rowcount or 0), differing  # type: ignore[attr-defined]


def _replace_estimate(
    session: Session, stored: Mapping[str, Any], new: Mapping[str, Any], *, actor: str
) -> None:
    """An actual read replaces an estimate: the estimate goes to history, version + 1."""
    session.add(
        ProfileIntervalHistory(
            meter_id=stored["meter_id"],
            end_at=stored["end_at"],
            version=stored["version"],
            source=DataSource(stored["source"]),
            values=_values_json(stored),
            readout_id=stored["readout_id"],
            superseded_at=now(session),
            superseded_by=actor,
            reason="estimate replaced by an actual read",
        )
    )
    table = profile_intervals
    values = {c: new[c] for c in _COMPARED}
    session.execute(
        update(table)
        .where(
            and_(
                table.c.meter_id == stored["meter_id"],
                table.c.end_at == stored["end_at"],
                table.c.version == stored["version"],
            )
        )
        .values(
            **values,
            source=DataSource.ACTUAL.value,
            version=stored["version"] + 1,
            readout_id=new["readout_id"],
        )
    )


def _record_conflict(session: Session, new: Mapping[str, Any]) -> None:
    """Keep a differing re-read for the operator; the same readout is recorded once."""
    values = {
        "meter_id": new["meter_id"],
        "end_at": new["end_at"],
        "readout_id": new["readout_id"],
        "values": _values_json(new),
        "detected_at": now(session),
    }
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(ProfileConflict).values(**values).on_conflict_do_nothing())
        return
    if new["readout_id"] is not None:
        session.execute(sqlite_insert(ProfileConflict).values(**values).on_conflict_do_nothing())
        return
    # NULL readout ids never collide in a unique index: check by hand.
    exists = session.execute(
        select(func.count())
        .select_from(ProfileConflict)
        .where(
            ProfileConflict.meter_id == new["meter_id"],
            ProfileConflict.end_at == new["end_at"],
            ProfileConflict.readout_id.is_(None),
            ProfileConflict.values == values["values"],
        )
    ).scalar_one()
    if not exists:
        session.execute(insert(ProfileConflict).values(**values))


def last_profile_end(
    session: Session, meter_id: int, *, until: dt.datetime | None = None
) -> dt.datetime | None:
    """The newest stored actual interval end of a meter (at or before ``until``): where the
    next profile read starts. ``until`` keeps intervals a fast meter clock stamped in the
    future from hiding the gap before them."""
    table = profile_intervals
    conditions = [table.c.meter_id == meter_id, table.c.source != DataSource.ESTIMATED.value]
    if until is not None:
        conditions.append(table.c.end_at <= until)
    value = session.execute(
        select(func.max(table.c.end_at)).where(*conditions)
    ).scalar_one_or_none()
    if value is None:
        return None
    if isinstance(value, str):  # SQLite aggregates lose the column type
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

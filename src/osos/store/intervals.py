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

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from osos.channels import BY_OBIS, CHANNELS, to_milli
from osos.domain import DataSource
from osos.obis import normalize_obis
from osos.readings import IntervalRecord
from osos.store.bulk import ROW_COLUMNS, Row, insert_rows, row_dict
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


_CHANNEL_AT: dict[str, int] = {c: ROW_COLUMNS.index(c) for c in CHANNEL_COLUMNS}
_WIDTH = len(ROW_COLUMNS)


def interval_tuple(
    meter_id: int,
    record: IntervalRecord,
    *,
    source: DataSource = DataSource.ACTUAL,
    readout_id: int | None = None,
    version: int = 1,
) -> Row:
    """The row of a record as a tuple in :data:`~osos.store.bulk.ROW_COLUMNS` order (what the
    bulk paths take): typed channels in milli-units, other channels as JSON text."""
    row: list[Any] = [None] * _WIDTH
    extra: dict[str, str] | None = None
    for obis, value in record.values.items():
        code, column = _target(obis)
        if column is None:
            extra = extra or {}
            extra[code] = format(value, "f")
        else:
            row[_CHANNEL_AT[column]] = to_milli(value)
    row[0] = meter_id
    row[1] = record.end_at
    row[-5] = json.dumps(extra, sort_keys=True) if extra else None
    row[-4] = record.status
    row[-3] = source.value
    row[-2] = version
    row[-1] = readout_id
    return tuple(row)


@dataclass(frozen=True)
class ProfileBatch:
    """One readout's intervals of one meter, prepared (:func:`interval_tuple`) before any
    database work; ``readout_id`` is set on every row when stored."""

    meter_id: int
    rows: tuple[Row, ...]
    readout_id: int | None = None
    source: DataSource = DataSource.ACTUAL
    actor: str = "headend"


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
    rows = tuple(interval_tuple(meter_id, r, source=source) for r in records)
    (result,) = store_profiles(
        session, [ProfileBatch(meter_id, rows, readout_id, source=source, actor=actor)]
    )
    return result


def store_profiles(session: Session, batches: Sequence[ProfileBatch]) -> list[ProfileIngestResult]:
    """Many readouts' intervals (of many meters) in one bulk write, each with the rules of
    :func:`store_profile`; one result per batch. A batch repeating an interval of an earlier
    batch goes in a later round, so the rules see the earlier one stored."""
    results = [ProfileIngestResult()] * len(batches)
    pending = list(range(len(batches)))
    while pending:
        taken: dict[tuple[int, dt.datetime], int] = {}
        later: list[int] = []
        rows: list[Row] = []
        repeats = dict.fromkeys(pending, 0)
        for index in pending:
            batch = batches[index]
            own: set[dt.datetime] = set()
            if any((batch.meter_id, r[1]) in taken for r in batch.rows):
                later.append(index)
                continue
            for row in batch.rows:
                if row[1] in own:
                    repeats[index] += 1  # the meter sent it twice: the first one counts
                    continue
                own.add(row[1])
                taken[(batch.meter_id, row[1])] = index
                rows.append((*row[:-1], batch.readout_id))
        round_results = _store_round(session, batches, rows, taken)
        for index in set(pending) - set(later):
            found = round_results.get(index, ProfileIngestResult())
            results[index] = found + ProfileIngestResult(unchanged=repeats[index])
        pending = later
    return results


def _store_round(
    session: Session,
    batches: Sequence[ProfileBatch],
    rows: Sequence[Row],
    owner: Mapping[tuple[int, dt.datetime], int],
) -> dict[int, ProfileIngestResult]:
    """One bulk write of rows unique on (meter, end), then the rules for what was stored."""
    inserted, differing = insert_rows(session, rows)
    counts = {index: [0, 0, 0, 0] for index in set(owner.values())}  # rows, new, !, replaced
    for key, index in owner.items():
        counts[index][0] += 1
        counts[index][1] += key in inserted
    by_key = {(row[0], row[1]): row for row in rows}
    for stored in differing:
        key = (stored["meter_id"], stored["end_at"])
        index = owner[key]
        batch = batches[index]
        new = row_dict(by_key[key])
        if stored["source"] == DataSource.ESTIMATED.value and batch.source is DataSource.ACTUAL:
            _replace_estimate(session, stored, new, actor=batch.actor)
            counts[index][3] += 1
        elif not _same(stored, new):
            _record_conflict(session, new)
            counts[index][2] += 1
    return {
        index: ProfileIngestResult(new, total - new - conflicts - replaced, conflicts, replaced)
        for index, (total, new, conflicts, replaced) in counts.items()
    }


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


def last_profile_ends(
    session: Session, meter_ids: Sequence[int], *, until: dt.datetime
) -> dict[int, dt.datetime]:
    """:func:`last_profile_end` of many meters in one query (meters with none are absent)."""
    if not meter_ids:
        return {}
    table = profile_intervals
    query = (
        select(table.c.meter_id, func.max(table.c.end_at))
        .where(
            table.c.meter_id.in_(list(meter_ids)),
            table.c.source != DataSource.ESTIMATED.value,
            table.c.end_at <= until,
        )
        .group_by(table.c.meter_id)
    )
    found = {}
    for meter_id, value in session.execute(query):
        if isinstance(value, str):  # SQLite aggregates lose the column type
            value = dt.datetime.fromisoformat(value)
        found[meter_id] = (
            value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        )
    return found

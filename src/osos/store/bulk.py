"""The fast paths under :mod:`osos.store.intervals`: many meters' interval rows in one go.

Rows arrive as tuples in :data:`ROW_COLUMNS` order (prepared once, no per-value objects), and
each backend gets its own bulk path (DESIGN.md, bulk ingest):

- PostgreSQL: binary ``COPY`` straight into the table under a savepoint (the common case: a
  meter's next intervals, nothing of them stored, so the COPY succeeds). When a row is stored
  already (a re-read), the savepoint is rolled back, one probe finds the meters with anything
  stored between their first and last new end, the other meters' rows are COPYed straight in
  again, and the re-read meters' rows go the careful way: binary
  ``COPY`` into a staging table created once per connection (a plain temporary table, emptied
  after use, so no catalog work and no truncate per chunk), one ``SELECT`` of the stored rows
  that differ or are estimates, one ``INSERT … SELECT … ON CONFLICT DO NOTHING``;
- SQLite: one ranged ``SELECT`` of what is stored for the batch's meters, then ``executemany``
  of the new rows through the driver's own cursor, in the caller's transaction.

Both return how many rows were new and the stored rows the caller's rules must look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from osos.channels import CHANNELS
from osos.domain import DataSource
from osos.store.db import TEMP_TABLES_KEY
from osos.store.models import profile_intervals
from osos.store.partitions import DEFAULT, TABLE, partition_name
from osos.timeutil import UTC, month_start_before, period_of

CHANNEL_COLUMNS: tuple[str, ...] = tuple(c.column for c in CHANNELS)
ROW_COLUMNS: tuple[str, ...] = (
    "meter_id",
    "end_at",
    *CHANNEL_COLUMNS,
    "extra",
    "status",
    "source",
    "version",
    "readout_id",
)
COMPARED: tuple[str, ...] = (*CHANNEL_COLUMNS, "extra", "status")
_COMPARED_AT = tuple(ROW_COLUMNS.index(c) for c in COMPARED)
SOURCE_AT = ROW_COLUMNS.index("source")
END_AT = 1
_ESTIMATED = DataSource.ESTIMATED.value
_STAGE = "osos_profile_stage"
_DIRECT = "osos_profile_direct"
_PG_TYPES = ["int4", "timestamptz", *(["int8"] * len(CHANNEL_COLUMNS))]
_PG_TYPES += ["text", "varchar", "varchar", "int4", "int4"]
_SQLITE_IN_LIMIT = 900  # meters per SELECT (SQLite's bound-parameter limit is far above)

Row = tuple[Any, ...]


def row_dict(row: Row) -> dict[str, Any]:
    """A row tuple as the mapping the conflict and history rules take (end_at aware UTC)."""
    found = dict(zip(ROW_COLUMNS, row, strict=True))
    end = found["end_at"]
    if isinstance(end, str):
        end = dt.datetime.fromisoformat(end)
    found["end_at"] = end.replace(tzinfo=UTC) if end.tzinfo is None else end.astimezone(UTC)
    return found


def differs(stored: Row, new: Row) -> bool:
    """Whether a stored row must go to the rules: an estimate, or values that differ."""
    if stored[SOURCE_AT] == _ESTIMATED:
        return True
    return any(stored[i] != new[i] for i in _COMPARED_AT)


Key = tuple[int, dt.datetime]


def insert_rows(session: Session, rows: Sequence[Row]) -> tuple[set[Key], list[dict[str, Any]]]:
    """Insert the rows not stored yet; returns (the (meter, end) keys inserted, the stored rows
    that differ or are estimates). Rows must be unique on (meter, end)."""
    if not rows:
        return set(), []
    if session.get_bind().dialect.name == "postgresql":
        return _postgresql(session, rows)
    return _sqlite(session, rows)


def _end_at_to_db(session: Session) -> Callable[[Any], Any]:
    """The column type's bind conversion of a time, remembered for one batch: a readout's
    values all carry its ``read_at``, a profile's rows share few days."""
    dialect = session.get_bind().dialect
    processor = profile_intervals.c.end_at.type._cached_bind_processor(dialect)
    assert processor is not None
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        found = memo.get(value)
        if found is None:
            found = memo[value] = processor(value)
        return found

    return convert


def _sqlite(session: Session, rows: Sequence[Row]) -> tuple[set[Key], list[dict[str, Any]]]:
    to_db = _end_at_to_db(session)
    prepared = [(row[0], to_db(row[1]), *row[2:]) for row in rows]
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        stored = _sqlite_stored(cursor, prepared)
        new = []
        inserted: set[Key] = set()
        differing = []
        for row, original in zip(prepared, rows, strict=True):
            old = stored.get((row[0], row[1]))
            if old is None:
                new.append(row)
                inserted.add((original[0], original[1]))
            elif differs(old, row):
                differing.append(row_dict(old))
        if new:
            marks = ", ".join("?" * len(ROW_COLUMNS))
            cursor.executemany(
                f"INSERT INTO profile_intervals ({', '.join(ROW_COLUMNS)}) VALUES ({marks}) "
                "ON CONFLICT DO NOTHING",
                new,
            )
    finally:
        cursor.close()
    return inserted, differing


def _sqlite_stored(cursor: Any, rows: Sequence[Row]) -> dict[tuple[int, str], Row]:
    """What is stored for these rows' meters between their first and last end."""
    low = min(row[1] for row in rows)
    high = max(row[1] for row in rows)
    meters = sorted({row[0] for row in rows})
    stored: dict[tuple[int, str], Row] = {}
    for start in range(0, len(meters), _SQLITE_IN_LIMIT):
        part = meters[start : start + _SQLITE_IN_LIMIT]
        cursor.execute(
            f"SELECT {', '.join(ROW_COLUMNS)} FROM profile_intervals "
            f"WHERE meter_id IN ({', '.join('?' * len(part))}) AND end_at >= ? AND end_at <= ?",
            (*part, low, high),
        )
        for row in cursor.fetchall():
            stored[(row[0], row[1])] = tuple(row)
    return stored


def _postgresql(session: Session, rows: Sequence[Row]) -> tuple[set[Key], list[dict[str, Any]]]:
    """Optimistic first: binary COPY straight into the table (the common case, a meter's next
    intervals: nothing of them stored). When a row is there already, the meters with anything
    stored between their first and last new end go through the stage, which finds what is
    stored and inserts only what is not; the others' rows are COPYed straight in again."""
    dbapi: Any = session.connection().connection.dbapi_connection
    with dbapi.cursor() as cursor:
        if _pg_copy_direct(cursor, rows):
            return {(row[0], row[1]) for row in rows}, []
        stored = _pg_meters_with_stored(cursor, rows)
        fresh = [row for row in rows if row[0] not in stored]
        if fresh and _pg_copy_direct(cursor, fresh):
            inserted = {(row[0], row[1]) for row in fresh}
            rest = [row for row in rows if row[0] in stored]
        else:  # a concurrent writer stored some of them since the probe: all through the stage
            inserted, rest = set(), list(rows)
        staged, differing = _pg_staged(session, cursor, rest)
    return inserted | staged, differing


def _pg_meters_with_stored(cursor: Any, rows: Sequence[Row]) -> set[int]:
    """The meters of ``rows`` with a stored row between their own first and last end (one
    index probe per meter, one round trip)."""
    spans: dict[int, list[dt.datetime]] = {}
    for row in rows:
        span = spans.get(row[0])
        if span is None:
            spans[row[0]] = [row[1], row[1]]
        elif row[1] < span[0]:
            span[0] = row[1]
        elif row[1] > span[1]:
            span[1] = row[1]
    cursor.execute(
        "SELECT b.m FROM unnest(%s::int4[], %s::timestamptz[], %s::timestamptz[]) AS b(m, lo, hi) "
        "WHERE EXISTS (SELECT 1 FROM profile_intervals p "
        "WHERE p.meter_id = b.m AND p.end_at >= b.lo AND p.end_at <= b.hi)",
        (list(spans), [s[0] for s in spans.values()], [s[1] for s in spans.values()]),
    )
    return {meter for (meter,) in cursor.fetchall()}


def _pg_copy_direct(cursor: Any, rows: Sequence[Row]) -> bool:
    """Binary COPY into the table itself, under a savepoint: False (and nothing written) when
    a row is already there, stored by another transaction since the probe.

    When every row falls in one local month, the COPY goes into the partition that holds that
    month (its own when attached, else the default one, which holds every month without its
    own): the same rows, constraints and indexes, without the parent's per-statement partition
    routing (a quarter of a 400-row flush's time). The savepoint and the look-up for
    the partition travel in one round trip; the savepoint is left to end with the transaction
    (nothing else names it), which saves the RELEASE's round trip."""
    target = TABLE
    month = _one_month(rows)
    if month is not None:
        part = partition_name(month)  # digits and fixed names only: safe as SQL text
        cursor.execute(
            f"SAVEPOINT {_DIRECT}; SELECT c.oid::regclass::text FROM pg_inherits i "
            f"JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '{TABLE}'::regclass "
            f"AND c.oid IN (to_regclass('{part}'), to_regclass('{DEFAULT}')) "
            f"ORDER BY c.oid = to_regclass('{part}') DESC LIMIT 1"
        )
        cursor.nextset()  # past the SAVEPOINT's result to the SELECT's
        found = cursor.fetchone()
        if found is not None:
            target = found[0]
    else:
        cursor.execute(f"SAVEPOINT {_DIRECT}")
    try:
        with cursor.copy(
            f"COPY {target} ({', '.join(ROW_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_PG_TYPES)
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.UniqueViolation:
        cursor.execute(f"ROLLBACK TO SAVEPOINT {_DIRECT}")
        return False
    return True


def _one_month(rows: Sequence[Row]) -> dt.datetime | None:
    """The local month start all rows' ends fall in, None when they span months."""
    ends = [row[1] for row in rows]
    low, high = min(ends), max(ends)
    if period_of(low) != period_of(high):
        return None
    return month_start_before(low)


def _pg_staged(
    session: Session, cursor: Any, rows: Sequence[Row]
) -> tuple[set[Key], list[dict[str, Any]]]:
    """Through the stage: the stored rows that differ or are estimates, then one ``INSERT …
    SELECT … ON CONFLICT DO NOTHING`` of the rest."""
    created: set[str] = session.connection().connection.info.setdefault(TEMP_TABLES_KEY, set())
    if _STAGE not in created:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} "
            "(LIKE profile_intervals INCLUDING DEFAULTS)"
        )
        created.add(_STAGE)
    columns = ", ".join(ROW_COLUMNS)
    with cursor.copy(f"COPY {_STAGE} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_PG_TYPES)
        for row in rows:
            copy.write_row(row)
    changed = " OR ".join(f"p.{c} IS DISTINCT FROM s.{c}" for c in COMPARED)
    cursor.execute(
        f"SELECT {', '.join('p.' + c for c in ROW_COLUMNS)} FROM profile_intervals p "
        f"JOIN {_STAGE} s ON p.meter_id = s.meter_id AND p.end_at = s.end_at "
        f"WHERE p.source = '{_ESTIMATED}' OR {changed}"
    )
    differing = [row_dict(tuple(r)) for r in cursor.fetchall()]
    cursor.execute(
        f"INSERT INTO profile_intervals ({columns}) SELECT {columns} FROM {_STAGE} "
        "ON CONFLICT DO NOTHING RETURNING meter_id, end_at"
    )
    inserted = {(meter, end.astimezone(UTC)) for meter, end in cursor.fetchall()}
    cursor.execute(f"DELETE FROM {_STAGE}")
    return inserted, differing


_VALUE_COLUMNS: tuple[str, ...] = ("readout_id", "meter_id", "read_at", "obis", "address")
_VALUE_COLUMNS += ("value", "number", "unit", "value_time")
_VALUE_TYPES = ["int4", "int4", "timestamptz", "varchar", "varchar", "varchar", "varchar"]
_VALUE_TYPES += ["varchar", "timestamptz"]


def insert_values(session: Session, rows: Sequence[Row]) -> None:
    """Readout values in :data:`_VALUE_COLUMNS` order, all at once (binary COPY or
    executemany): new readouts' values never collide, so nothing is looked up."""
    if not rows:
        return
    columns = ", ".join(_VALUE_COLUMNS)
    dbapi: Any = session.connection().connection.dbapi_connection
    if session.get_bind().dialect.name == "postgresql":
        with (
            dbapi.cursor() as cursor,
            cursor.copy(f"COPY readout_values ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(_VALUE_TYPES)
            for row in rows:
                copy.write_row(row)
        return
    to_db = _end_at_to_db(session)
    prepared = [
        (*row[:2], to_db(row[2]), *row[3:8], None if row[8] is None else to_db(row[8]))
        for row in rows
    ]
    cursor = dbapi.cursor()
    try:
        marks = ", ".join("?" * len(_VALUE_COLUMNS))
        cursor.executemany(f"INSERT INTO readout_values ({columns}) VALUES ({marks})", prepared)
    finally:
        cursor.close()

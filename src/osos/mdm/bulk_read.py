"""A month of interval rows read from the store in bulk, as Arrow columns.

The monthly run's largest read is every interval of every meter of a chunk. It goes through
ADBC (Arrow Database Connectivity: libpq's binary COPY on PostgreSQL, the SQLite C API) on a
connection of its own, straight into Arrow buffers — no Python object per row. A separate
connection sees only committed rows, so when the caller's transaction has already written
something, the rows are read through the caller's own connection instead (slower, same result).
SQLite is always read through the caller's connection (see :func:`_adbc`).

Measured over 3 M rows of 7 columns (docs/performance.md, "Monthly run"): ADBC 1.3 s on
PostgreSQL, 2.4 s on SQLite; connectorx about the same; COPY CSV via psycopg + pyarrow.csv 3.5 s;
DB-API fetchall 3.9–4.9 s before any transposing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import adbc_driver_postgresql.dbapi as adbc_postgresql
import pyarrow as pa
from sqlalchemy.orm import Session

from osos.mdm.sqlite_reader import SqliteReader
from osos.timeutil import UTC

#: Bits of the ``mask`` column: bit k says ``REGISTERS[k]`` has a value in the row; the high bit
#: says the row is an estimate. One small integer instead of five sparse register columns.
MASK_COLUMNS: tuple[str, ...] = (
    "r1_8_0",
    "r1_8_1",
    "r1_8_2",
    "r1_8_3",
    "r2_8_0",
    "r5_8_0",
    "r8_8_0",
)
ESTIMATED_BIT = 128
PROFILE_FIELDS: tuple[str, ...] = ("m", "t", "mask", "e1", "e2", "p1", "p2")
#: With ``v`` and ``r`` (version, readout id), for the fingerprints of the months a run stores
#: (:func:`meter_sums`), so those need no second scan of the month. Only then: the two columns
#: cost the read 10–20 %.
COUNTED_FIELDS: tuple[str, ...] = (*PROFILE_FIELDS, "v", "r")
#: Connections a PostgreSQL bulk read is split over (measured: 1.23 s with 2 vs 1.74 s with 1,
#: no gain past the machine's 2 cores).
READERS = 2


def _literal(dialect: str, at: dt.datetime) -> str:
    """A UTC instant as a literal the column compares with (SQLite stores naive ISO text)."""
    utc = at.astimezone(UTC)
    if dialect == "sqlite":
        return "'" + utc.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") + "'"
    return "'" + utc.isoformat() + "'::timestamptz"


def profile_sql(
    dialect: str,
    meter_ids: Sequence[int],
    lo: dt.datetime,
    hi: dt.datetime,
    counted: bool = False,
) -> str:
    """Rows with ``lo <= end_at <= hi`` of these meters, in the columns the monthly run uses
    (:data:`COUNTED_FIELDS` when ``counted``, else :data:`PROFILE_FIELDS`).

    Only integers and instants we made ourselves are inlined, so no value comes from a user.
    """
    bits = " + ".join(
        f"(CASE WHEN {column} IS NULL THEN 0 ELSE {1 << k} END)"
        for k, column in enumerate(MASK_COLUMNS)
    )
    ids = ", ".join(str(int(m)) for m in meter_ids)
    counts = ", version AS v, readout_id AS r" if counted else ""
    return (
        f"SELECT meter_id AS m, end_at AS t, {bits} + (CASE WHEN source = 'estimated' THEN "
        f"{ESTIMATED_BIT} ELSE 0 END) AS mask, r1_8_0 AS e1, r2_8_0 AS e2, r1_6_0 AS p1, "
        f"r2_6_0 AS p2{counts} FROM profile_intervals "
        f"WHERE meter_id IN ({ids}) "
        f"AND end_at >= {_literal(dialect, lo)} AND end_at <= {_literal(dialect, hi)}"
    )


def _clean(session: Session) -> bool:
    """Whether the session's transaction has written nothing, so another connection sees the
    same rows it does."""
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        assigned = connection.exec_driver_sql("SELECT pg_current_xact_id_if_assigned()").scalar()
        return assigned is None
    raw: Any = connection.connection.dbapi_connection
    return not raw.in_transaction


def _adbc_uri(session: Session) -> str | None:
    url = session.connection().engine.url
    if url.get_backend_name() == "postgresql" and _clean(session):
        return url.set(drivername="postgresql").render_as_string(hide_password=False)
    return None


def _adbc(session: Session) -> Any | None:
    """A new ADBC connection to the session's PostgreSQL database, or None.

    Never for SQLite in this process: the ADBC (and connectorx) SQLite drivers carry their own
    copy of the SQLite library, and two copies in one process break each other's POSIX locks on
    the same file (sqlite.org/howtocorrupt.html, 2.2.1) — seen here as "disk I/O error" in WAL
    mode. SQLite goes through :class:`~osos.mdm.sqlite_reader.SqliteReader`'s child process.
    """
    uri = _adbc_uri(session)
    return None if uri is None else adbc_postgresql.connect(uri)


def _sqlite_file(session: Session) -> str | None:
    url = session.connection().engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def read_arrow(
    session: Session, sql: str, fields: Sequence[str], sqlite: SqliteReader | None = None
) -> pa.Table:
    """The result of ``sql`` as an Arrow table with these column names."""
    path = _sqlite_file(session)
    if sqlite is not None and path is not None and _clean(session):
        return sqlite.read(path, sql).rename_columns(list(fields))
    connection = _adbc(session)
    if connection is not None:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql)
            table: pa.Table = cursor.fetch_arrow_table()
        return table.rename_columns(list(fields))
    raw: Any = session.connection().connection.dbapi_connection
    cursor = raw.cursor()
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()  # plain DB-API tuples: no per-row result processing
    finally:
        cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in fields]
    del rows
    arrays = [_array(column) for column in columns]
    return pa.table(dict(zip(fields, arrays, strict=True)))


def _array(values: Sequence[Any]) -> pa.Array:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, dt.datetime):
        return pa.array(values, pa.timestamp("us", tz="UTC"))
    if isinstance(sample, str):
        return pa.array(values, pa.string())
    return pa.array(values, pa.int64())


def _split(ids: list[int], n: int) -> list[list[int]]:
    """``ids`` in ``n`` runs (one when there are too few to share)."""
    n = n if len(ids) >= 2 * n else 1
    return [ids[k * len(ids) // n : (k + 1) * len(ids) // n] for k in range(n)]


def _parallel(
    uri: str, dialect: str, ids: list[int], lo: dt.datetime, hi: dt.datetime, counted: bool
) -> pa.Table:
    """PostgreSQL: the server encodes and the client decodes on READERS connections at once."""
    parts = _split(ids, READERS)
    sqls = [profile_sql(dialect, p, lo, hi, counted) for p in parts]
    with ThreadPoolExecutor(len(parts)) as pool:
        tables = list(pool.map(lambda sql: _read_uri(uri, sql), sqls))
    return pa.concat_tables(tables).rename_columns(list(_fields(counted)))


def _fields(counted: bool) -> tuple[str, ...]:
    return COUNTED_FIELDS if counted else PROFILE_FIELDS


def outside(session: Session) -> bool:
    """Whether rows may be read on connections of their own: the session's transaction has
    written nothing yet, so they see the rows it sees. A run checks once, before it writes its
    own results (which are no input to it)."""
    if _sqlite_file(session) is not None:
        return _clean(session)
    return _adbc_uri(session) is not None


def start_profile_read(
    session: Session,
    meter_ids: Sequence[int],
    lo: dt.datetime,
    hi: dt.datetime,
    pool: Executor,
    sqlite: SqliteReader | None,
    *,
    apart: bool,
    counted: bool = False,
) -> Future[pa.Table]:
    """The rows of these meters with ``lo <= end_at <= hi`` (columns: :data:`PROFILE_FIELDS`),
    read in ``pool`` on connections of their own (PostgreSQL) or by the SQLite child when
    ``apart`` (what :func:`outside` said) — so the caller computes the previous chunk
    meanwhile; read now through the session otherwise."""
    dialect = session.get_bind().dialect.name
    ids = sorted(meter_ids)
    fields = list(_fields(counted))
    sql = profile_sql(dialect, ids, lo, hi, counted)
    path = _sqlite_file(session)
    if apart and sqlite is not None and path is not None:
        parts = _split(ids, sqlite.children)
        sqls = [profile_sql(dialect, part, lo, hi, counted) for part in parts]
        return pool.submit(
            lambda: pa.concat_tables(sqlite.read_parts(path, sqls)).rename_columns(fields)
        )
    url = session.connection().engine.url
    if apart and dialect == "postgresql":
        uri = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return pool.submit(_parallel, uri, dialect, ids, lo, hi, counted)
    done: Future[pa.Table] = Future()
    done.set_result(read_arrow(session, sql, fields))
    return done


def profile_table(
    session: Session,
    meter_ids: Sequence[int],
    lo: dt.datetime,
    hi: dt.datetime,
    sqlite: SqliteReader | None = None,
) -> pa.Table:
    """:func:`start_profile_read`, waited for (outside the session when it may)."""
    with ThreadPoolExecutor(1) as pool:
        apart = outside(session)
        return start_profile_read(session, meter_ids, lo, hi, pool, sqlite, apart=apart).result()


#: Per meter: rows, sum of their versions, newest readout id (None when no row has one).
MeterSums = dict[int, tuple[int, int | None, int | None]]


def meter_sums(profile: pa.Table) -> MeterSums:
    """The rows' count, version sum and newest readout id of each meter in a ``counted`` read."""
    grouped = profile.group_by("m").aggregate([("m", "count"), ("v", "sum"), ("r", "max")])
    return {
        int(m): (int(n), None if v is None else int(v), None if r is None else int(r))
        for m, n, v, r in zip(
            grouped.column("m").to_pylist(),
            grouped.column("m_count").to_pylist(),
            grouped.column("v_sum").to_pylist(),
            grouped.column("r_max").to_pylist(),
            strict=True,
        )
    }


def _read_uri(uri: str, sql: str) -> pa.Table:
    with adbc_postgresql.connect(uri) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        table: pa.Table = cursor.fetch_arrow_table()
    return table

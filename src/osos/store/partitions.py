"""Monthly partitions of ``profile_intervals`` on PostgreSQL, created ahead of the data.

The table is range-partitioned on ``end_at`` by local month (migration 0008), with a default
partition so that no row is ever refused. The upkeep creates this month's partition and the next
:data:`AHEAD` months'; a partition for a month whose rows already sit in the default partition
takes them over in the same transaction. SQLite has one plain table: nothing to do there.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from osos.timeutil import month_start_before, next_month_start, period_of

TABLE = "profile_intervals"
SCHEMA = "profile_parts"  # the partitions' own schema (migration 0008)
DEFAULT = f"{SCHEMA}.{TABLE}_default"
AHEAD = 3


def partition_name(month: dt.datetime) -> str:
    return f"{SCHEMA}.{TABLE}_{period_of(month).replace('-', '')}"


def _exists(connection: Connection, name: str) -> bool:
    found = connection.execute(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name})
    return bool(found.scalar_one())


def is_partitioned(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    return bool(
        connection.execute(
            text("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = to_regclass(:t)"),
            {"t": TABLE},
        ).scalar_one()
    )


def create_month(connection: Connection, month: dt.datetime) -> bool:
    """The partition of the local month starting at ``month``; False when it was there."""
    name = partition_name(month)
    if _exists(connection, name):
        return False
    lo, hi = month.isoformat(), next_month_start(month).isoformat()
    connection.exec_driver_sql(
        f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    # queries by time alone (coverage since midnight) read only the pages of that time
    connection.exec_driver_sql(f"CREATE INDEX ON {name} USING brin (end_at)")
    if _exists(connection, DEFAULT):
        connection.exec_driver_sql(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE end_at >= '{lo}' AND end_at < '{hi}' "
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        )
    connection.exec_driver_sql(
        f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')"
    )
    return True


def ensure_ahead(connection: Connection, now: dt.datetime, ahead: int = AHEAD) -> list[str]:
    """This month's partition and the next ``ahead`` months'; returns the ones created."""
    if not is_partitioned(connection):
        return []
    created = []
    month = month_start_before(now)
    for _ in range(ahead + 1):
        if create_month(connection, month):
            created.append(partition_name(month))
        month = next_month_start(month)
    return created

"""profile_intervals range-partitioned by local month on PostgreSQL (SQLite unchanged)

The existing table is renamed, a partitioned table with the same columns, primary key
(meter_id, end_at) and foreign keys takes its name, a partition per local month that holds rows
and a default partition are created (each with a BRIN index on end_at), and the rows are copied
over. Partitions ahead of the data
are created by the upkeep (``osos.store.partitions``). Downgrade turns it back into one table.

Revision ID: 0008
Revises: 0016
"""

import datetime as dt
from collections.abc import Sequence

from alembic import op

from osos.timeutil import UTC, month_start_before, next_month_start, period_of

revision: str = "0008"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "profile_intervals"
#: The partitions live in a schema of their own, so the application's schema (and Alembic's
#: comparison of it with the models) sees one table, as on SQLite.
PARTS = "profile_parts"
FOREIGN_KEYS = (
    ("fk_profile_intervals_meter_id_meters", "meter_id", "meters(id)"),
    ("fk_profile_intervals_readout_id_readouts", "readout_id", "readouts(id)"),
)


def _rename_old(old: str) -> None:
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{TABLE} TO pk_{old}")
    for name, _column, _target in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {name} TO {name}_old")


def _keys() -> None:
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY (meter_id, end_at)")
    for name, column, target in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
                   f"REFERENCES {target}")  # fmt: skip


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.astimezone(UTC)


def _brin(partition: str) -> None:
    """A BRIN index on end_at per partition (24 kB for a month of 1,000 meters, against 120 MB
    for the primary key) for the queries by time alone; on the partitions only, so the
    application's schema keeps the models' indexes."""
    op.execute(f"CREATE INDEX ON {partition} USING brin (end_at)")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    old = f"{TABLE}_unpartitioned"
    _rename_old(old)
    op.execute(f"CREATE TABLE {TABLE} (LIKE {old} INCLUDING DEFAULTS) PARTITION BY RANGE (end_at)")
    _keys()
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {PARTS}")
    op.execute(f"CREATE TABLE {PARTS}.{TABLE}_default PARTITION OF {TABLE} DEFAULT")
    _brin(f"{PARTS}.{TABLE}_default")
    first, last = op.get_bind().exec_driver_sql(f"SELECT min(end_at), max(end_at) FROM {old}").one()
    month, stop = _utc(first), _utc(last)
    if month is not None and stop is not None:
        month = month_start_before(month)
        while month <= stop:
            name = f"{PARTS}.{TABLE}_{period_of(month).replace('-', '')}"
            lo, hi = month.isoformat(), next_month_start(month).isoformat()
            op.execute(
                f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM ('{lo}') TO ('{hi}')"
            )
            month = next_month_start(month)
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")
    if old.endswith("_partitioned"):
        op.execute(f"DROP SCHEMA IF EXISTS {PARTS}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    old = f"{TABLE}_partitioned"
    _rename_old(old)
    op.execute(f"CREATE TABLE {TABLE} (LIKE {old} INCLUDING DEFAULTS)")
    _keys()
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old}")
    if old.endswith("_partitioned"):
        op.execute(f"DROP SCHEMA IF EXISTS {PARTS}")

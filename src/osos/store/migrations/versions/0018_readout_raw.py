"""raw bytes of the readouts in their own table (readout_raw), the archive files' record

``readout_raw`` (readout id, bytes, sha256, local month of the read) takes every readout's
bytes; ``readouts`` keeps only the digest. The month is indexed, not a partition key: the table
is read by readout id only, and the archive moves one month at a time by the index (a
partitioned table could not keep the readout id alone as its key). ``raw_archives`` records the
file each archived month went to (``osos raw archive``), ``raw_archive_blocks`` where each
block of readouts is in it.

Downgrade puts the bytes back into ``readouts`` (on SQLite the column comes back nullable: making
it NOT NULL there would rebuild the table under its foreign keys); it refuses while a month is
archived (its bytes are in the files, not in the database).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types
from osos.timeutil import UTC, period_of

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000


def upgrade() -> None:
    op.create_table(
        "readout_raw",
        sa.Column("readout_id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(
            ["readout_id"], ["readouts.id"], name=op.f("fk_readout_raw_readout_id_readouts")
        ),
        sa.PrimaryKeyConstraint("readout_id", name=op.f("pk_readout_raw")),
    )
    op.create_table(
        "raw_archives",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("archived_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_raw_archives")),
    )
    op.create_table(
        "raw_archive_blocks",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("first_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["month"], ["raw_archives.month"], name=op.f("fk_raw_archive_blocks_month_raw_archives")
        ),
        sa.PrimaryKeyConstraint("month", "first_id", name=op.f("pk_raw_archive_blocks")),
    )
    _copy_bytes()
    op.create_index(op.f("ix_readout_raw_month"), "readout_raw", ["month"])
    op.execute("ALTER TABLE readouts DROP COLUMN raw")  # native on both (SQLite ≥ 3.35)


def _copy_bytes() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "INSERT INTO readout_raw (readout_id, raw, sha256, month) SELECT id, raw, raw_sha256, "
            "to_char(read_at AT TIME ZONE 'Europe/Istanbul', 'YYYY-MM') FROM readouts"
        )
        return
    last = 0
    while True:  # SQLite: the local month computed here, as the writers compute it
        rows = bind.execute(
            sa.text(
                "SELECT id, raw, raw_sha256, read_at FROM readouts WHERE id > :last "
                "ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        bind.execute(
            sa.text(
                "INSERT INTO readout_raw (readout_id, raw, sha256, month) "
                "VALUES (:i, :raw, :digest, :month)"
            ),
            [{"i": i, "raw": raw, "digest": d, "month": _month(at)} for i, raw, d, at in rows],
        )
        last = rows[-1][0]


def _month(stored: object) -> str:
    when = osos.store.types.UTCDateTime().process_result_value(stored, op.get_bind().dialect)
    assert when is not None
    return period_of(when.astimezone(UTC))


def downgrade() -> None:
    bind = op.get_bind()
    archived = bind.execute(sa.text("SELECT count(*) FROM raw_archives")).scalar_one()
    if archived:
        raise RuntimeError(
            f"{archived} month(s) of raw bytes are archived to files: their bytes are not in the "
            "database, so readouts.raw cannot be filled; downgrade refused"
        )
    op.add_column("readouts", sa.Column("raw", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE readouts SET raw = (SELECT raw FROM readout_raw WHERE readout_id = readouts.id)"
    )
    if bind.dialect.name == "postgresql":  # SQLite would rebuild the table: left nullable
        op.alter_column("readouts", "raw", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_index(op.f("ix_readout_raw_month"), table_name="readout_raw")
    op.drop_table("raw_archive_blocks")
    op.drop_table("raw_archives")
    op.drop_table("readout_raw")

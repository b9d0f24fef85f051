"""head-end workers: a heartbeat row per process, and when a job's session began

Several head-end processes on one PostgreSQL database: a dead worker's jobs return and its
open attempts are closed as interrupted within a bounded time.

Revision ID: 0009
Revises: 0006 (0007/0008 are on other branches; the lead renumbers at merge)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from osos.store.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "headend_workers",
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_headend_workers")),
    )
    with op.batch_alter_table("read_jobs") as batch:
        batch.add_column(sa.Column("session_started_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("read_jobs") as batch:
        batch.drop_column("session_started_at")
    op.drop_table("headend_workers")

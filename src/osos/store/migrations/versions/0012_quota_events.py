"""quota_events: what one address asked of the anonymous forms (resets, applications, uploads)

Revision ID: 0012
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types

revision: str = "0012"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quota_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_events")),
    )
    op.create_index("ix_quota_events_kind_key_at", "quota_events", ["kind", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_quota_events_kind_key_at", table_name="quota_events")
    op.drop_table("quota_events")

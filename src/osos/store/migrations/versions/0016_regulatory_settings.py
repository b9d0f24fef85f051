"""regulatory settings as dated data (reactive limits, validation limits, deadlines, scope)

Revision ID: 0016
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types

revision: str = "0016"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "regulatory_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("valid_from", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regulatory_settings")),
        sa.UniqueConstraint("key", "valid_from", name=op.f("uq_regulatory_settings_key")),
    )
    op.create_index(
        op.f("ix_regulatory_settings_key"), "regulatory_settings", ["key"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_regulatory_settings_key"), table_name="regulatory_settings")
    op.drop_table("regulatory_settings")

"""what the 2026 smart-meter rules need: a service point's pano, a meter's class and year

Revision ID: 0011
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_points") as batch:
        batch.add_column(sa.Column("pano", sa.String(length=64), nullable=True))
        batch.create_index(batch.f("ix_service_points_pano"), ["pano"])
    with op.batch_alter_table("meters") as batch:
        batch.add_column(
            sa.Column("smart_class", sa.String(length=32), nullable=False, server_default="none")
        )
        batch.add_column(sa.Column("manufactured_year", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meters") as batch:
        batch.drop_column("manufactured_year")
        batch.drop_column("smart_class")
    with op.batch_alter_table("service_points") as batch:
        batch.drop_index(batch.f("ix_service_points_pano"))
        batch.drop_column("pano")

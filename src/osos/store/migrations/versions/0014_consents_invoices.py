"""customers' recorded consents (KVKK) to share their data with an organisation; invoices of
priced data requests

Revision ID: 0014
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types

revision: str = "0014"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_via", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("granted_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_data_consents_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_data_consents_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_consents")),
    )
    op.create_index(
        op.f("ix_data_consents_service_point_id"),
        "data_consents",
        ["service_point_id"],
        unique=False,
    )
    with op.batch_alter_table("data_requests") as batch:
        batch.add_column(sa.Column("invoice_no", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("invoiced_at", osos.store.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("data_requests") as batch:
        batch.drop_column("invoiced_at")
        batch.drop_column("invoice_no")
    op.drop_index(op.f("ix_data_consents_service_point_id"), table_name="data_consents")
    op.drop_table("data_consents")

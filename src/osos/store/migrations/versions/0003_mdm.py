"""mdm tables (owned by the mdm layer; see osos/store/models/mdm.py)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mdm_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("register", sa.String(length=16), nullable=False),
        sa.Column("start_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detected_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_mdm_findings_meter_id_meters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mdm_findings")),
        sa.UniqueConstraint(
            "meter_id", "code", "register", "start_at", name=op.f("uq_mdm_findings_meter_id")
        ),
    )
    with op.batch_alter_table("mdm_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mdm_findings_meter_id"), ["meter_id"], unique=False)
        batch_op.create_index(
            "ix_mdm_findings_state_detected", ["state", "detected_at"], unique=False
        )
    op.create_table(
        "billing_determinants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("computed_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_billing_determinants_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_determinants")),
        sa.UniqueConstraint(
            "service_point_id", "period", name=op.f("uq_billing_determinants_service_point_id")
        ),
    )
    op.create_table(
        "mdm_watermarks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("readout_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mdm_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("mdm_watermarks")
    op.drop_table("billing_determinants")
    with op.batch_alter_table("mdm_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_mdm_findings_state_detected")
        batch_op.drop_index(batch_op.f("ix_mdm_findings_meter_id"))
    op.drop_table("mdm_findings")

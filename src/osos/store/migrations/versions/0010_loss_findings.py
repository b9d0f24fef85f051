"""loss and tamper findings (osos.losses): one row per service point, kind and start

Revision ID: 0010
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    when = osos.store.types.UTCDateTime(timezone=True)
    op.create_table(
        "loss_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("start_at", when, nullable=False),
        sa.Column("end_at", when, nullable=True),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("readout_id", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_by", sa.String(length=200), nullable=True),
        sa.Column("status_at", when, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("detected_at", when, nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_loss_findings_meter_id_meters")
        ),
        sa.ForeignKeyConstraint(
            ["readout_id"], ["readouts.id"], name=op.f("fk_loss_findings_readout_id_readouts")
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_loss_findings_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loss_findings")),
        sa.UniqueConstraint(
            "service_point_id", "kind", "start_at", name=op.f("uq_loss_findings_service_point_id")
        ),
    )
    op.create_index(
        op.f("ix_loss_findings_service_point_id"), "loss_findings", ["service_point_id"]
    )
    op.create_index(op.f("ix_loss_findings_start_at"), "loss_findings", ["start_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_loss_findings_start_at"), table_name="loss_findings")
    op.drop_index(op.f("ix_loss_findings_service_point_id"), table_name="loss_findings")
    op.drop_table("loss_findings")

"""headend tables (owned by the headend layer; see osos/store/models/headend.py)

Reading plans (with the default plans), read jobs, per-meter link settings.

Revision ID: 0002
Revises: 0001
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Defaults: readout daily; load profile every 15 min for balancing units, hourly for
# generation, daily for the rest (DOMAIN.md, sharing deadlines). Editable afterwards.
DEFAULT_PLANS = (
    ("balancing_unit", "readout", 1440, 60, True),
    ("balancing_unit", "profile", 15, 2, False),
    ("generation", "readout", 1440, 60, True),
    ("generation", "profile", 60, 5, False),
    ("default", "readout", 1440, 60, True),
    ("default", "profile", 1440, 120, False),
)


def upgrade() -> None:
    plans = op.create_table(
        "read_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_class", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("clock_check", sa.Boolean(), nullable=False),
        sa.Column("updated_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_plans")),
        sa.UniqueConstraint("service_class", "purpose", name=op.f("uq_read_plans_service_class")),
    )
    op.create_table(
        "meter_links",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("software_parity", sa.Boolean(), nullable=False),
        sa.Column("meter_profile", sa.String(length=32), nullable=True),
        sa.Column("inter_byte_timeout_s", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_meter_links_meter_id_meters")
        ),
        sa.PrimaryKeyConstraint("meter_id", name=op.f("pk_meter_links")),
    )
    op.create_table(
        "read_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("due_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resume_from", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("profile_to", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("clock_check", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("locked_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_read_jobs_meter_id_meters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_jobs")),
        sa.UniqueConstraint("meter_id", "purpose", "due_at", name=op.f("uq_read_jobs_meter_id")),
    )
    op.create_index(op.f("ix_read_jobs_meter_id"), "read_jobs", ["meter_id"], unique=False)
    op.create_index(
        "ix_read_jobs_state_next", "read_jobs", ["state", "next_attempt_at"], unique=False
    )
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(
        plans,
        [
            {
                "service_class": service_class,
                "purpose": purpose,
                "every_minutes": every,
                "offset_minutes": offset,
                "enabled": True,
                "clock_check": clock_check,
                "updated_at": now,
            }
            for service_class, purpose, every, offset, clock_check in DEFAULT_PLANS
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_read_jobs_state_next", table_name="read_jobs")
    op.drop_index(op.f("ix_read_jobs_meter_id"), table_name="read_jobs")
    op.drop_table("read_jobs")
    op.drop_table("meter_links")
    op.drop_table("read_plans")

"""sharing tables (owned by the sharing layer; see osos/store/models/sharing.py)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fee_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("amount", osos.store.types.ExactDecimal(length=48), nullable=False),
        sa.Column("valid_from", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedule")),
        sa.UniqueConstraint("reason", "valid_from", name=op.f("uq_fee_schedule_reason")),
    )
    op.create_table(
        "settlement_calendar",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("pre_settlement_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_settlement_calendar")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("revoked_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_tokens_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    op.create_index(
        op.f("ix_api_tokens_organisation_id"), "api_tokens", ["organisation_id"], unique=False
    )
    op.create_table(
        "data_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("requester", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("start", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("fee", osos.store.types.ExactDecimal(length=48), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("fulfilled_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_content", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_data_requests_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_data_requests_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("period_start", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("data_sha256", sa.String(length=64), nullable=True),
        sa.Column("destination", sa.String(length=500), nullable=True),
        sa.Column("receiver_status", sa.Integer(), nullable=True),
        sa.Column("receiver_answer", sa.Text(), nullable=True),
        sa.Column("ack", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_deliveries_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "rule", "service_point_id", "period_start", name=op.f("uq_deliveries_rule")
        ),
    )
    op.create_index(
        op.f("ix_deliveries_service_point_id"), "deliveries", ["service_point_id"], unique=False
    )
    op.create_index("ix_deliveries_status_due", "deliveries", ["status", "due_at"], unique=False)
    op.create_table(
        "scope_company_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_scope_company_decisions_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_company_decisions")),
        sa.UniqueConstraint(
            "service_point_id", name=op.f("uq_scope_company_decisions_service_point_id")
        ),
    )
    op.create_table(
        "scope_inclusion_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_scope_inclusion_requests_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_inclusion_requests")),
    )
    op.create_index(
        op.f("ix_scope_inclusion_requests_service_point_id"),
        "scope_inclusion_requests",
        ["service_point_id"],
        unique=False,
    )
    op.create_table(
        "delivery_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("raised_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_alerts_delivery_id_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_alerts")),
        sa.UniqueConstraint("delivery_id", "kind", name=op.f("uq_delivery_alerts_delivery_id")),
    )
    op.create_index(
        op.f("ix_delivery_alerts_delivery_id"), "delivery_alerts", ["delivery_id"], unique=False
    )
    op.create_table(
        "delivery_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("created_at", osos.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("data_sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("sent_at", osos.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receiver_status", sa.Integer(), nullable=True),
        sa.Column("receiver_answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_corrections_delivery_id_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_corrections")),
    )
    op.create_index(
        op.f("ix_delivery_corrections_delivery_id"),
        "delivery_corrections",
        ["delivery_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_delivery_corrections_delivery_id"), table_name="delivery_corrections")
    op.drop_table("delivery_corrections")
    op.drop_index(op.f("ix_delivery_alerts_delivery_id"), table_name="delivery_alerts")
    op.drop_table("delivery_alerts")
    op.drop_index(
        op.f("ix_scope_inclusion_requests_service_point_id"), table_name="scope_inclusion_requests"
    )
    op.drop_table("scope_inclusion_requests")
    op.drop_table("scope_company_decisions")
    op.drop_index("ix_deliveries_status_due", table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_service_point_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("data_requests")
    op.drop_index(op.f("ix_api_tokens_organisation_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("settlement_calendar")
    op.drop_table("fee_schedule")

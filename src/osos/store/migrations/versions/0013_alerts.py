"""alerts: raised once per level, sent once per user and channel, users' preferences

Revision ID: 0013
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import osos.store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = osos.store.types.UTCDateTime(timezone=True)


def _decimal(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, osos.store.types.ExactDecimal(length=48), nullable=True)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("service_point_id", sa.Integer(), nullable=True),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        _decimal("value"),
        _decimal("limit_value"),
        _decimal("excess_kvarh"),
        _decimal("advice_kvar"),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("raised_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_alerts_meter_id_meters")
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_alerts_service_point_id_service_points"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_alerts_key")),
    )
    op.create_index(op.f("ix_alerts_kind"), "alerts", ["kind"], unique=False)
    op.create_index(
        op.f("ix_alerts_service_point_id"), "alerts", ["service_point_id"], unique=False
    )
    op.create_table(
        "alert_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sent_at", _TIME, nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_sends_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_alert_sends_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_sends_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_sends")),
        sa.UniqueConstraint("alert_id", "user_id", "channel", name=op.f("uq_alert_sends_alert_id")),
    )
    op.create_index(op.f("ix_alert_sends_alert_id"), "alert_sends", ["alert_id"], unique=False)
    op.create_index(op.f("ix_alert_sends_user_id"), "alert_sends", ["user_id"], unique=False)
    op.create_table(
        "alert_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("muted_kinds", sa.Text(), nullable=False),
        sa.Column("sms_phone", sa.String(length=32), nullable=True),
        sa.Column("last_sent_at", _TIME, nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_preferences")),
    )


def downgrade() -> None:
    op.drop_table("alert_preferences")
    op.drop_index(op.f("ix_alert_sends_user_id"), table_name="alert_sends")
    op.drop_index(op.f("ix_alert_sends_alert_id"), table_name="alert_sends")
    op.drop_table("alert_sends")
    op.drop_index(op.f("ix_alerts_service_point_id"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_kind"), table_name="alerts")
    op.drop_table("alerts")

"""DLMS meters: addressing and security columns, sealed secrets, persisted frame counters

Meter passwords and DLMS keys are sealed (AES-GCM) by the application, which holds the key;
this migration only widens ``meters.password`` for the sealed text. Passwords stored in clear
before it are sealed by ``osos db upgrade`` right after the migrations (``seal_stored``).

Revision ID: 0007
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meters") as batch:
        batch.alter_column(
            "password", type_=sa.Text(), existing_type=sa.String(length=64), existing_nullable=True
        )
        batch.add_column(sa.Column("dlms_client_sap", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dlms_server_logical", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dlms_server_physical", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dlms_authentication", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("dlms_encryption_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("dlms_authentication_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("dlms_system_title", sa.String(length=16), nullable=True))
    op.create_table(
        "dlms_frame_counters",
        sa.Column("meter_id", sa.Integer(), sa.ForeignKey("meters.id"), primary_key=True),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dlms_frame_counters")
    with op.batch_alter_table("meters") as batch:
        for column in (
            "dlms_system_title",
            "dlms_authentication_key",
            "dlms_encryption_key",
            "dlms_authentication",
            "dlms_server_physical",
            "dlms_server_logical",
            "dlms_client_sap",
        ):
            batch.drop_column(column)
        # ``password`` stays text: sealed values are longer than the old 64 characters.

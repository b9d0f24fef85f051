"""DLMS pushes: the meter's own system title, the meter's last invocation counter

``meters.dlms_meter_system_title`` is the meter's (server's) 8-byte system title, unique: a
general-glo-ciphering push names it, and the head-end finds the meter and its keys by it
(``dlms_system_title`` stays the client's, osos's own). ``dlms_frame_counters.received_value``
is the highest invocation counter a push of the meter carried, so a replayed or older push
is refused, also after a restart.

Revision ID: 0017
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meters") as batch:
        batch.add_column(sa.Column("dlms_meter_system_title", sa.String(length=16), nullable=True))
        batch.create_index(
            "ix_meters_dlms_meter_system_title", ["dlms_meter_system_title"], unique=True
        )
    with op.batch_alter_table("dlms_frame_counters") as batch:
        batch.add_column(sa.Column("received_value", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dlms_frame_counters") as batch:
        batch.drop_column("received_value")
    with op.batch_alter_table("meters") as batch:
        batch.drop_index("ix_meters_dlms_meter_system_title")
        batch.drop_column("dlms_meter_system_title")

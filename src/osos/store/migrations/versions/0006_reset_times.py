"""billing reset times resolved at ingest: readout values of 0.1.2*n get their value_time

The IEC 62056-21 adapter now stores the time a reset register states (its value is the time)
as ``value_time``, so nothing above the store parses meter texts again. Rows stored before
get it here, once.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from osos.protocol.iec62056_21.errors import TimestampError
from osos.protocol.iec62056_21.timestamps import parse_timestamp
from osos.store.types import UTCDateTime
from osos.timeutil import UTC

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALUES = sa.table(
    "readout_values",
    sa.column("id", sa.Integer),
    sa.column("obis", sa.String),
    sa.column("value", sa.Text),
    sa.column("value_time", UTCDateTime),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(VALUES.c.id, VALUES.c.value).where(
            VALUES.c.obis.like("0.1.2*%"), VALUES.c.value_time.is_(None)
        )
    ).all()
    for row_id, text in rows:
        try:
            when = parse_timestamp(text or "")
        except TimestampError:
            continue
        if when is not None:
            connection.execute(
                sa.update(VALUES)
                .where(VALUES.c.id == row_id)
                .values(value_time=when.astimezone(UTC))
            )


def downgrade() -> None:
    """Nothing to undo: the times stay true (the old code parsed them from the value anyway)."""

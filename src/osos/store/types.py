"""Column types that keep the data rules on every database: UTC times, exact decimals, and the
time stamps a row gets from the clock of the session that writes it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, DateTime, Dialect, String, event
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.types import TypeDecorator

from osos.errors import DataRejected
from osos.timeutil import SYSTEM_CLOCK, UTC, Clock

CLOCK_KEY = "osos.clock"
"""Where a session (``Session.info``) and the connection it works on keep the runtime's clock."""


@event.listens_for(Session, "after_begin")
def _clock_to_connection(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    connection.info[CLOCK_KEY] = session.info.get(CLOCK_KEY, SYSTEM_CLOCK)


def stamp(context: ExecutionContext) -> dt.datetime:
    """Column default for ``created_at``-like columns: 'now' by the clock of the runtime whose
    session writes the row (a test's frozen clock, or the system's)."""
    clock: Clock = context.connection.info.get(CLOCK_KEY, SYSTEM_CLOCK)  # type: ignore[attr-defined]
    return clock.now()


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; naive input is a bug and refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise DataRejected(f"naive datetime {value!r}: osos stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        assert isinstance(when, dt.datetime)
        if when.tzinfo is None:
            return when.replace(tzinfo=UTC)
        return when.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as its exact text on every database (SQLite has no exact numeric)."""

    impl = String(48)
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise DataRejected(f"not a decimal number: {value!r}") from None
        if not number.is_finite():
            raise DataRejected(f"not a finite number: {value!r}")
        return str(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)

"""Tables of the headend layer: reading plans, read jobs, per-meter link settings.

Jobs live in the database so that several worker processes can share them later
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL) and so that a restart loses nothing: a job
keeps its attempts, its next attempt and its resume point.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from osos.store.models.base import Base
from osos.store.types import UTCDateTime, stamp


class ReadPlan(Base):
    """When to read what, per class of service point; editable by the operator.

    ``service_class``: ``balancing_unit``, ``generation`` or ``default`` (every other meter).
    ``purpose``: ``readout`` or ``profile``. Due times are multiples of ``every_minutes`` from
    local midnight, shifted by ``offset_minutes`` (spreads the load off the hour).
    """

    __tablename__ = "read_plans"
    __table_args__ = (UniqueConstraint("service_class", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_class: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(String(16))
    every_minutes: Mapped[int] = mapped_column(Integer)
    offset_minutes: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    clock_check: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp, onupdate=stamp)


class ReadJob(Base):
    """One read of one meter for one purpose: attempts, back-off, resume point, who holds it.

    ``state``: ``pending`` → ``running`` → ``done`` | ``failed`` (attempts exhausted) |
    ``pending`` again with ``next_attempt_at`` after a failed attempt.
    """

    __tablename__ = "read_jobs"
    __table_args__ = (
        UniqueConstraint("meter_id", "purpose", "due_at"),
        Index("ix_read_jobs_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # plan slot; None: unplanned
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=6)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    resume_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    profile_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    clock_check: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the worker holding it began the session (modem taken): a dead worker's attempt is
    # logged as interrupted from here; None while it waits for its modem.
    session_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class HeadendWorker(Base):
    """A running head-end process: its heartbeat tells the others when it died, so its jobs
    return and its open attempts are closed within a bounded time (not a 30-minute guess)."""

    __tablename__ = "headend_workers"

    worker: Mapped[str] = mapped_column(String(64), primary_key=True)  # host:pid
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class MeterLink(Base):
    """Per-meter link settings the registry does not carry (absent row: the defaults)."""

    __tablename__ = "meter_links"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    software_parity: Mapped[bool] = mapped_column(Boolean, default=False)
    meter_profile: Mapped[str | None] = mapped_column(String(32))  # codec profile key
    inter_byte_timeout_s: Mapped[int | None] = mapped_column(Integer)


class DlmsFrameCounter(Base):
    """The next invocation counter a DLMS meter's ciphered association may use (HLS-GMAC).

    The head-end reserves a block before each call (``next_value`` moves past it in its own
    committed transaction), so a counter is never sent twice, even after a crash or restart.
    """

    __tablename__ = "dlms_frame_counters"

    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), primary_key=True)
    next_value: Mapped[int] = mapped_column(BigInteger)
    # The highest invocation counter the meter's own ciphered pushes carried (None: none
    # yet); a push at or below it is a replay and refused.
    received_value: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp, onupdate=stamp)

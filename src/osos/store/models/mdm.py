"""Tables of the mdm layer (owned by that layer; migration in store/migrations/versions)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from osos.store.models.base import Base
from osos.store.types import UTCDateTime, stamp


class ValidationFinding(Base):
    """One VEE finding on a meter's data (gap, index backwards, spike, …) for the operators.

    Raw values are never changed by validation; the finding says what looked wrong, where, and
    whether someone has dealt with it. (meter, code, register, start) identifies a finding, so
    validating the same data again does not repeat it; a run (gap, standing meter, estimates)
    seen again through a window that cuts it extends the stored finding (``vee.store_findings``).
    """

    __tablename__ = "mdm_findings"
    __table_args__ = (
        UniqueConstraint("meter_id", "code", "register", "start_at"),
        Index("ix_mdm_findings_state_detected", "state", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    meter_id: Mapped[int] = mapped_column(ForeignKey("meters.id"), index=True)
    register: Mapped[str] = mapped_column(String(16), default="")
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(Text)


class BillingDeterminant(Base):
    """The stored monthly determinants of a service point (the report's JSON).

    ``dirty`` is set when data under the month changes (ingest, import, estimate, edit);
    ``fingerprint`` summarises that data when computed, so a change made by a writer that did
    not mark the month (another layer's ingest) is still noticed and the month recomputed.
    """

    __tablename__ = "billing_determinants"
    __table_args__ = (UniqueConstraint("service_point_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    dirty: Mapped[bool] = mapped_column(Boolean, default=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[str | None] = mapped_column(Text)  # JSON, MonthlyReport.to_json()
    version: Mapped[int] = mapped_column(Integer, default=0)


class UpkeepWatermark(Base):
    """How far the automatic validation has looked: the newest readout it has processed.

    One row per task (``validation``); readouts with a higher id are new data to validate.
    """

    __tablename__ = "mdm_watermarks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    readout_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)

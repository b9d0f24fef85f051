"""Loss and tamper findings: what the detectors of :mod:`osos.losses` saw, and what operators
did about it. One row per service point, kind and start, so a re-run updates, never doubles."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from osos.store.models.base import Base
from osos.store.types import UTCDateTime, stamp


class LossFinding(Base):
    __tablename__ = "loss_findings"
    __table_args__ = (UniqueConstraint("service_point_id", "kind", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id"))
    readout_id: Mapped[int | None] = mapped_column(ForeignKey("readouts.id"))
    evidence: Mapped[str] = mapped_column(Text)  # JSON {name: exact text}
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|acknowledged|closed
    status_by: Mapped[str | None] = mapped_column(String(200))
    status_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)

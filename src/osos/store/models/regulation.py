"""Regulatory settings as dated data: what the rules say, from when, who changed it and why."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from osos.store.models.base import Base
from osos.store.types import UTCDateTime, stamp


class RegulatorySetting(Base):
    """One value of a regulatory setting (``key``), in force from ``valid_from`` on."""

    __tablename__ = "regulatory_settings"
    __table_args__ = (UniqueConstraint("key", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    value: Mapped[str] = mapped_column(Text)  # JSON of the section's fields that change
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)

"""Alerts raised for customers and operators, what was sent to whom, and users' choices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from osos.store.models.base import Base
from osos.store.types import ExactDecimal, UTCDateTime, stamp


class Alert(Base):
    """One alert at one level: ``key`` (kind, subject, period, level) makes it raised once."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(16))  # close | exceeded
    period: Mapped[str | None] = mapped_column(String(7))
    service_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_points.id"), index=True
    )
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meters.id"))
    value: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    limit_value: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    excess_kvarh: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    advice_kvar: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the preview's other fields
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)


class AlertSend(Base):
    """An alert sent to a user on a channel (e-mail via the outbox, SMS): at most once."""

    __tablename__ = "alert_sends"
    __table_args__ = (UniqueConstraint("alert_id", "user_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    error: Mapped[str | None] = mapped_column(Text)


class AlertPreference(Base):
    """A user's choice: alerts on or off, daily or weekly, kinds muted, SMS to a number."""

    __tablename__ = "alert_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    frequency: Mapped[str] = mapped_column(String(8), default="daily")  # daily | weekly
    muted_kinds: Mapped[str] = mapped_column(Text, default="")  # comma-separated kinds
    sms_phone: Mapped[str | None] = mapped_column(String(32))
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp, onupdate=stamp)

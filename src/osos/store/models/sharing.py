"""Tables of the sharing layer (owned by that layer; migration in store/migrations/versions).

Deliveries to the market operator with their ledger, alerts and corrections; API tokens of
market participants; priced data requests and their fee table; the scope layer's voluntary
inclusion requests and company decisions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from osos.store.models.base import Base
from osos.store.types import ExactDecimal, UTCDateTime, stamp


class SettlementCalendar(Base):
    """The market operator's settlement calendar per month: the last day for rule-3 data."""

    __tablename__ = "settlement_calendar"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    pre_settlement_day: Mapped[dt.date | None] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)


class Delivery(Base):
    """One obligation to the market operator and what was done about it (the ledger row).

    Created when its period ends (what was due); ``sent_at`` and the receiver's answer say
    what was sent and when; ``content_sha256`` is the hash of the canonical JSON sent.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("rule", "service_point_id", "period_start"),
        Index("ix_deliveries_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[int] = mapped_column(Integer)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    content: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    data_sha256: Mapped[str | None] = mapped_column(String(64))
    destination: Mapped[str | None] = mapped_column(String(500))
    receiver_status: Mapped[int | None] = mapped_column(Integer)
    receiver_answer: Mapped[str | None] = mapped_column(Text)
    ack: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)


class DeliveryAlert(Base):
    """A deadline at risk (data not complete shortly before it) or missed."""

    __tablename__ = "delivery_alerts"
    __table_args__ = (UniqueConstraint("delivery_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # at_risk | overdue
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text)


class DeliveryCorrection(Base):
    """Data that changed after delivery (an actual read replaced an estimate): to resend."""

    __tablename__ = "delivery_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    data_sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    receiver_status: Mapped[int | None] = mapped_column(Integer)
    receiver_answer: Mapped[str | None] = mapped_column(Text)


class ApiToken(Base):
    """A bearer token of a market participant; only the token's sha256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    created_by: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class FeeSchedule(Base):
    """Fees for data outside the plan, per reason, from a date (defaults live in the config)."""

    __tablename__ = "fee_schedule"
    __table_args__ = (UniqueConstraint("reason", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal)  # TRY per service point and month
    valid_from: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    justification: Mapped[str | None] = mapped_column(Text)  # reported to the regulator


class DataRequest(Base):
    """A priced request for data outside the plan: recorded, priced, approved, fulfilled,
    invoiced."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    requester: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(32))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer, default=60)
    file_format: Mapped[str] = mapped_column(String(8), default="xlsx")
    fee: Mapped[Decimal] = mapped_column(ExactDecimal)
    justification: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="recorded")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    fulfilled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    invoice_no: Mapped[str | None] = mapped_column(String(64))
    invoiced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DataConsent(Base):
    """A customer's recorded consent (KVKK) that an organisation outside its supply may get
    the data of its service point through priced requests; revoked, it no longer counts."""

    __tablename__ = "data_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    granted_by: Mapped[str] = mapped_column(String(200))  # the customer (name or login)
    recorded_via: Mapped[str] = mapped_column(String(16))  # backoffice | panel
    recorded_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)  # e.g. the signed form's reference
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ScopeInclusionRequest(Base):
    """A participant or consumer asks for a meter to be included (they provide the equipment)."""

    __tablename__ = "scope_inclusion_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))


class ScopeCompanyDecision(Base):
    """A service point the company deems necessary to have in OSOS."""

    __tablename__ = "scope_company_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

"""Tables of the web layer: sessions, password resets, account applications, the outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from osos.store.models.base import Base
from osos.store.types import UTCDateTime, stamp


class WebSession(Base):
    """A server-side login session; the cookie holds only a random token (its hash is stored).

    Server-side so that disabling an account or logging out ends every session at once.
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))


class PasswordResetToken(Base):
    """A single-use, time-limited password reset link (only the token's hash is stored)."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """Failed logins per source address, to throttle guessing across many logins."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    ip: Mapped[str] = mapped_column(String(64))
    login: Mapped[str] = mapped_column(String(200))


class AccountApplication(Base):
    """An OSOS talep başvurusu: who asks for an account, for what, and how it was decided."""

    __tablename__ = "account_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # abone | tedarikci | kurumsal
    login: Mapped[str] = mapped_column(String(200))  # installation no or e-mail asked for
    service_point_nos: Mapped[str] = mapped_column(Text, default="")  # one per line
    company_name: Mapped[str | None] = mapped_column(String(200))
    tax_no: Mapped[str | None] = mapped_column(String(32))
    contact_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    operator_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)


class ApplicationDocument(Base):
    """An uploaded document of an application; the file lives under OSOS_HOME/uploads."""

    __tablename__ = "application_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("account_applications.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(500))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)


class OutboxMessage(Base):
    """An e-mail to send; kept (and shown to operators) when no SMTP server is configured."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class QuotaEvent(Base):
    """One use of an anonymous form by an address (a reset asked, an application, a document
    uploaded with its size): what the daily and hourly quotas count."""

    __tablename__ = "quota_events"
    __table_args__ = (Index("ix_quota_events_kind_key_at", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=stamp)
    size: Mapped[int] = mapped_column(BigInteger, default=0)

"""Mail to users (credentials, reset links): queued in the database, sent when SMTP is set.

Without ``Settings.smtp_url`` the message stays in the outbox and operators see it in the
back office, so a demo or an installation without mail still works.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.settings import Settings
from osos.store.db import now
from osos.store.models.web import OutboxMessage

FROM_ADDRESS = "osos@localhost"


@dataclass(frozen=True)
class OutboxView:
    id: int
    to_address: str
    subject: str
    body: str
    created_at: object
    sent_at: object
    error: str | None


def _send(smtp_url: str, message: OutboxMessage) -> None:
    """smtp://user:pass@host:port or smtps://…; raises OSError/SMTPException on failure."""
    url = urlparse(smtp_url)
    host = url.hostname or "localhost"
    mail = EmailMessage()
    mail["From"] = FROM_ADDRESS if not url.username else unquote(url.username)
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with smtp_class(host, url.port or (465 if url.scheme == "smtps" else 25), timeout=10) as smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls()
        if url.username and url.password:
            smtp.login(unquote(url.username), unquote(url.password))
        smtp.send_message(mail)


def queue(session: Session, settings: Settings, *, to: str, subject: str, body: str) -> int:
    """Keep the message; send it now when SMTP is configured (a failure is kept as its error)."""
    message = OutboxMessage(to_address=to, subject=subject, body=body, created_at=now(session))
    session.add(message)
    session.flush()
    if settings.mail.smtp_url:
        try:
            _send(settings.mail.smtp_url, message)
            message.sent_at = now(session)
        except (OSError, smtplib.SMTPException) as exc:
            message.error = f"{type(exc).__name__}: {exc}"
    return message.id


_LINK_TOKEN = re.compile(r"(/sifre-sifirla/)[A-Za-z0-9_-]{16,}")


def redacted(body: str) -> str:
    """The mail as operators see it: reset and activation links without their token, so no
    operator can set a customer's password."""
    return _LINK_TOKEN.sub(r"\1…", body)


def recent(session: Session, limit: int = 100) -> list[OutboxView]:
    """The newest mail for the back office (links' tokens redacted)."""
    rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    return [
        OutboxView(
            r.id, r.to_address, r.subject, redacted(r.body), r.created_at, r.sent_at, r.error
        )
        for r in rows
    ]

"""``osos alerts run``: raise what is due, store it, send each user their digest.

Each alert is sent to a user once per channel (``alert_sends``); a user's digest goes out at
most once a day or once a week as they chose, with every alert of theirs not yet sent.
Customers get their points' reactive and contract-power alerts (the points they may see now,
:func:`osos.readmodel.access.allowed_service_point_ids`); operators get the freshness alerts.
E-mail goes through the outbox (:func:`osos.identity.outbox.queue`), SMS through the
:class:`~osos.alerts.sms.SmsSender` (a short line per alert).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.alerts import evaluate, freshness, preferences, store
from osos.alerts.messages import digest, sms_line
from osos.alerts.sms import SmsSender
from osos.alerts.store import AlertView
from osos.headend.backfill import backfill_state
from osos.identity import outbox
from osos.readmodel.access import Principal
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.store.models import User
from osos.store.models.alerts import AlertSend
from osos.timeutil import DAY, month_start_before, period_of

#: The previous month is looked at again while its last day's reads may still arrive.
LATE_READS = 3 * DAY
#: How far back a user's digest looks for alerts not yet sent to them.
LOOK_BACK = 35 * DAY


@dataclass
class RunSummary:
    raised: int = 0
    emails: int = 0
    sms: int = 0
    alerts_sent: int = 0
    held: int = 0  # findings of points still in their first back-fill: not raised yet
    backfilling: int = 0  # points still in their first back-fill
    errors: list[str] = field(default_factory=list)


def periods_due(now: dt.datetime) -> list[str]:
    """This month, and the last one during the first days of this one."""
    start = month_start_before(now)
    periods = [period_of(now)]
    if now - start < LATE_READS:
        periods.insert(0, period_of(month_start_before(now, 1)))
    return periods


def _theirs(session: Session, user: User, now: dt.datetime) -> list[AlertView]:
    principal = Principal(user.kind, user.id, user.organisation_id, user.login)
    return store.visible_to(session, principal, now, since=now - LOOK_BACK)


def _unsent(
    session: Session, user_id: int, channel: str, alerts: list[AlertView]
) -> list[AlertView]:
    sent = set(
        session.scalars(
            select(AlertSend.alert_id).where(
                AlertSend.user_id == user_id, AlertSend.channel == channel
            )
        )
    )
    return [a for a in alerts if a.id not in sent]


def _send_user(
    session: Session, settings: Settings, user: User, sms: SmsSender, summary: RunSummary
) -> None:
    now = db_now(session)
    pref = preferences.get(session, user.id)
    if not pref.enabled or not pref.due(now):
        return
    mine = [a for a in _theirs(session, user, now) if pref.wants(a.kind)]
    mail = _unsent(session, user.id, "email", mine) if user.email else []
    texts = _unsent(session, user.id, "sms", mine) if pref.sms_phone else []
    if not mail and not texts:
        return
    if mail and user.email:
        subject, body = digest(mail, user.language)
        message_id = outbox.queue(session, settings, to=user.email, subject=subject, body=body)
        session.add_all(AlertSend(alert_id=a.id, user_id=user.id, channel="email",
                                  sent_at=now, outbox_id=message_id) for a in mail)  # fmt: skip
        summary.emails += 1
        summary.alerts_sent += len(mail)
    for alert in texts:
        error = None
        try:
            sms.send(pref.sms_phone or "", sms_line(alert, user.language))
            summary.sms += 1
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
            summary.errors.append(f"sms to user {user.id}: {error}")
        session.add(AlertSend(alert_id=alert.id, user_id=user.id, channel="sms", sent_at=now,
                              error=error))  # fmt: skip
    preferences.mark_sent(session, user.id, now)
    session.flush()


def run(session: Session, settings: Settings, sms: SmsSender, now: dt.datetime) -> RunSummary:
    """Raise and store the alerts of the months due as of ``now``, then send every digest due.

    A point whose meter is still in its first back-fill (:mod:`osos.headend.backfill`) raises
    nothing yet: its month so far is history not yet read, not a customer's risk or an unread
    meter; its alerts come with the first run after its back-fill."""
    summary = RunSummary()
    periods = periods_due(now)
    found = [f for p in periods for f in evaluate.customer_findings(session, settings, p, now)]
    found += freshness.findings(session, settings.alerts, periods[-1], now)  # about now only
    backfilling = backfill_state(session, now).service_points
    summary.backfilling = len(backfilling)
    if backfilling:
        kept = [f for f in found if f.service_point not in backfilling]
        summary.held, found = len(found) - len(kept), kept
    summary.raised = len(store.record(session, found))
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
    for user in users:
        _send_user(session, settings, user, sms, summary)
    return summary

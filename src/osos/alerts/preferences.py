"""Each user's choice about alerts: on or off, a daily or weekly digest, kinds muted, SMS.

A user without a row gets the defaults (on, daily, e-mail only). Changes are audited.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from osos import audit
from osos.alerts.model import Kind
from osos.errors import InvalidInput
from osos.store.models.alerts import AlertPreference

FREQUENCIES: dict[str, dt.timedelta] = {
    "daily": dt.timedelta(days=1),
    "weekly": dt.timedelta(days=7),
}
PHONE = re.compile(r"^\+?[0-9]{10,15}$")


@dataclass(frozen=True)
class Preference:
    user_id: int
    enabled: bool = True
    frequency: str = "daily"
    muted: frozenset[str] = frozenset()
    sms_phone: str | None = None
    last_sent_at: dt.datetime | None = None

    def wants(self, kind: str) -> bool:
        return self.enabled and kind not in self.muted

    def due(self, now: dt.datetime) -> bool:
        """Whether a digest may go out now (the first one at once)."""
        return self.last_sent_at is None or now - self.last_sent_at >= FREQUENCIES[self.frequency]


def _of(row: AlertPreference) -> Preference:
    muted = frozenset(k for k in row.muted_kinds.split(",") if k)
    return Preference(
        row.user_id, row.enabled, row.frequency, muted, row.sms_phone, row.last_sent_at
    )


def get(session: Session, user_id: int) -> Preference:
    row = session.get(AlertPreference, user_id)
    return Preference(user_id) if row is None else _of(row)


def save(
    session: Session,
    user_id: int,
    *,
    enabled: bool,
    frequency: str,
    muted: Iterable[str] = (),
    sms_phone: str | None = None,
    actor: str,
) -> Preference:
    """Store the user's choice (checked: the frequency, the kinds, the number); audited."""
    if frequency not in FREQUENCIES:
        raise InvalidInput(f"frequency must be one of {', '.join(FREQUENCIES)}")
    kinds = sorted(set(muted))
    unknown = [k for k in kinds if k not in {str(k) for k in Kind}]
    if unknown:
        raise InvalidInput(f"unknown alert kinds: {', '.join(unknown)}")
    phone = (sms_phone or "").replace(" ", "") or None
    if phone is not None and not PHONE.match(phone):
        raise InvalidInput("the SMS number is 10 to 15 digits, e.g. +905321234567")
    row = session.get(AlertPreference, user_id)
    if row is None:
        row = AlertPreference(user_id=user_id, muted_kinds="")
        session.add(row)
    row.enabled, row.frequency, row.muted_kinds, row.sms_phone = (
        enabled, frequency, ",".join(kinds), phone,
    )  # fmt: skip
    audit.record(
        session, actor=actor, user_id=user_id, action="alerts.preferences",
        object_type="user", object_id=user_id,
        detail={"enabled": enabled, "frequency": frequency, "muted": kinds, "sms": bool(phone)},
    )  # fmt: skip
    session.flush()
    return _of(row)


def mark_sent(session: Session, user_id: int, at: dt.datetime) -> None:
    row = session.get(AlertPreference, user_id)
    if row is None:
        row = AlertPreference(user_id=user_id, muted_kinds="")
        session.add(row)
    row.last_sent_at = at

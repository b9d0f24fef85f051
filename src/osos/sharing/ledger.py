"""The delivery ledger as an outbox: decide what goes out, then record what the receiver said.

``prepare`` runs in one short transaction: every owed delivery whose data is complete gets its
content (``pending`` → ``ready``), deadlines at risk raise alerts, and deliveries sent with
estimates whose data has changed since queue a correction. No network I/O happens here: the
sender (:mod:`osos.sharing.sender`) claims ``ready`` rows, sends them outside any transaction
and records each receipt in a transaction of its own.

Statuses: delivery ``pending`` (owed, data incomplete) → ``ready`` → ``sending`` → ``sent``;
correction ``queued`` → ``sending`` → ``pending`` (the operator decides) → ``approved`` /
``rejected``. A ``sending`` row whose sender died goes back after :data:`CLAIM_TIMEOUT`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from osos.errors import OsosError
from osos.readmodel.intervals import IntervalSource
from osos.settings import SharingConfig
from osos.sharing.payload import (
    Period,
    Rule,
    build_meter,
    build_payload,
    canonical,
    completeness,
    data_hash,
    sha256,
)
from osos.store.models import ServicePoint
from osos.store.models.sharing import Delivery, DeliveryAlert, DeliveryCorrection
from osos.timeutil import local_iso, to_local

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = dt.timedelta(minutes=10)
"""A claimed row not answered for this long is given back (its sender stopped)."""

Estimator = Callable[[Session, int, dt.datetime], int]
"""``(session, service_point_id, until)`` → intervals estimated (stored as estimates)."""


@dataclass
class RunSummary:
    planned: int = 0
    sent: int = 0
    sent_late: int = 0
    waiting: int = 0
    held: int = 0  # waiting on a first back-fill: not late, not estimated, not alerted
    failed: int = 0
    alerts: list[str] = field(default_factory=list)
    corrections_queued: int = 0
    corrections_sent: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "sent": self.sent,
            "sent_late": self.sent_late,
            "waiting": self.waiting,
            "held": self.held,
            "failed": self.failed,
            "alerts": self.alerts,
            "corrections_queued": self.corrections_queued,
            "corrections_sent": self.corrections_sent,
        }


def file_name(delivery: Delivery, sp: ServicePoint, suffix: str = "") -> str:
    """A name that says what is inside, unique per delivery (and correction)."""
    start = to_local(delivery.period_start).strftime("%Y%m%dT%H%M")
    return f"osos-rule{delivery.rule}-{sp.etso_code or sp.no}-{start}-d{delivery.id}{suffix}"


def _payload(
    session: Session,
    delivery: Delivery,
    sp: ServicePoint,
    source: IntervalSource,
    now: dt.datetime,
) -> tuple[dict[str, Any] | None, int, int]:
    """The payload when the data is complete (else None), with (missing, estimated) counts."""
    rule = Rule(delivery.rule)
    period = Period(delivery.period_start, delivery.period_end)
    intervals = source(session, sp.id, period.start, period.end, rule.minutes)
    state = completeness(rule, period, intervals)
    if not state.complete:
        return None, state.missing, state.estimated
    meter = build_meter(rule, sp.etso_code or sp.no, period, intervals)
    return build_payload(rule, [meter], now), 0, state.estimated


def _alert(
    session: Session, delivery: Delivery, sp: ServicePoint, kind: str, now: dt.datetime, text: str
) -> str | None:
    exists = session.scalar(
        select(DeliveryAlert.id).where(
            DeliveryAlert.delivery_id == delivery.id, DeliveryAlert.kind == kind
        )
    )
    if exists is not None:
        return None
    message = (
        f"rule {delivery.rule} delivery of {sp.no} for {local_iso(delivery.period_start)} "
        f"(due {local_iso(delivery.due_at)}): {text}"
    )
    session.add(DeliveryAlert(delivery_id=delivery.id, kind=kind, raised_at=now, message=message))
    log.warning("delivery %s: %s", kind, message)
    return f"{kind}: {message}"


def _deadline_alert(
    session: Session,
    delivery: Delivery,
    sp: ServicePoint,
    now: dt.datetime,
    missing: int,
    config: SharingConfig,
) -> str | None:
    if now > delivery.due_at:
        return _alert(session, delivery, sp, "overdue", now, f"{missing} intervals missing")
    if now >= delivery.due_at - config.alert_margin:
        return _alert(session, delivery, sp, "at_risk", now, f"{missing} intervals not yet read")
    return None


def _estimate_due(
    session: Session,
    delivery: Delivery,
    now: dt.datetime,
    config: SharingConfig,
    estimator: Estimator | None,
) -> bool:
    """Estimate what is missing when the deadline is this close (regulated estimation)."""
    if estimator is None or config.estimate_before is None:
        return False
    if now < delivery.due_at - config.estimate_before:
        return False
    return estimator(session, delivery.service_point_id, delivery.period_end) > 0


def prepare(
    session: Session,
    now: dt.datetime,
    config: SharingConfig,
    source: IntervalSource,
    summary: RunSummary,
    estimator: Estimator | None = None,
    held: Collection[int] = frozenset(),
) -> None:
    """Owed deliveries whose data is complete become ``ready`` with their content; close to
    the deadline the missing intervals are estimated first (``estimator``, flagged); the rest
    wait (alerted when their deadline is near or past). Service points in ``held`` are in
    their first back-fill (:mod:`osos.headend.backfill`): what they miss is history not yet
    read, so it is neither estimated nor alerted. Rows another process is preparing are
    skipped (``SKIP LOCKED``), and no lock outlives this short transaction."""
    pending = session.scalars(
        select(Delivery)
        .where(
            Delivery.status == "pending",
            Delivery.period_end <= now,
            Delivery.due_at >= now - config.give_up_after,
        )
        .order_by(Delivery.due_at, Delivery.id)
        .with_for_update(skip_locked=True)
    ).all()
    for delivery in pending:
        sp = session.get(ServicePoint, delivery.service_point_id)
        assert sp is not None
        try:
            payload, missing, estimated = _payload(session, delivery, sp, source, now)
            backfilling = sp.id in held
            if payload is None and backfilling:
                summary.waiting += 1
                summary.held += 1
                continue
            if payload is None and _estimate_due(session, delivery, now, config, estimator):
                payload, missing, estimated = _payload(session, delivery, sp, source, now)
        except OsosError as exc:  # one bad service point must not stop the rest
            log.error("delivery %s of %s: data unavailable: %s", delivery.id, sp.no, exc)
            delivery.error = f"data unavailable: {exc}"
            summary.waiting += 1
            continue
        if payload is None:
            summary.waiting += 1
            note = _deadline_alert(session, delivery, sp, now, missing, config)
            if note:
                summary.alerts.append(note)
            continue
        content = canonical(payload)
        delivery.status = "ready"
        delivery.estimated = estimated > 0
        delivery.data_sha256 = data_hash(payload)
        delivery.content, delivery.content_sha256 = content.decode(), sha256(content)
    session.flush()


def queue_corrections(
    session: Session,
    now: dt.datetime,
    config: SharingConfig,
    source: IntervalSource,
    summary: RunSummary,
) -> None:
    """Delivered with estimates, and the data has changed since: queue a correction."""
    candidates = session.scalars(
        select(Delivery).where(
            Delivery.status == "sent",
            Delivery.estimated.is_(True),
            Delivery.sent_at >= now - config.correction_window,
        )
    ).all()
    for delivery in candidates:
        sp = session.get(ServicePoint, delivery.service_point_id)
        assert sp is not None
        try:
            payload, _missing, estimated = _payload(session, delivery, sp, source, now)
        except OsosError as exc:
            log.error("correction check of delivery %s: %s", delivery.id, exc)
            continue
        if payload is not None and _correct(session, delivery, payload, estimated, now):
            summary.corrections_queued += 1
    session.flush()


def _correct(
    session: Session, delivery: Delivery, payload: dict[str, Any], estimated: int, now: dt.datetime
) -> bool:
    new_hash = data_hash(payload)
    latest = session.scalars(
        select(DeliveryCorrection)
        .where(DeliveryCorrection.delivery_id == delivery.id)
        .order_by(DeliveryCorrection.id.desc())
        .limit(1)
    ).first()
    if new_hash == (latest.data_sha256 if latest is not None else delivery.data_sha256):
        return False
    payload["correction_of"] = delivery.id
    content = canonical(payload)
    reason = f"values changed after delivery; {estimated} interval(s) still estimated"
    if latest is not None and latest.status == "queued":
        latest.content, latest.content_sha256 = content.decode(), sha256(content)
        latest.data_sha256, latest.reason, latest.created_at = new_hash, reason, now
    else:
        session.add(
            DeliveryCorrection(
                delivery_id=delivery.id,
                created_at=now,
                status="queued",
                content=content.decode(),
                content_sha256=sha256(content),
                data_sha256=new_hash,
                reason=reason,
            )
        )
    log.info("delivery %s: correction queued (%s)", delivery.id, reason)
    return True


def release_stale_claims(session: Session, now: dt.datetime) -> None:
    """Give back rows a sender claimed and never answered (it was killed mid-send)."""
    stale = now - CLAIM_TIMEOUT
    for delivery in session.scalars(
        select(Delivery).where(
            Delivery.status == "sending",
            or_(Delivery.last_attempt_at.is_(None), Delivery.last_attempt_at < stale),
        )
    ):
        delivery.status = "ready"
    for correction in session.scalars(
        select(DeliveryCorrection).where(
            DeliveryCorrection.status == "sending",
            or_(DeliveryCorrection.sent_at.is_(None), DeliveryCorrection.sent_at < stale),
        )
    ):
        correction.status = "queued"

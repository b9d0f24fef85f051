"""The delivery ledger: what is due to the market operator, what was sent, when, and proof.

``run_due`` is the one entry point the head-end's scheduler calls (every few minutes, with its
clock's now) and ``osos deliver run`` calls once: it plans the obligations whose period has
ended, sends those whose data is complete, raises alerts for deadlines at risk, and queues a
correction when data already delivered with estimates has changed since.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from osos.domain import Generation
from osos.errors import NotFound, OsosError
from osos.runtime import Runtime
from osos.scope.service import in_osos_ids
from osos.settings import SharingConfig
from osos.sharing.payload import (
    IntervalLike,
    Period,
    Rule,
    build_meter,
    build_payload,
    canonical,
    completeness,
    data_hash,
    due_at,
    month_start,
    periods_ending,
    sha256,
    to_xlsx,
)
from osos.sharing.transport import Outgoing, Receipt, Transport, transport_for
from osos.store import db
from osos.store.models import ServicePoint
from osos.store.models.sharing import (
    Delivery,
    DeliveryAlert,
    DeliveryCorrection,
    SettlementCalendar,
)
from osos.timeutil import local_iso, month_bounds, to_local

log = logging.getLogger(__name__)

IntervalSource = Callable[[Session, int, dt.datetime, dt.datetime, int], Sequence[IntervalLike]]
"""``(session, service_point_id, start, end, minutes)`` → intervals after the multiplier."""


def mdm_source(
    session: Session, service_point_id: int, start: dt.datetime, end: dt.datetime, minutes: int
) -> Sequence[IntervalLike]:
    """The data-management layer's validated intervals (estimates flagged)."""
    from osos.mdm.service import interval_consumption

    result: Sequence[IntervalLike] = interval_consumption(
        session, service_point_id, start, end, minutes=minutes
    )
    return result


# --------------------------------------------------------------------------------------------
# Planning: which obligations exist


def rule_of(sp: ServicePoint, in_osos: bool) -> Rule | None:
    """Which delivery rule applies to a service point (None: nothing to deliver)."""
    if sp.balancing_unit:
        return Rule.BALANCING_UNIT
    if sp.generation is not Generation.NONE:
        return Rule.GENERATION
    return Rule.SETTLEMENT if in_osos else None


def _calendar_day(session: Session, period: Period) -> dt.date | None:
    key = to_local(period.start).strftime("%Y-%m")
    row = session.get(SettlementCalendar, key)
    return None if row is None else row.last_day


def set_settlement_calendar(
    session: Session, period: str, last_day: dt.date, pre_settlement_day: dt.date | None = None
) -> None:
    """Record the operator's settlement calendar of a month (YYYY-MM); pending deadlines move."""
    start, end = month_bounds(period)
    row = session.get(SettlementCalendar, period)
    if row is None:
        session.add(
            SettlementCalendar(
                period=period, last_day=last_day, pre_settlement_day=pre_settlement_day
            )
        )
    else:
        row.last_day, row.pre_settlement_day = last_day, pre_settlement_day
    deadline = due_at(Rule.SETTLEMENT, Period(start, end), SharingConfig(), last_day)
    for delivery in session.scalars(
        select(Delivery).where(
            Delivery.rule == int(Rule.SETTLEMENT),
            Delivery.status == "pending",
            Delivery.period_start == start,
        )
    ):
        delivery.due_at = deadline


def plan(session: Session, now: dt.datetime, config: SharingConfig) -> int:
    """Create the ledger rows of every period that has ended (within the look-back): what is due.

    Rule 3 always looks back to the last completed month, whatever the look-back.
    """
    osos = in_osos_ids(session, now)
    points = list(session.scalars(select(ServicePoint)))
    by_rule: dict[Rule, list[ServicePoint]] = {r: [] for r in Rule}
    for sp in points:
        rule = rule_of(sp, sp.id in osos)
        if rule is not None:
            by_rule[rule].append(sp)
    new: list[Delivery] = []
    for rule, sps in by_rule.items():
        if not sps:
            continue
        after = now - config.lookback
        if rule is Rule.SETTLEMENT:
            after = min(after, month_start(now) - dt.timedelta(seconds=1))
        periods = [
            p
            for p in periods_ending(rule, after, now)
            if config.obligations_from is None or p.start >= config.obligations_from
        ]
        if not periods:
            continue
        existing = {
            (row[0], row[1])
            for row in session.execute(
                select(Delivery.service_point_id, Delivery.period_start).where(
                    Delivery.rule == int(rule), Delivery.period_start >= periods[0].start
                )
            )
        }
        for period in periods:
            calendar = _calendar_day(session, period) if rule is Rule.SETTLEMENT else None
            deadline = due_at(rule, period, config, calendar)
            for sp in sps:
                if (sp.id, period.start) in existing:
                    continue
                new.append(
                    Delivery(
                        rule=int(rule),
                        service_point_id=sp.id,
                        period_start=period.start,
                        period_end=period.end,
                        due_at=deadline,
                        status="pending",
                        created_at=now,
                    )
                )
    if not new:
        return 0
    if session.get_bind().dialect.name != "postgresql":
        session.add_all(new)  # SQLite: one writer at a time, no race to lose
        session.flush()
        return len(new)
    try:
        with session.begin_nested():
            session.add_all(new)
    except IntegrityError:
        log.info("deliveries: another run planned the same obligations; theirs stand")
        return 0
    return len(new)


# --------------------------------------------------------------------------------------------
# Sending


@dataclass
class RunSummary:
    planned: int = 0
    sent: int = 0
    sent_late: int = 0
    waiting: int = 0
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
            "failed": self.failed,
            "alerts": self.alerts,
            "corrections_queued": self.corrections_queued,
            "corrections_sent": self.corrections_sent,
        }


def _name(delivery: Delivery, sp: ServicePoint, suffix: str = "") -> str:
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


def _outgoing(name: str, payload: dict[str, Any]) -> Outgoing:
    content = canonical(payload)
    return Outgoing(name=name, content=content, sha256=sha256(content), xlsx=to_xlsx(payload))


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


def _record(delivery: Delivery, receipt: Receipt, item: Outgoing, now: dt.datetime) -> None:
    delivery.attempts += receipt.attempts
    delivery.last_attempt_at = now
    delivery.destination = receipt.destination[:500]
    delivery.receiver_status = receipt.status
    delivery.receiver_answer = receipt.answer
    if receipt.ok:
        delivery.status = "sent"
        delivery.sent_at = now
        delivery.ack = receipt.ack
        delivery.content = item.content.decode()
        delivery.content_sha256 = item.sha256
        delivery.error = None
    else:
        delivery.error = receipt.answer or "not delivered"


def _send_pending(
    session: Session,
    now: dt.datetime,
    config: SharingConfig,
    transport: Transport,
    source: IntervalSource,
    summary: RunSummary,
) -> None:
    pending = session.scalars(
        select(Delivery)
        .where(
            Delivery.status == "pending",
            Delivery.period_end <= now,
            Delivery.due_at >= now - config.give_up_after,
        )
        .order_by(Delivery.due_at, Delivery.id)
        .with_for_update(skip_locked=True)  # two head-ends never send the same delivery
    ).all()
    for delivery in pending:
        sp = session.get(ServicePoint, delivery.service_point_id)
        assert sp is not None
        try:
            payload, missing, estimated = _payload(session, delivery, sp, source, now)
        except (OsosError, ValueError) as exc:  # one bad service point must not stop the rest
            log.error("delivery %s of %s: data unavailable: %s", delivery.id, sp.no, exc)
            delivery.error = f"data unavailable: {exc}"
            summary.waiting += 1
            continue
        if payload is None:
            summary.waiting += 1
            if now > delivery.due_at:
                note = _alert(session, delivery, sp, "overdue", now, f"{missing} intervals missing")
            elif now >= delivery.due_at - config.alert_margin:
                note = _alert(
                    session, delivery, sp, "at_risk", now, f"{missing} intervals not yet read"
                )
            else:
                note = None
            if note:
                summary.alerts.append(note)
            continue
        item = _outgoing(_name(delivery, sp), payload)
        receipt = transport.send(item)
        delivery.estimated = estimated > 0
        delivery.data_sha256 = data_hash(payload)
        _record(delivery, receipt, item, now)
        if not receipt.ok:
            summary.failed += 1
            log.warning("delivery %s failed: %s", item.name, receipt.answer)
        elif now > delivery.due_at:
            summary.sent_late += 1
        else:
            summary.sent += 1


# --------------------------------------------------------------------------------------------
# Corrections


def _queue_corrections(
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
        except (OsosError, ValueError) as exc:
            log.error("correction check of delivery %s: %s", delivery.id, exc)
            continue
        if payload is None:
            continue
        new_hash = data_hash(payload)
        latest = session.scalars(
            select(DeliveryCorrection)
            .where(DeliveryCorrection.delivery_id == delivery.id)
            .order_by(DeliveryCorrection.id.desc())
            .limit(1)
        ).first()
        known = latest.data_sha256 if latest is not None else delivery.data_sha256
        if new_hash == known:
            continue
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
        summary.corrections_queued += 1
        log.info("delivery %s: correction queued (%s)", delivery.id, reason)
    session.flush()


def _send_corrections(
    session: Session, now: dt.datetime, transport: Transport, summary: RunSummary
) -> None:
    queued = session.scalars(
        select(DeliveryCorrection).where(DeliveryCorrection.status == "queued")
    ).all()
    for correction in queued:
        delivery = session.get(Delivery, correction.delivery_id)
        assert delivery is not None
        sp = session.get(ServicePoint, delivery.service_point_id)
        assert sp is not None
        content = correction.content.encode()
        payload = json.loads(content)
        item = Outgoing(
            name=_name(delivery, sp, f"-c{correction.id}"),
            content=content,
            sha256=correction.content_sha256,
            xlsx=to_xlsx(payload),
        )
        receipt = transport.send(item)
        correction.receiver_status = receipt.status
        correction.receiver_answer = receipt.answer
        if receipt.ok:
            correction.status = "pending"  # the operator decides: approved or rejected
            correction.sent_at = now
            summary.corrections_sent += 1


def record_correction_answer(
    session: Session, correction_id: int, *, approved: bool, by: str, at: dt.datetime
) -> None:
    """The market operator's decision on a correction (pending → approved / rejected)."""
    correction = session.get(DeliveryCorrection, correction_id)
    if correction is None:
        raise NotFound(f"no correction {correction_id}")
    correction.status = "approved" if approved else "rejected"
    correction.decided_by, correction.decided_at = by, at


# --------------------------------------------------------------------------------------------
# The entry point


def run_due_in_session(
    session: Session,
    now: dt.datetime,
    *,
    transport: Transport,
    config: SharingConfig | None = None,
    source: IntervalSource | None = None,
) -> RunSummary:
    config = config or SharingConfig()
    source = source or mdm_source
    summary = RunSummary()
    summary.planned = plan(session, now, config)
    _send_pending(session, now, config, transport, source, summary)
    _queue_corrections(session, now, config, source, summary)
    _send_corrections(session, now, transport, summary)
    session.flush()
    return summary


def run_due(
    runtime_or_session: Runtime | Session,
    now: dt.datetime,
    *,
    transport: Transport | None = None,
    config: SharingConfig | None = None,
    source: IntervalSource | None = None,
) -> RunSummary:
    """Run the deliveries due at ``now`` (the head-end calls this on schedule, e.g. every 5 min).

    With a Runtime it commits its own transaction; with a Session the caller commits. The
    transport defaults to ``Settings.delivery_url`` (``OSOS_DELIVERY_URL``).
    """
    config = config or SharingConfig()
    if isinstance(runtime_or_session, Runtime):
        runtime = runtime_or_session
        transport = transport or transport_for(
            runtime.settings.sharing.delivery_url,
            attempts=config.http_attempts,
            backoff_s=config.http_backoff_s,
            timeout_s=config.http_timeout_s,
        )
        with db.transaction(runtime.sessions) as session:
            return run_due_in_session(
                session, now, transport=transport, config=config, source=source
            )
    if transport is None:
        raise TypeError("run_due with a Session needs a transport")
    return run_due_in_session(
        runtime_or_session, now, transport=transport, config=config, source=source
    )


class DeliveryHook:
    """The head-end's after-tick hook: ``run_due`` at most once per ``every``, on the tick's
    clock, and silently idle while ``OSOS_DELIVERY_URL`` is not set (logged once).

    The composition root (:mod:`osos.app.headend`) passes it to the head-end.
    """

    def __init__(
        self,
        every: dt.timedelta = dt.timedelta(minutes=5),
        config: SharingConfig | None = None,
        source: IntervalSource | None = None,
    ) -> None:
        self.every = every
        self.config = config
        self.source = source
        self.last_run: dt.datetime | None = None
        self._warned = False

    def __call__(self, runtime: Runtime, now: dt.datetime) -> RunSummary | None:
        if self.last_run is not None and now - self.last_run < self.every:
            return None
        if not runtime.settings.sharing.delivery_url:
            if not self._warned:
                log.info("deliveries idle: OSOS_DELIVERY_URL is not set")
                self._warned = True
            return None
        self.last_run = now
        summary = run_due(
            runtime, now, config=self.config or runtime.settings.sharing, source=self.source
        )
        if summary.sent or summary.sent_late or summary.failed or summary.alerts:
            log.info(
                "deliveries: planned %d, sent %d on time and %d late, %d waiting, %d failed, "
                "%d new alert(s), corrections queued %d / sent %d",
                summary.planned,
                summary.sent,
                summary.sent_late,
                summary.waiting,
                summary.failed,
                len(summary.alerts),
                summary.corrections_queued,
                summary.corrections_sent,
            )
        return summary


@dataclass(frozen=True)
class CorrectionView:
    id: int
    delivery_id: int
    rule: int
    service_point: str
    period_start: dt.datetime
    status: str
    reason: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "delivery_id": self.delivery_id,
            "rule": self.rule,
            "service_point": self.service_point,
            "period_start": local_iso(self.period_start),
            "status": self.status,
            "reason": self.reason,
            "created_at": local_iso(self.created_at),
            "sent_at": local_iso(self.sent_at),
            "decided_at": local_iso(self.decided_at),
        }


def list_corrections(session: Session, status: str | None = None) -> list[CorrectionView]:
    """Corrections with their delivery, newest first (for the back office)."""
    query = (
        select(DeliveryCorrection, Delivery.rule, Delivery.period_start, ServicePoint.no)
        .join(Delivery, Delivery.id == DeliveryCorrection.delivery_id)
        .join(ServicePoint, ServicePoint.id == Delivery.service_point_id)
        .order_by(DeliveryCorrection.id.desc())
    )
    if status is not None:
        query = query.where(DeliveryCorrection.status == status)
    return [
        CorrectionView(
            c.id, c.delivery_id, rule, no, start, c.status, c.reason, c.created_at, c.sent_at,
            c.decided_at,
        )
        for c, rule, start, no in session.execute(query)
    ]  # fmt: skip

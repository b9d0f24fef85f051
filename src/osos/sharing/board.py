"""Read-only views of the delivery ledger: the back office board and the compliance report."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from osos.headend.backfill import backfill_state
from osos.settings import SharingConfig
from osos.sharing.payload import Rule
from osos.store.models import ServicePoint
from osos.store.models.sharing import Delivery, DeliveryAlert, DeliveryCorrection
from osos.timeutil import local_iso, month_bounds


def delivery_state(
    delivery: Delivery,
    now: dt.datetime,
    margin: dt.timedelta = dt.timedelta(minutes=30),
    backfilling: bool = False,
) -> str:
    """sent | sent_late | waiting | at_risk | late (pending past its deadline: missing so far)
    | backfill (unsent while its point's first back-fill is still reading the history)."""
    if delivery.status == "sent" and delivery.sent_at is not None:
        return "sent" if delivery.sent_at <= delivery.due_at else "sent_late"
    if backfilling and delivery.status == "pending":
        return "backfill"
    if now > delivery.due_at:
        return "late"
    if now >= delivery.due_at - margin:
        return "at_risk"
    return "waiting"


@dataclass(frozen=True)
class BoardRow:
    delivery_id: int
    rule: int
    service_point: str
    eic: str | None
    period_start: dt.datetime
    period_end: dt.datetime
    due_at: dt.datetime
    state: str
    seconds_left: int  # negative once the deadline has passed
    sent_at: dt.datetime | None
    delay_s: int | None  # how late it was sent
    estimated: bool
    attempts: int
    last_error: str | None
    alerts: tuple[str, ...]
    corrections: tuple[str, ...]  # the status of each correction

    def to_json(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "rule": self.rule,
            "service_point": self.service_point,
            "eic": self.eic,
            "period_start": local_iso(self.period_start),
            "period_end": local_iso(self.period_end),
            "due_at": local_iso(self.due_at),
            "state": self.state,
            "seconds_left": self.seconds_left,
            "sent_at": local_iso(self.sent_at),
            "delay_s": self.delay_s,
            "estimated": self.estimated,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "alerts": list(self.alerts),
            "corrections": list(self.corrections),
        }


_ORDER = {"late": 0, "at_risk": 1, "backfill": 2, "waiting": 3, "sent_late": 4, "sent": 5}


def delivery_board(
    session: Session,
    now: dt.datetime,
    *,
    recent: dt.timedelta = dt.timedelta(days=1),
    config: SharingConfig | None = None,
) -> list[BoardRow]:
    """Every unsent delivery and those sent within ``recent``: late first, then by deadline,
    with the countdown to each deadline (for the back office page)."""
    margin = (config or SharingConfig()).alert_margin
    held = backfill_state(session, now).service_point_ids
    rows = session.execute(
        select(Delivery, ServicePoint.no, ServicePoint.etso_code)
        .join(ServicePoint, ServicePoint.id == Delivery.service_point_id)
        .where(or_(Delivery.status != "sent", Delivery.sent_at >= now - recent))
    ).all()
    ids = [d.id for d, _no, _eic in rows]
    alerts: dict[int, list[str]] = defaultdict(list)
    corrections: dict[int, list[str]] = defaultdict(list)
    if ids:
        for delivery_id, kind in session.execute(
            select(DeliveryAlert.delivery_id, DeliveryAlert.kind).where(
                DeliveryAlert.delivery_id.in_(ids)
            )
        ):
            alerts[delivery_id].append(kind)
        for delivery_id, status in session.execute(
            select(DeliveryCorrection.delivery_id, DeliveryCorrection.status)
            .where(DeliveryCorrection.delivery_id.in_(ids))
            .order_by(DeliveryCorrection.id)
        ):
            corrections[delivery_id].append(status)
    board = []
    for delivery, no, eic in rows:
        delay = None
        if delivery.sent_at is not None and delivery.sent_at > delivery.due_at:
            delay = int((delivery.sent_at - delivery.due_at).total_seconds())
        board.append(
            BoardRow(
                delivery_id=delivery.id,
                rule=delivery.rule,
                service_point=no,
                eic=eic,
                period_start=delivery.period_start,
                period_end=delivery.period_end,
                due_at=delivery.due_at,
                state=delivery_state(delivery, now, margin, delivery.service_point_id in held),
                seconds_left=int((delivery.due_at - now).total_seconds()),
                sent_at=delivery.sent_at,
                delay_s=delay,
                estimated=delivery.estimated,
                attempts=delivery.attempts,
                last_error=delivery.error,
                alerts=tuple(alerts[delivery.id]),
                corrections=tuple(corrections[delivery.id]),
            )
        )
    board.sort(key=lambda r: (_ORDER[r.state], r.due_at, r.service_point))
    return board


@dataclass
class RuleCompliance:
    rule: int
    label: str
    due: int = 0  # obligations whose deadline has passed
    on_time: int = 0
    late: int = 0
    max_delay_s: int = 0
    total_delay_s: int = 0
    missing: int = 0  # past the deadline and still not sent
    not_yet_due: int = 0
    estimated: int = 0
    corrections: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "label": self.label,
            "due": self.due,
            "on_time": self.on_time,
            "late": self.late,
            "max_delay_s": self.max_delay_s,
            "average_delay_s": self.total_delay_s // self.late if self.late else 0,
            "missing": self.missing,
            "not_yet_due": self.not_yet_due,
            "estimated": self.estimated,
            "corrections": self.corrections,
        }


def compliance_report(session: Session, period: str, now: dt.datetime) -> list[RuleCompliance]:
    """Per rule, for the deliveries whose data period starts in ``period`` (YYYY-MM): due,
    on time, late with delay, missing, estimated, corrected (corrections by status)."""
    start, end = month_bounds(period)
    report = {r.value: RuleCompliance(r.value, r.label) for r in Rule}
    deliveries = session.scalars(
        select(Delivery).where(Delivery.period_start >= start, Delivery.period_start < end)
    ).all()
    for d in deliveries:
        line = report[d.rule]
        if d.estimated:
            line.estimated += 1
        if d.status == "sent" and d.sent_at is not None:
            line.due += 1
            if d.sent_at <= d.due_at:
                line.on_time += 1
            else:
                delay = int((d.sent_at - d.due_at).total_seconds())
                line.late += 1
                line.total_delay_s += delay
                line.max_delay_s = max(line.max_delay_s, delay)
        elif now > d.due_at:
            line.due += 1
            line.missing += 1
        else:
            line.not_yet_due += 1
    counts: Counter[tuple[int, str]] = Counter()
    for rule, status, n in session.execute(
        select(Delivery.rule, DeliveryCorrection.status, func.count())
        .join(Delivery, Delivery.id == DeliveryCorrection.delivery_id)
        .where(Delivery.period_start >= start, Delivery.period_start < end)
        .group_by(Delivery.rule, DeliveryCorrection.status)
    ):
        counts[(rule, status)] += n
    for (rule, status), n in counts.items():
        report[rule].corrections[status] = n
    return list(report.values())

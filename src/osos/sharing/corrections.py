"""Corrections of delivered data: the list the back office shows and the operator's answers.

A correction is queued by the ledger when data delivered with estimates changes; the sender
sends it; the market operator then approves or rejects it (pending → approved / rejected).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.errors import NotFound
from osos.store.models import ServicePoint
from osos.store.models.sharing import Delivery, DeliveryCorrection
from osos.timeutil import local_iso


def record_correction_answer(
    session: Session, correction_id: int, *, approved: bool, by: str, at: dt.datetime
) -> None:
    """The market operator's decision on a correction (pending → approved / rejected)."""
    correction = session.get(DeliveryCorrection, correction_id)
    if correction is None:
        raise NotFound(f"no correction {correction_id}")
    correction.status = "approved" if approved else "rejected"
    correction.decided_by, correction.decided_at = by, at


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

"""Alerts kept: each raised once per level (its key), listed for the panel and the back office."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.alerts.model import CUSTOMER_KINDS, OPERATOR_KINDS, AlertFinding
from osos.readmodel.access import Principal, allowed_service_point_ids
from osos.store.db import now as db_now
from osos.store.models import ServicePoint
from osos.store.models.alerts import Alert


@dataclass(frozen=True)
class AlertView:
    id: int
    service_point: str | None
    kind: str
    level: str
    period: str | None
    value: Decimal | None
    limit: Decimal | None
    excess_kvarh: Decimal | None
    advice_kvar: Decimal | None
    detail: dict[str, Any]
    raised_at: dt.datetime


def record(session: Session, findings: Sequence[AlertFinding]) -> list[Alert]:
    """Store the findings not raised before (by key); returns the new rows."""
    if not findings:
        return []
    keys = {f.key for f in findings}
    known = set(session.scalars(select(Alert.key).where(Alert.key.in_(keys))))
    numbers = {f.service_point for f in findings if f.service_point}
    query = select(ServicePoint.no, ServicePoint.id).where(ServicePoint.no.in_(numbers))
    ids = {no: sp_id for no, sp_id in session.execute(query)}
    now = db_now(session)
    new = []
    for f in findings:
        if f.key in known:
            continue
        known.add(f.key)
        row = Alert(
            key=f.key, kind=str(f.kind), level=str(f.level), period=f.period,
            service_point_id=ids.get(f.service_point or ""), value=f.value,
            limit_value=f.limit, excess_kvarh=f.excess_kvarh, advice_kvar=f.advice_kvar,
            detail=json.dumps(dict(f.extra), ensure_ascii=False), raised_at=now,
        )  # fmt: skip
        session.add(row)
        new.append(row)
    session.flush()
    return new


def view(row: Alert, service_point: str | None) -> AlertView:
    return AlertView(
        row.id, service_point, row.kind, row.level, row.period, row.value, row.limit_value,
        row.excess_kvarh, row.advice_kvar, json.loads(row.detail or "{}"), row.raised_at,
    )  # fmt: skip


def listed(
    session: Session,
    *,
    service_point_ids: set[int] | None = None,
    kinds: Sequence[str] | None = None,
    since: dt.datetime | None = None,
    limit: int = 200,
) -> list[AlertView]:
    """Stored alerts, newest first, of the given points (None: all) and kinds."""
    query = (
        select(Alert, ServicePoint.no)
        .outerjoin(ServicePoint, ServicePoint.id == Alert.service_point_id)
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    if service_point_ids is not None:
        query = query.where(Alert.service_point_id.in_(service_point_ids))
    if kinds is not None:
        query = query.where(Alert.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(Alert.raised_at >= since)
    return [view(row, no) for row, no in session.execute(query)]


def visible_to(
    session: Session, principal: Principal, now: dt.datetime, since: dt.datetime | None = None
) -> list[AlertView]:
    """The alerts a user is told about: staff the operators' kinds, everyone else the
    customers' kinds of the points they may see now."""
    if principal.is_staff:
        return listed(session, kinds=[str(k) for k in OPERATOR_KINDS], since=since)
    ids = allowed_service_point_ids(session, principal, now)
    if not ids:
        return []
    kinds = [str(k) for k in CUSTOMER_KINDS]
    return listed(session, service_point_ids=ids, kinds=kinds, since=since)


def month_alerts(session: Session, service_point_id: int, period: str) -> dict[str, AlertView]:
    """The month's customer alerts of a point, the highest level of each kind (the screens'
    header states them)."""
    rows = session.scalars(
        select(Alert)
        .where(
            Alert.service_point_id == service_point_id,
            Alert.period == period,
            Alert.kind.in_([str(k) for k in CUSTOMER_KINDS]),
        )
        .order_by(Alert.raised_at, Alert.id)
    )
    found: dict[str, AlertView] = {}
    for row in rows:
        if row.kind not in found or row.level == "exceeded":
            found[row.kind] = view(row, None)
    return found

"""Operators' alerts: meters unread for the set hours, deliveries whose deadline is at risk.

A meter counts when it is installed at ``as_of``, remotely readable (a modem) and the head-end
has tried it (a meter not yet planned, as during a first start, is not "unread"); unread since
its last successful read (or its installation, when never read). A delivery at risk is the
sharing layer's own alert (``delivery_alerts``: ``at_risk`` → close, ``overdue`` → exceeded).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.alerts.figures import month_cut
from osos.alerts.model import AlertFinding, Kind, Level
from osos.domain import CommMode
from osos.settings import AlertSettings
from osos.store.models import Installation, Meter, MeterCommStatus, ServicePoint
from osos.store.models.sharing import Delivery, DeliveryAlert
from osos.timeutil import local_iso

TENTH = Decimal("0.1")
DELIVERY_LEVELS = {"at_risk": Level.CLOSE, "overdue": Level.EXCEEDED}


def hours(span: dt.timedelta) -> Decimal:
    """A duration in hours to a tenth (exact: minutes ÷ 60, rounded half up)."""
    minutes = Decimal(span // dt.timedelta(minutes=1))
    return (minutes / 60).quantize(TENTH, rounding=ROUND_HALF_UP)


def unread_meters(
    session: Session, config: AlertSettings, period: str, as_of: dt.datetime
) -> list[AlertFinding]:
    rows = session.execute(
        select(ServicePoint.no, Meter.serial, Installation.installed_at,
               MeterCommStatus.last_success_at)
        .join(Installation, Installation.service_point_id == ServicePoint.id)
        .join(Meter, Meter.id == Installation.meter_id)
        .join(MeterCommStatus, MeterCommStatus.meter_id == Meter.id)
        .where(
            Installation.at(as_of),
            Meter.comm_mode != CommMode.NONE,
            MeterCommStatus.last_attempt_at.is_not(None),
        )
        .order_by(ServicePoint.no)
    ).all()  # fmt: skip
    found = []
    for no, serial, installed_at, last in rows:
        since = last or installed_at
        if as_of - since < config.unread:
            continue
        found.append(
            AlertFinding(
                no, Kind.METER_UNREAD, Level.EXCEEDED, period,
                hours(as_of - since),
                hours(config.unread),
                subject=f"{serial}@{local_iso(since)}",
                extra={"meter_serial": serial, "last_read": local_iso(last)},
            )
        )  # fmt: skip
    return found


def deliveries_at_risk(session: Session, period: str, as_of: dt.datetime) -> list[AlertFinding]:
    start, _cut, _end = month_cut(period, as_of)
    rows = session.execute(
        select(ServicePoint.no, DeliveryAlert.kind, DeliveryAlert.message, Delivery.id,
               Delivery.rule, Delivery.due_at)
        .join(Delivery, Delivery.id == DeliveryAlert.delivery_id)
        .join(ServicePoint, ServicePoint.id == Delivery.service_point_id)
        .where(DeliveryAlert.raised_at >= start, DeliveryAlert.raised_at <= as_of)
        .order_by(DeliveryAlert.raised_at)
    ).all()  # fmt: skip
    return [
        AlertFinding(
            no, Kind.DELIVERY_AT_RISK, DELIVERY_LEVELS.get(kind, Level.CLOSE), period, None, None,
            subject=f"delivery {delivery_id}",
            extra={"rule": rule, "due_at": local_iso(due_at), "message": message},
        )
        for no, kind, message, delivery_id, rule, due_at in rows
    ]  # fmt: skip


def findings(
    session: Session, config: AlertSettings, period: str, as_of: dt.datetime
) -> list[AlertFinding]:
    return unread_meters(session, config, period, as_of) + deliveries_at_risk(
        session, period, as_of
    )

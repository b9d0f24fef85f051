"""What a month raises as of an instant, read from the store: ``osos alerts preview``.

Customers' alerts (reactive risk, contract power) come from each point's own quarters so far
(:mod:`osos.alerts.figures`) with the reactive limits in force for that month
(:func:`osos.regulation.settings_at`); operators' alerts are the freshness of the meters
(:mod:`osos.alerts.freshness`). Nothing here sends or stores.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from osos.alerts import freshness
from osos.alerts.figures import (
    PointMonth,
    contract_finding,
    month_cut,
    reactive_findings,
    usable,
)
from osos.alerts.model import AlertFinding
from osos.mdm.intervals import interval_consumption
from osos.mdm.months import reactive_exempt
from osos.mdm.reactive import limits_for
from osos.regulation import settings_at
from osos.settings import AlertSettings, ReactiveLimits, Settings
from osos.store.models import Installation, ServicePoint


def _points(session: Session, start: dt.datetime, cut: dt.datetime) -> list[ServicePoint]:
    """Service points with a meter installed some time in ``[start, cut)``."""
    ids = select(Installation.service_point_id).where(
        Installation.installed_at < cut,
        or_(Installation.removed_at.is_(None), Installation.removed_at > start),
    )
    query = select(ServicePoint).where(ServicePoint.id.in_(ids)).order_by(ServicePoint.no)
    return list(session.scalars(query))


def point_month(
    session: Session,
    sp: ServicePoint,
    period: str,
    bounds: tuple[dt.datetime, dt.datetime, dt.datetime],
    limits: ReactiveLimits,
) -> PointMonth:
    start, cut, end = bounds
    quarters = tuple(interval_consumption(session, sp.id, start, cut)) if cut > start else ()
    exempt = reactive_exempt(sp)
    return PointMonth(
        service_point=sp.no,
        period=period,
        start=start,
        cut=cut,
        end=end,
        quarters=usable(quarters),
        demand_quarters=quarters,
        limits=None if exempt else limits_for(sp.installed_power_kva, limits),
        contract_kw=sp.contract_power_kw,
    )


def customer_findings(
    session: Session, settings: Settings, period: str, as_of: dt.datetime
) -> list[AlertFinding]:
    """Reactive risk and contract power of every point with a meter in the month so far."""
    bounds = month_cut(period, as_of)
    limits = settings_at(session, settings, bounds[0]).reactive
    config: AlertSettings = settings.alerts
    found: list[AlertFinding] = []
    for sp in _points(session, bounds[0], bounds[1]):
        month = point_month(session, sp, period, bounds, limits)
        found.extend(reactive_findings(month, config.close_share, config.kvar_step))
        contract = contract_finding(month)
        if contract is not None:
            found.append(contract)
    return found


def preview(
    session: Session, settings: Settings, period: str, as_of: dt.datetime
) -> list[AlertFinding]:
    """Every alert the month raises as of ``as_of``: customers' first, then operators'."""
    found = customer_findings(session, settings, period, as_of)
    found.extend(freshness.findings(session, settings.alerts, period, as_of))
    return found

"""A month of one service point, or of all, computed from the store: the MDM's monthly run.

Each function reads what it needs with one query per table (:mod:`osos.mdm.loading`) and hands
frozen values to the pure modules (billing, segments, tariff, reactive, demand).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import TariffGroup
from osos.errors import InvalidInput, NotFound
from osos.mdm import loading
from osos.mdm.billing import MonthInput, MonthlyReport, compute_month
from osos.mdm.model import (
    InstallationSpan,
    MeterData,
)
from osos.regulation import settings_at
from osos.settings import Settings
from osos.store.models import ServicePoint
from osos.timeutil import month_bounds

EXEMPT_POWER_KW = Decimal("9")


def parse_period(period: str) -> tuple[dt.datetime, dt.datetime]:
    """'YYYY-MM' → (start, end) UTC; ValueError naming the bad text otherwise."""
    text = period.strip()
    if len(text) != 7 or text[4] != "-":
        raise InvalidInput(f"period must be YYYY-MM, got {period!r}")
    start, end = month_bounds(text)
    return start, end


def reactive_exempt(sp: ServicePoint) -> bool:
    """Residential and lighting tariffs and connections up to 9 kW are exempt (DOMAIN.md)."""
    if sp.tariff_group in (TariffGroup.RESIDENCE, TariffGroup.LIGHTING):
        return True
    return sp.contract_power_kw is not None and sp.contract_power_kw <= EXEMPT_POWER_KW


def service_point_by_no(session: Session, no: str) -> ServicePoint:
    sp = session.execute(select(ServicePoint).where(ServicePoint.no == no)).scalar_one_or_none()
    if sp is None:
        raise NotFound(f"unknown service point {no!r}")
    return sp


def service_point(session: Session, service_point_id: int) -> ServicePoint:
    sp = session.get(ServicePoint, service_point_id)
    if sp is None:
        raise NotFound(f"unknown service point id {service_point_id}")
    return sp


def meters_of(spans: Sequence[InstallationSpan]) -> dict[int, str]:
    return {s.meter_id: s.meter_serial for s in spans}


def month_input(
    sp: ServicePoint,
    period: str,
    start: dt.datetime,
    end: dt.datetime,
    spans: Sequence[InstallationSpan],
    meters: Mapping[int, MeterData],
) -> MonthInput:
    return MonthInput(
        service_point_no=sp.no,
        period=period,
        start=start,
        end=end,
        spans=tuple(spans),
        meters=meters,
        installed_power_kva=sp.installed_power_kva,
        reactive_exempt=reactive_exempt(sp),
    )


def compute_for(
    session: Session, sp: ServicePoint, period: str, settings: Settings
) -> MonthlyReport:
    start, end = parse_period(period)
    spans = loading.installation_spans(session, [sp.id], start, end)[sp.id]
    meters = loading.meter_data(session, meters_of(spans), start, end)
    limits = settings_at(session, settings, start).reactive  # the limits of that month
    return compute_month(month_input(sp, period, start, end, spans, meters), limits)


def monthly_all(
    session: Session,
    period: str,
    settings: Settings,
    *,
    chunk: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[MonthlyReport]:
    """Every service point's month, read in bulk per chunk of service points (one query per
    table per chunk) so memory stays bounded while the database does few round trips."""
    start, end = parse_period(period)
    limits = settings_at(session, settings, start).reactive
    sps = list(session.execute(select(ServicePoint).order_by(ServicePoint.no)).scalars())
    for k in range(0, len(sps), chunk):
        part = sps[k : k + chunk]
        spans = loading.installation_spans(session, [sp.id for sp in part], start, end)
        serials: dict[int, str] = {}
        for sp_spans in spans.values():
            serials.update(meters_of(sp_spans))
        meters = loading.meter_data(session, serials, start, end)
        for sp in part:
            yield compute_month(
                month_input(sp, period, start, end, spans[sp.id], meters),
                limits,
            )
        if progress is not None:
            progress(min(k + chunk, len(sps)), len(sps))

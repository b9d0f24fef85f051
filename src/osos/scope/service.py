"""Gathers the facts the scope rules need from the database, and records inclusion decisions.

Annual consumption is the simple sum of 1.8.0 differences over the stored reads of the last
12 months (load-profile indexes and readouts), per installation and times its multiplier,
annualised when less than a year is stored: enough to decide 'above the limit'.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from osos.channels import from_milli
from osos.domain import CommMode, Generation
from osos.errors import NotFound
from osos.scope.rules import (
    COMPANY_DECISION,
    VOLUNTARY,
    Evaluation,
    ScopeConfig,
    ServicePointFacts,
    evaluate_all,
)
from osos.store.models import (
    Installation,
    Meter,
    ProfileInterval,
    ReadoutValue,
    ServicePoint,
)
from osos.store.models.sharing import ScopeCompanyDecision, ScopeInclusionRequest
from osos.timeutil import to_local

READABLE = (CommMode.DIAL_OUT, CommMode.DIAL_IN)
YEAR = dt.timedelta(days=365)
HOURS_PER_YEAR = Decimal(8760)


@dataclass(frozen=True)
class _Reading:
    at: dt.datetime
    value: Decimal


def _current(inst: Installation, at: dt.datetime) -> bool:
    return inst.installed_at <= at and (inst.removed_at is None or inst.removed_at > at)


def _first_last(
    session: Session, meter_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[_Reading, _Reading] | None:
    """The earliest and latest 1.8.0 reading of a meter in [start, end], from any source."""
    readings: list[_Reading] = []
    col = ProfileInterval.__table__.c
    for order in (col.end_at.asc(), col.end_at.desc()):
        row = session.execute(
            select(col.end_at, col.r1_8_0)
            .where(
                col.meter_id == meter_id,
                col.end_at >= start,
                col.end_at <= end,
                col.r1_8_0.is_not(None),
            )
            .order_by(order)
            .limit(1)
        ).first()
        if row is not None:
            readings.append(_Reading(row[0], from_milli(row[1])))
    for order in (ReadoutValue.read_at.asc(), ReadoutValue.read_at.desc()):
        value = session.execute(
            select(ReadoutValue.read_at, ReadoutValue.number)
            .where(
                ReadoutValue.meter_id == meter_id,
                ReadoutValue.obis == "1.8.0",
                ReadoutValue.read_at >= start,
                ReadoutValue.read_at <= end,
                ReadoutValue.number.is_not(None),
            )
            .order_by(order)
            .limit(1)
        ).first()
        if value is not None and value[1] is not None:
            readings.append(_Reading(value[0], value[1]))
    if not readings:
        return None
    first = min(readings, key=lambda r: r.at)
    last = max(readings, key=lambda r: r.at)
    return first, last


def annual_consumption_kwh(
    session: Session, service_point: ServicePoint, at: dt.datetime, config: ScopeConfig
) -> Decimal | None:
    """kWh of the 12 months before ``at``, annualised; None with too little data to tell."""
    start = at - YEAR
    total = Decimal(0)
    covered = dt.timedelta(0)
    for inst in service_point.installations:
        lo = max(start, inst.installed_at)
        hi = min(at, inst.removed_at or at)
        if lo >= hi:
            continue
        span = _first_last(session, inst.meter_id, lo, hi)
        if span is None:
            continue
        first, last = span
        total += (last.value - first.value) * inst.multiplier
        covered += last.at - first.at
    if covered < dt.timedelta(days=config.min_coverage_days):
        return None
    if covered >= YEAR:
        return total
    return (total * Decimal(YEAR.total_seconds()) / Decimal(covered.total_seconds())).quantize(
        Decimal("0.001")
    )


def contract_estimate_kwh(sp: ServicePoint, config: ScopeConfig) -> Decimal | None:
    """Annual kWh from the contract power when nothing is stored yet (a new connection)."""
    if config.contract_load_factor is None or not sp.contract_power_kw:
        return None
    return (sp.contract_power_kw * HOURS_PER_YEAR * config.contract_load_factor).quantize(
        Decimal("0.001")
    )


def _group_key(meter: Meter) -> str | None:
    if meter.host and meter.port:
        return f"{meter.host}:{meter.port}"
    return None


def gather_facts(
    session: Session, at: dt.datetime, config: ScopeConfig | None = None
) -> list[ServicePointFacts]:
    """The facts of every service point at ``at`` (UTC), for ``osos.scope.rules``."""
    config = config or ScopeConfig()
    points = list(
        session.scalars(
            select(ServicePoint)
            .options(selectinload(ServicePoint.installations).selectinload(Installation.meter))
            .order_by(ServicePoint.no)
        )
    )
    generation_of = {sp.id: sp.generation for sp in points}
    voluntary = set(
        session.scalars(
            select(ScopeInclusionRequest.service_point_id).where(
                ScopeInclusionRequest.status == "approved"
            )
        )
    )
    decided = set(session.scalars(select(ScopeCompanyDecision.service_point_id)))
    partial: list[tuple[ServicePoint, Decimal | None, bool, str | None, bool]] = []
    groups: dict[str, list[Decimal | None]] = defaultdict(list)
    for sp in points:
        current = [i for i in sp.installations if _current(i, at)]
        readable = any(i.meter.comm_mode in READABLE for i in current)
        key = next((k for i in current if (k := _group_key(i.meter))), None)
        annual = annual_consumption_kwh(session, sp, at, config)
        from_contract = False
        if annual is None:
            annual = contract_estimate_kwh(sp, config)
            from_contract = annual is not None
        partial.append((sp, annual, from_contract, key, readable))
        if key is not None:
            groups[key].append(annual)
    facts = []
    for sp, annual, from_contract, key, readable in partial:
        members = groups.get(key, []) if key else []
        group_total = sum((v for v in members if v is not None), Decimal(0)) if members else None
        linked = generation_of.get(sp.linked_generation_id) if sp.linked_generation_id else None
        facts.append(
            ServicePointFacts(
                service_point=sp.no,
                connection=sp.connection,
                tariff_group=sp.tariff_group,
                generation=sp.generation,
                balancing_unit=sp.balancing_unit,
                exchange_point=sp.exchange_point,
                linked_generation=linked if linked is not Generation.NONE else None,
                annual_kwh=annual,
                annual_from_contract=from_contract,
                group_key=key,
                group_annual_kwh=group_total,
                group_size=max(1, len(members)),
                voluntary=sp.id in voluntary or sp.scope_category == VOLUNTARY,
                company_decision=sp.id in decided or sp.scope_category == COMPANY_DECISION,
                in_osos=readable,
            )
        )
    return facts


def evaluate_scope(
    session: Session, at: dt.datetime, config: ScopeConfig | None = None
) -> list[Evaluation]:
    """Every service point with the rules that apply at ``at`` and whether it is in OSOS."""
    config = config or ScopeConfig()
    return evaluate_all(gather_facts(session, at, config), config, to_local(at).date())


def _service_point(session: Session, no: str) -> ServicePoint:
    sp = session.scalar(select(ServicePoint).where(ServicePoint.no == no))
    if sp is None:
        raise NotFound(f"no service point {no!r}")
    return sp


def request_inclusion(
    session: Session, service_point_no: str, *, requested_by: str, at: dt.datetime, note: str = ""
) -> int:
    """Record a voluntary inclusion request (the requester provides the equipment)."""
    sp = _service_point(session, service_point_no)
    request = ScopeInclusionRequest(
        service_point_id=sp.id,
        requested_by=requested_by,
        requested_at=at,
        note=note or None,
        status="pending",
    )
    session.add(request)
    session.flush()
    return request.id


def decide_inclusion(
    session: Session, request_id: int, *, approve: bool, decided_by: str, at: dt.datetime
) -> None:
    """Approve or reject a voluntary inclusion request (back office)."""
    request = session.get(ScopeInclusionRequest, request_id)
    if request is None:
        raise NotFound(f"no inclusion request {request_id}")
    request.status = "approved" if approve else "rejected"
    request.decided_by = decided_by
    request.decided_at = at


def add_company_decision(
    session: Session, service_point_no: str, *, reason: str, decided_by: str, at: dt.datetime
) -> None:
    """The company names a service point it deems necessary to have in OSOS."""
    sp = _service_point(session, service_point_no)
    existing = session.scalar(
        select(ScopeCompanyDecision).where(ScopeCompanyDecision.service_point_id == sp.id)
    )
    if existing is None:
        session.add(
            ScopeCompanyDecision(
                service_point_id=sp.id, reason=reason, decided_by=decided_by, decided_at=at
            )
        )
    else:
        existing.reason, existing.decided_by, existing.decided_at = reason, decided_by, at


def in_osos_ids(session: Session, at: dt.datetime) -> set[int]:
    """Service points with a current installation whose meter the head-end can read."""
    rows = session.execute(
        select(Installation.service_point_id)
        .join(Meter, Meter.id == Installation.meter_id)
        .where(
            Installation.installed_at <= at,
            (Installation.removed_at.is_(None)) | (Installation.removed_at > at),
            Meter.comm_mode.in_(READABLE),
        )
    )
    return {row[0] for row in rows}

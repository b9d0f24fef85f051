"""Gathers the facts the scope rules need from the database, and records inclusion decisions.

Annual consumption comes from the best source there is (:mod:`osos.scope.consumption`):
profile, register readings a year apart, month results, then the contract power.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from osos.domain import CommMode, Generation, MeterKind, SmartClass
from osos.errors import Conflict, NotFound
from osos.scope.consumption import AnnualConsumption, annual_consumption
from osos.scope.rules import (
    COMPANY_DECISION,
    VOLUNTARY,
    Evaluation,
    ScopeConfig,
    ServicePointFacts,
    evaluate_all,
)
from osos.scope.smart_meters import MeterFacts, SmartMeterPlan, smart_meter_plan
from osos.store.models import (
    Installation,
    Meter,
    ServicePoint,
)
from osos.store.models.sharing import ScopeCompanyDecision, ScopeInclusionRequest
from osos.timeutil import to_local

READABLE = (CommMode.DIAL_OUT, CommMode.DIAL_IN)


def _current(inst: Installation, at: dt.datetime) -> bool:
    return inst.installed_at <= at and (inst.removed_at is None or inst.removed_at > at)


def _in_osos(meter: Meter) -> bool:
    """An electricity meter with a modem: a water, gas or heat meter the head-end reads is
    not in OSOS (no market-operator delivery, not the market operator's to see)."""
    return meter.comm_mode in READABLE and meter.kind is MeterKind.ELECTRICITY


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
    voluntary, decided = _decisions(session)
    partial: list[tuple[ServicePoint, AnnualConsumption | None, str | None, bool]] = []
    groups: dict[str, list[Decimal | None]] = defaultdict(list)
    for sp in points:
        current = [i for i in sp.installations if _current(i, at)]
        readable = any(_in_osos(i.meter) for i in current)
        key = next((k for i in current if (k := _group_key(i.meter))), None)
        annual = annual_consumption(
            session,
            sp,
            at,
            min_days=config.min_coverage_days,
            load_factor=config.contract_load_factor,
        )
        partial.append((sp, annual, key, readable))
        if key is not None:
            groups[key].append(annual.kwh if annual else None)
    facts = []
    for sp, annual, key, readable in partial:
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
                annual_kwh=annual.kwh if annual else None,
                annual_source=annual.source if annual else None,
                group_key=key,
                group_annual_kwh=group_total,
                group_size=max(1, len(members)),
                voluntary=sp.id in voluntary or sp.scope_category == VOLUNTARY,
                company_decision=sp.id in decided or sp.scope_category == COMPANY_DECISION,
                in_osos=readable,
                **_meter_facts(sp, at),
            )
        )
    return facts


def _decisions(session: Session) -> tuple[set[int], set[int]]:
    """Service points with an approved voluntary inclusion, and those the company named."""
    voluntary = set(
        session.scalars(
            select(ScopeInclusionRequest.service_point_id).where(
                ScopeInclusionRequest.status == "approved"
            )
        )
    )
    return voluntary, set(session.scalars(select(ScopeCompanyDecision.service_point_id)))


def _meter_facts(sp: ServicePoint, at: dt.datetime) -> dict[str, Any]:
    """What the smart-meter rules ask of the current meter: its class, its age, its pano."""
    current = [i for i in sp.installations if _current(i, at)]
    meter = current[-1].meter if current else None
    age = None
    if meter is not None and meter.manufactured_year is not None:
        age = Decimal(to_local(at).year - meter.manufactured_year)
    return {
        "smart_class": meter.smart_class if meter is not None else SmartClass.NONE,
        "pano": sp.pano,
        "meter_age_years": age,
    }


def evaluate_scope(
    session: Session, at: dt.datetime, config: ScopeConfig | None = None
) -> list[Evaluation]:
    """Every service point with the rules that apply at ``at`` and whether it is in OSOS."""
    config = config or ScopeConfig()
    return evaluate_all(gather_facts(session, at, config), config, to_local(at).date())


def smart_meter_status(
    session: Session, at: dt.datetime, config: ScopeConfig | None = None
) -> SmartMeterPlan | None:
    """The PRO-meter obligations of the rule set in force at ``at`` and how far they are met;
    None when that rule set has none (before 1 March 2026, or not selected)."""
    config = config or ScopeConfig()
    rules = config.ruleset_at(to_local(at).date()).smart_meters
    if rules is None:
        return None
    meters = [
        MeterFacts(
            service_point=f.service_point,
            annual_kwh=f.annual_kwh,
            smart_class=f.smart_class,
            in_osos=f.in_osos,
            pano=f.pano,
            meter_age_years=f.meter_age_years,
        )
        for f in gather_facts(session, at, config)
    ]
    return smart_meter_plan(meters, rules)


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
    if request.status != "pending":
        raise Conflict(f"inclusion request {request_id} is already {request.status}")
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
    """Service points with a current installation of an electricity meter the head-end can
    read (:func:`_in_osos`)."""
    rows = session.execute(
        select(Installation.service_point_id)
        .join(Meter, Meter.id == Installation.meter_id)
        .where(
            Installation.installed_at <= at,
            (Installation.removed_at.is_(None)) | (Installation.removed_at > at),
            Meter.comm_mode.in_(READABLE),
            Meter.kind == MeterKind.ELECTRICITY,
        )
    )
    return {row[0] for row in rows}


@dataclass(frozen=True)
class InclusionView:
    id: int
    service_point: str
    requested_by: str
    requested_at: dt.datetime
    note: str | None
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None


@dataclass(frozen=True)
class CompanyDecisionView:
    service_point: str
    reason: str
    decided_by: str
    decided_at: dt.datetime


def list_inclusions(session: Session) -> list[InclusionView]:
    """Voluntary inclusion requests, pending first then newest (the back office's list)."""
    rows = session.execute(
        select(ScopeInclusionRequest, ServicePoint.no)
        .join(ServicePoint, ServicePoint.id == ScopeInclusionRequest.service_point_id)
        .order_by(ScopeInclusionRequest.id.desc())
    ).all()
    views = [
        InclusionView(
            r.id, no, r.requested_by, r.requested_at, r.note, r.status, r.decided_by, r.decided_at
        )
        for r, no in rows
    ]
    return sorted(views, key=lambda v: v.status != "pending")


def list_company_decisions(session: Session) -> list[CompanyDecisionView]:
    rows = session.execute(
        select(ScopeCompanyDecision, ServicePoint.no)
        .join(ServicePoint, ServicePoint.id == ScopeCompanyDecision.service_point_id)
        .order_by(ServicePoint.no)
    ).all()
    return [CompanyDecisionView(no, d.reason, d.decided_by, d.decided_at) for d, no in rows]

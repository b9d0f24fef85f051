"""A service point's yearly consumption for the scope rules, from the best source there is.

Sources in order of quality: the load profile of the last 12 months (annualised when it covers
less), register readings at least 11 months apart (a meter read twice a year by hand is enough),
the stored month results, and last the contract-power estimate. Each figure says which source
it came from, so the work plan can say why a point is (or is not) above a limit.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.channels import from_milli
from osos.store.models import Installation, ProfileInterval, ReadoutValue, ServicePoint
from osos.store.models.mdm import BillingDeterminant
from osos.timeutil import month_start_before, period_of

YEAR = dt.timedelta(days=365)
REGISTER_SPAN = dt.timedelta(days=335)  # "over ≥ 11 months": two reads at least this far apart
REGISTER_LOOKBACK = 2 * YEAR  # how far back a first register read may lie
HOURS_PER_YEAR = Decimal(8760)
MILLI = Decimal("0.001")


class AnnualSource(StrEnum):
    PROFILE = "profile"
    REGISTERS = "registers"
    MONTHS = "months"
    CONTRACT = "contract"


LABELS: dict[AnnualSource, tuple[str, str]] = {
    AnnualSource.PROFILE: ("yük profilinden", "from the load profile"),
    AnnualSource.REGISTERS: ("endeks okumalarından", "from register readings"),
    AnnualSource.MONTHS: ("aylık sonuçlardan", "from the month results"),
    AnnualSource.CONTRACT: ("sözleşme gücünden tahmin", "estimated from contract power"),
}


@dataclass(frozen=True)
class AnnualConsumption:
    kwh: Decimal
    source: AnnualSource
    covered_days: int  # how much time the figure was measured over (0: an estimate)


@dataclass(frozen=True)
class _Reading:
    at: dt.datetime
    value: Decimal


def _annualised(total: Decimal, covered: dt.timedelta) -> Decimal:
    """Pro-rated to 365 days, up or down (two reads 13 months apart hold 13 months)."""
    if covered == YEAR:
        return total
    return (total * Decimal(YEAR.total_seconds()) / Decimal(covered.total_seconds())).quantize(
        MILLI
    )


def _pieces(sp: ServicePoint, start: dt.datetime, end: dt.datetime) -> list[Installation]:
    return [
        i for i in sp.installations if max(start, i.installed_at) < min(end, i.removed_at or end)
    ]


def _profile_edges(
    session: Session, meter_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[_Reading, _Reading] | None:
    col = ProfileInterval.__table__.c
    found = []
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
        if row is None:
            return None
        found.append(_Reading(row[0], from_milli(row[1])))
    return found[0], found[1]


def from_profile(
    session: Session, sp: ServicePoint, at: dt.datetime, min_days: int
) -> AnnualConsumption | None:
    """1.8.0 differences of the profile over the 12 months before ``at``, per installation."""
    start = at - YEAR
    total, covered = Decimal(0), dt.timedelta(0)
    for inst in _pieces(sp, start, at):
        lo, hi = max(start, inst.installed_at), min(at, inst.removed_at or at)
        edges = _profile_edges(session, inst.meter_id, lo, hi)
        if edges is not None:
            total += (edges[1].value - edges[0].value) * inst.multiplier
            covered += edges[1].at - edges[0].at
    if covered < dt.timedelta(days=min_days):
        return None
    return AnnualConsumption(_annualised(total, covered), AnnualSource.PROFILE, covered.days)


def _register_reads(
    session: Session, meter_id: int, start: dt.datetime, end: dt.datetime
) -> list[_Reading]:
    rows = session.execute(
        select(ReadoutValue.read_at, ReadoutValue.number)
        .where(
            ReadoutValue.meter_id == meter_id,
            ReadoutValue.obis == "1.8.0",
            ReadoutValue.read_at >= start,
            ReadoutValue.read_at <= end,
            ReadoutValue.number.is_not(None),
        )
        .order_by(ReadoutValue.read_at)
    ).all()
    return [_Reading(r[0], r[1]) for r in rows if r[1] is not None]


def from_registers(session: Session, sp: ServicePoint, at: dt.datetime) -> AnnualConsumption | None:
    """The newest 1.8.0 read and the newest one at least 11 months before it, pro-rated to a
    year: what a meter read twice a year (by hand, no modem, no profile) tells."""
    start = at - REGISTER_LOOKBACK
    total, covered = Decimal(0), dt.timedelta(0)
    for inst in _pieces(sp, start, at):
        lo, hi = max(start, inst.installed_at), min(at, inst.removed_at or at)
        reads = _register_reads(session, inst.meter_id, lo, hi)
        if not reads:
            continue
        last = reads[-1]
        earlier = [r for r in reads if r.at <= last.at - REGISTER_SPAN]
        if not earlier:
            continue
        first = earlier[-1]
        total += (last.value - first.value) * inst.multiplier
        covered += last.at - first.at
    if covered < REGISTER_SPAN:
        return None
    return AnnualConsumption(_annualised(total, covered), AnnualSource.REGISTERS, covered.days)


def from_months(session: Session, sp: ServicePoint, at: dt.datetime) -> AnnualConsumption | None:
    """The stored month results (billing determinants) of the last 12 complete months, scaled
    to twelve when fewer are known."""
    periods = {period_of(month_start_before(at, k)) for k in range(1, 13)}
    total, months = Decimal(0), 0
    for row in session.scalars(
        select(BillingDeterminant).where(
            BillingDeterminant.service_point_id == sp.id,
            BillingDeterminant.period.in_(periods),
            BillingDeterminant.data.is_not(None),
        )
    ):
        value = json.loads(row.data or "{}").get("consumption", {}).get("1.8.0")
        if value is not None:
            total += Decimal(value)
            months += 1
    if not months:
        return None
    kwh = total if months == 12 else (total * 12 / months).quantize(MILLI)
    return AnnualConsumption(kwh, AnnualSource.MONTHS, months * 30)


def from_contract(sp: ServicePoint, load_factor: Decimal | None) -> AnnualConsumption | None:
    """Annual kWh ≈ contract power × 8760 h × load factor, when nothing is stored yet."""
    if load_factor is None or not sp.contract_power_kw:
        return None
    kwh = (sp.contract_power_kw * HOURS_PER_YEAR * load_factor).quantize(MILLI)
    return AnnualConsumption(kwh, AnnualSource.CONTRACT, 0)


def annual_consumption(
    session: Session,
    sp: ServicePoint,
    at: dt.datetime,
    *,
    min_days: int,
    load_factor: Decimal | None,
) -> AnnualConsumption | None:
    """The best figure there is for the year before ``at`` (see the module text)."""
    return (
        from_profile(session, sp, at, min_days)
        or from_registers(session, sp, at)
        or from_months(session, sp, at)
        or from_contract(sp, load_factor)
    )

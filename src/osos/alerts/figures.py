"""The month's figures behind the alerts, from its own 15-minute data (pure).

Reactive ratios so far are the MDM's (:func:`osos.mdm.reactive.ratio`, two decimals, half up)
over the quarters read so far that carry active, inductive and capacitive energy; the ratio
projected to month end adds the rest of the month at the rate of the last seven days read;
each tariff zone (T1/T2/T3) gets its own ratio and excess. The maximum demand is the largest
quarter's energy × 4 after the multiplier (kW), named by the quarter's start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from osos.alerts.compensation import advice_kvar
from osos.alerts.model import AlertFinding, Kind, Level, text
from osos.mdm.intervals import ConsumptionInterval
from osos.mdm.months import parse_period
from osos.mdm.reactive import ratio
from osos.timeutil import QUARTER, ZONES, floor_to, local_iso, zone_of

RECENT = dt.timedelta(days=7)
PER_HOUR = Decimal(4)


@dataclass(frozen=True)
class Quarter:
    start: dt.datetime
    active: Decimal
    inductive: Decimal
    capacitive: Decimal


@dataclass(frozen=True)
class PointMonth:
    """One service point's month so far: its quarters read up to ``cut`` of ``[start, end)``."""

    service_point: str
    period: str
    start: dt.datetime
    cut: dt.datetime
    end: dt.datetime
    quarters: tuple[Quarter, ...]
    demand_quarters: tuple[ConsumptionInterval, ...]
    limits: tuple[Decimal, Decimal] | None  # (inductive, capacitive) %, None: exempt
    contract_kw: Decimal | None


def month_cut(period: str, as_of: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(start, cut, end) of the month: data up to ``as_of`` on the quarter grid, within it."""
    start, end = parse_period(period)
    return start, max(start, min(floor_to(as_of, QUARTER), end)), end


def usable(intervals: Sequence[ConsumptionInterval]) -> tuple[Quarter, ...]:
    """The quarters that carry all three energies (the ratios need them together)."""
    return tuple(
        Quarter(q.start, q.withdrawal_kwh, q.inductive_kvarh, q.capacitive_kvarh)
        for q in intervals
        if q.source != "missing"
        and q.withdrawal_kwh is not None
        and q.inductive_kvarh is not None
        and q.capacitive_kvarh is not None
    )


def _sum(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


def projected_ratio(month: PointMonth, reactive: str) -> Decimal | None:
    """The ratio at month end if the rest of it runs as the last seven days read did."""
    qs = month.quarters
    if not qs:
        return None
    recent = [q for q in qs if q.start >= month.cut - RECENT] or list(qs)
    left = Decimal((month.end - month.cut) // QUARTER)
    active = _sum([q.active for q in qs]) + _sum([q.active for q in recent]) / len(recent) * left
    energy = _sum([getattr(q, reactive) for q in qs])
    energy += _sum([getattr(q, reactive) for q in recent]) / len(recent) * left
    return ratio(energy, active)


def _zones(qs: Sequence[Quarter], reactive: str, limit: Decimal) -> dict[str, Any]:
    zones: dict[str, Any] = {}
    for number, zone in enumerate(ZONES, start=1):
        mine = [q for q in qs if zone_of(q.start) == zone]
        active, energy = _sum([q.active for q in mine]), _sum([getattr(q, reactive) for q in mine])
        zones[f"T{number}"] = {
            "ratio": text(ratio(energy, active)),
            "excess_kvarh": text(energy - limit / 100 * active) if mine else None,
        }
    return zones


def _level(
    value: Decimal | None, projected: Decimal | None, limit: Decimal, share: Decimal
) -> Level | None:
    if value is not None and value > limit:
        return Level.EXCEEDED
    worst = max((v for v in (value, projected) if v is not None), default=None)
    return Level.CLOSE if worst is not None and worst >= share * limit else None


def reactive_findings(month: PointMonth, share: Decimal, step: int) -> list[AlertFinding]:
    """Inductive and capacitive risk of the month so far (none for exempt points)."""
    if month.limits is None or not month.quarters:
        return []
    qs = month.quarters
    active = _sum([q.active for q in qs])
    found = []
    for kind, reactive, limit in (
        (Kind.REACTIVE_INDUCTIVE, "inductive", month.limits[0]),
        (Kind.REACTIVE_CAPACITIVE, "capacitive", month.limits[1]),
    ):
        energies = [getattr(q, reactive) for q in qs]
        energy = _sum(energies)
        value, projected = ratio(energy, active), projected_ratio(month, reactive)
        level = _level(value, projected, limit, share)
        if level is None:
            continue
        allowed = limit / 100 * active
        found.append(
            AlertFinding(
                month.service_point, kind, level, month.period, value, limit,
                excess_kvarh=energy - allowed,
                advice_kvar=advice_kvar(energies, allowed, step),
                extra={
                    "projected": text(projected),
                    "active_kwh": text(active),
                    "reactive_kvarh": text(energy),
                    "as_of": local_iso(month.cut),
                    "zones": _zones(qs, reactive, limit),
                },
            )
        )  # fmt: skip
    return found


def max_demand(month: PointMonth) -> tuple[Decimal, dt.datetime] | None:
    """The largest quarter's average power so far (kW) and the quarter's start."""
    best: tuple[Decimal, dt.datetime] | None = None
    for q in month.demand_quarters:
        if q.source == "missing" or q.withdrawal_kwh is None:
            continue
        kw = q.withdrawal_kwh * PER_HOUR
        if best is None or kw > best[0]:
            best = (kw, q.start)
    return best


def contract_finding(month: PointMonth) -> AlertFinding | None:
    """The month's maximum demand above the contract power, flagged ``exceeded``."""
    demand = max_demand(month)
    if month.contract_kw is None or demand is None or demand[0] <= month.contract_kw:
        return None
    kw, at = demand
    return AlertFinding(
        month.service_point, Kind.CONTRACT_POWER, Level.EXCEEDED, month.period, kw,
        month.contract_kw,
        extra={"time": local_iso(at), "as_of": local_iso(month.cut),
               "over_kw": text(kw - month.contract_kw)},
    )  # fmt: skip

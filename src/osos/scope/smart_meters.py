"""The 2026 smart-meter rules (Usul ve Esaslar, RG 05.12.2025, in force 1 March 2026): who gets
an Akıllı Sayaç PRO, by when, and how far the company has come — pure functions over facts.

Two obligations, each with dated steps:

- **sites**: every service point above the consumption limit (10 MWh/year) gets a PRO meter —
  a share of them by each step (70 % by 1 January 2027, all by 1 January 2028);
- **panos**: one PRO meter per pano (the panel several meters hang on) with at least N meters
  (15 by 1 January 2027, 7 by 1 January 2028) where no user reaches the limit, no OSOS or PRO
  meter is there yet and the meters are on average younger than 8 years.

The numbers are data (:class:`SmartMeterRules`), so a changed text is a new rule set, not code.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from osos.domain import SmartClass


@dataclass(frozen=True)
class Step:
    due: dt.date
    share: Decimal = Decimal(1)  # sites: the share that must have a PRO meter by ``due``
    pano_min_meters: int = 0  # panos: the size from which a pano needs one by ``due``


@dataclass(frozen=True)
class SmartMeterRules:
    limit_kwh: Decimal = Decimal("10000")
    site_steps: tuple[Step, ...] = (
        Step(dt.date(2027, 1, 1), share=Decimal("0.70")),
        Step(dt.date(2028, 1, 1), share=Decimal(1)),
    )
    pano_steps: tuple[Step, ...] = (
        Step(dt.date(2027, 1, 1), pano_min_meters=15),
        Step(dt.date(2028, 1, 1), pano_min_meters=7),
    )
    pano_max_average_age_years: Decimal = Decimal(8)


@dataclass(frozen=True)
class MeterFacts:
    """One service point as the smart-meter rules see it."""

    service_point: str
    annual_kwh: Decimal | None
    smart_class: SmartClass
    in_osos: bool
    pano: str | None = None
    meter_age_years: Decimal | None = None


@dataclass(frozen=True)
class StepProgress:
    obligation: str  # "sites" | "panos"
    due: dt.date
    required: int  # how many must be done by ``due``
    done: int
    subjects: tuple[str, ...] = ()  # what still needs a PRO meter (service points or panos)

    @property
    def met(self) -> bool:
        return self.done >= self.required

    def to_json(self) -> dict[str, object]:
        return {
            "obligation": self.obligation,
            "due": self.due.isoformat(),
            "required": self.required,
            "done": self.done,
            "met": self.met,
            "missing": list(self.subjects),
        }


@dataclass(frozen=True)
class SmartMeterPlan:
    sites: int  # service points above the limit
    sites_with_pro: int
    steps: tuple[StepProgress, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        return {
            "sites_above_limit": self.sites,
            "sites_with_pro": self.sites_with_pro,
            "steps": [s.to_json() for s in self.steps],
        }


def _required(share: Decimal, total: int) -> int:
    """Whole meters: a share of 70 % of 7 sites is 5 (rounded up, never less than asked)."""
    exact = share * total
    whole = int(exact)
    return whole if whole == exact else whole + 1


def _panos_needing(
    meters: list[MeterFacts], rules: SmartMeterRules, min_meters: int
) -> tuple[list[str], int]:
    """Panos of at least ``min_meters`` that need a PRO meter, and how many already have one."""
    by_pano: dict[str, list[MeterFacts]] = defaultdict(list)
    for m in meters:
        if m.pano:
            by_pano[m.pano].append(m)
    needing: list[str] = []
    done = 0
    for pano, group in sorted(by_pano.items()):
        if len(group) < min_meters:
            continue
        if any(m.annual_kwh is not None and m.annual_kwh >= rules.limit_kwh for m in group):
            continue  # a user on it reaches the limit: the site rule covers it
        ages = [m.meter_age_years for m in group if m.meter_age_years is not None]
        if ages and sum(ages, Decimal(0)) / len(ages) >= rules.pano_max_average_age_years:
            continue  # old meters are renewed anyway
        if any(m.smart_class is SmartClass.PRO for m in group):
            done += 1
        elif not any(m.in_osos for m in group):
            needing.append(pano)
    return needing, done


def smart_meter_plan(meters: list[MeterFacts], rules: SmartMeterRules) -> SmartMeterPlan:
    """Both obligations, each step with what is required, what is done and what is missing."""
    sites = [m for m in meters if m.annual_kwh is not None and m.annual_kwh > rules.limit_kwh]
    with_pro = [m for m in sites if m.smart_class is SmartClass.PRO]
    without = tuple(sorted(m.service_point for m in sites if m.smart_class is not SmartClass.PRO))
    steps = [
        StepProgress("sites", s.due, _required(s.share, len(sites)), len(with_pro), without)
        for s in rules.site_steps
    ]
    for s in rules.pano_steps:
        needing, done = _panos_needing(meters, rules, s.pano_min_meters)
        steps.append(StepProgress("panos", s.due, done + len(needing), done, tuple(needing)))
    return SmartMeterPlan(len(sites), len(with_pro), tuple(steps))

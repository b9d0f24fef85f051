"""The 2026 smart-meter rules: PRO meters for sites above 10 MWh and for panos, by their dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.domain import SmartClass
from osos.scope.smart_meters import MeterFacts, SmartMeterRules, smart_meter_plan

RULES = SmartMeterRules()
PRO, NONE = SmartClass.PRO, SmartClass.NONE


def meter(no: str, kwh: str | None, cls: SmartClass = NONE, **kw: object) -> MeterFacts:
    return MeterFacts(no, None if kwh is None else Decimal(kwh), cls, False, **kw)  # type: ignore[arg-type]


def test_sites_above_the_limit_need_pro_meters_by_share_and_date() -> None:
    sites = [meter(f"S{k}", "12000", PRO if k < 5 else NONE) for k in range(7)]
    small = [meter("T1", "9999.999"), meter("T2", "10000")]  # at the limit: not above it
    plan = smart_meter_plan([*sites, *small], RULES)
    assert (plan.sites, plan.sites_with_pro) == (7, 5)
    by_due = {s.due: s for s in plan.steps if s.obligation == "sites"}
    first = by_due[dt.date(2027, 1, 1)]
    assert first.required == 5 and first.met  # 70 % of 7 is 4.9: five meters
    final = by_due[dt.date(2028, 1, 1)]
    assert final.required == 7 and not final.met and final.subjects == ("S5", "S6")
    assert plan.to_json()["steps"][1]["missing"] == ["S5", "S6"]  # type: ignore[index]


def test_a_pano_needs_one_pro_meter_by_its_size() -> None:
    def pano(name: str, n: int, **kw: object) -> list[MeterFacts]:
        return [meter(f"{name}{k}", "2000", pano=name, **kw) for k in range(n)]  # type: ignore[arg-type]

    meters = [
        *pano("BIG", 15, meter_age_years=Decimal(3)),  # 15 meters: by 2027
        *pano("MID", 8, meter_age_years=Decimal(3)),  # 8: only by 2028
        *pano("OLD", 15, meter_age_years=Decimal(9)),  # meters 8 years or older: not this rule
        *pano("HASPRO", 15),
        *pano("HEAVY", 15),
        *pano("SMALL", 6),
    ]
    meters[-16] = meter("HEAVYX", "15000", pano="HEAVY")  # a user reaches 10 MWh on it
    meters[15 + 8 + 15] = meter("PRO0", "2000", PRO, pano="HASPRO")
    panos = {s.due: s for s in smart_meter_plan(meters, RULES).steps if s.obligation == "panos"}
    assert panos[dt.date(2027, 1, 1)].subjects == ("BIG",)
    assert panos[dt.date(2027, 1, 1)].done == 1 and panos[dt.date(2027, 1, 1)].required == 2
    assert panos[dt.date(2028, 1, 1)].subjects == ("BIG", "MID")
    in_osos = [
        MeterFacts(m.service_point, m.annual_kwh, m.smart_class, True, m.pano) for m in meters
    ]
    assert smart_meter_plan(in_osos, RULES).steps[2].subjects == ()  # an OSOS meter is there

"""The scope rules as pure functions: every category, the limit, versions by date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.domain import Connection, Generation, TariffGroup
from osos.scope.rules import (
    RULES_2023,
    ScopeConfig,
    ServicePointFacts,
    evaluate,
    work_plan,
)

AT = dt.date(2026, 11, 27)
CONFIG = ScopeConfig()


def _rules(**kwargs: object) -> tuple[str, ...]:
    return evaluate(ServicePointFacts(service_point="X", **kwargs), CONFIG, AT).rules  # type: ignore[arg-type]


def test_each_category_by_meaning() -> None:
    assert _rules(connection=Connection.TRANSMISSION) == ("transmission",)
    assert _rules(annual_kwh=Decimal("50000.001")) == ("above_limit",)
    assert _rules(annual_kwh=Decimal("50000")) == ()
    assert _rules(generation=Generation.LICENSED) == (
        "licensed_generation_consumption",
        "licensed_generation_injection",
    )
    assert _rules(linked_generation=Generation.LICENSED) == ("licensed_generation_consumption",)
    assert _rules(exchange_point=True) == ("distribution_exchange",)
    assert _rules(balancing_unit=True) == ("balancing_unit",)
    assert _rules(generation=Generation.UNLICENSED) == ("unlicensed_generation",)
    assert _rules(linked_generation=Generation.UNLICENSED) == ("unlicensed_generation_consumption",)
    assert _rules(tariff_group=TariffGroup.LIGHTING) == ("public_lighting",)
    assert _rules(voluntary=True) == ("voluntary",)
    assert _rules(company_decision=True) == ("company_decision",)


def test_group_above_limit_only_when_each_is_below() -> None:
    group = {"group_key": "10.0.0.1:4059", "group_size": 3, "group_annual_kwh": Decimal("60000")}
    assert _rules(annual_kwh=Decimal("20000"), **group) == ("group_above_limit",)
    assert _rules(annual_kwh=Decimal("55000"), **group) == ("above_limit",)
    assert (
        _rules(
            annual_kwh=Decimal("20000"),
            group_key="k",
            group_size=1,
            group_annual_kwh=Decimal("60000"),
        )
        == ()
    )


def test_public_lighting_only_from_the_2023_rules() -> None:
    facts = ServicePointFacts(service_point="L", tariff_group=TariffGroup.LIGHTING)
    assert evaluate(facts, CONFIG, dt.date(2020, 1, 1)).rules == ()
    later = evaluate(facts, CONFIG, AT)
    assert later.rules == ("public_lighting",)
    assert "2026-12-31" in later.reason


def test_the_2026_rules_are_in_force_from_1_march_2026() -> None:
    """They keep the company's OSOS limit and add the PRO-meter obligations."""
    facts = ServicePointFacts(service_point="S", annual_kwh=Decimal("12000"))
    assert CONFIG.ruleset_at(dt.date(2026, 2, 28)).key == "2023"
    assert CONFIG.ruleset_at(dt.date(2026, 3, 1)).key == "smart-2026"
    assert evaluate(facts, CONFIG, AT).rules == ()  # 12 MWh is under TREDAŞ's 50 MWh
    assert CONFIG.ruleset_at(AT).smart_meters is not None
    without = ScopeConfig(rulesets=(RULES_2023,))
    assert without.ruleset_at(AT).smart_meters is None  # a company may select the rule sets


def test_reason_and_work_plan() -> None:
    missing = evaluate(
        ServicePointFacts(service_point="B", annual_kwh=Decimal("80000"), in_osos=False),
        CONFIG,
        AT,
    )
    inside = evaluate(
        ServicePointFacts(service_point="A", balancing_unit=True, in_osos=True), CONFIG, AT
    )
    small = evaluate(ServicePointFacts(service_point="C", annual_kwh=Decimal(100)), CONFIG, AT)
    assert missing.must_include and missing.missing
    assert "must be added" in missing.reason and "80.0 MWh > 50.0 MWh" in missing.reason
    assert "Yıllık tüketimi" in missing.reason
    assert inside.must_include and not inside.missing
    assert not small.must_include and "not in scope" in small.reason
    assert work_plan([small, inside, missing]) == [missing]
    assert missing.to_json()["rules"] == ["above_limit"]

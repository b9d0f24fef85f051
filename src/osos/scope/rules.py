"""Who must be in OSOS: the inclusion rules as data, evaluated by pure functions.

The rules changed over time (2011 OSOS rules of the source document, 2015, the Metering Systems
Regulation of 2023, smart-meter rules from 2026); each version is a ``RuleSet`` with an effective
date, and the categories are named by meaning, not by the letter of one version. Nothing here
touches the database: ``osos.scope.service`` gathers the facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from osos.domain import Connection, Generation, SmartClass, TariffGroup
from osos.scope.consumption import LABELS, AnnualSource
from osos.scope.smart_meters import SmartMeterRules
from osos.settings import ScopeSettings

TRANSMISSION = "transmission"
ABOVE_LIMIT = "above_limit"
GROUP_ABOVE_LIMIT = "group_above_limit"
LICENSED_GENERATION_CONSUMPTION = "licensed_generation_consumption"
LICENSED_GENERATION_INJECTION = "licensed_generation_injection"
DISTRIBUTION_EXCHANGE = "distribution_exchange"
BALANCING_UNIT = "balancing_unit"
UNLICENSED_GENERATION = "unlicensed_generation"
UNLICENSED_GENERATION_CONSUMPTION = "unlicensed_generation_consumption"
PUBLIC_LIGHTING = "public_lighting"
VOLUNTARY = "voluntary"
COMPANY_DECISION = "company_decision"

RULE_IDS: tuple[str, ...] = (
    TRANSMISSION,
    ABOVE_LIMIT,
    GROUP_ABOVE_LIMIT,
    LICENSED_GENERATION_CONSUMPTION,
    LICENSED_GENERATION_INJECTION,
    DISTRIBUTION_EXCHANGE,
    BALANCING_UNIT,
    UNLICENSED_GENERATION,
    UNLICENSED_GENERATION_CONSUMPTION,
    PUBLIC_LIGHTING,
    VOLUNTARY,
    COMPANY_DECISION,
)

# Turkish / English reason per rule: shown in the work plan next to each service point.
REASONS: dict[str, tuple[str, str]] = {
    TRANSMISSION: ("İletim sistemine bağlı sayaç", "transmission-connected meter"),
    ABOVE_LIMIT: ("Yıllık tüketimi limitin üzerinde", "annual consumption above the limit"),
    GROUP_ABOVE_LIMIT: (
        "Tek haberleşme ünitesindeki sayaçların toplam tüketimi limitin üzerinde",
        "meters behind one modem together above the limit",
    ),
    LICENSED_GENERATION_CONSUMPTION: (
        "Lisanslı üretim tesisinin tüketimi",
        "consumption of licensed generation",
    ),
    LICENSED_GENERATION_INJECTION: (
        "Lisanslı üretim tesisinin sisteme verişi",
        "injection of licensed generation",
    ),
    DISTRIBUTION_EXCHANGE: (
        "İki dağıtım sistemi arasındaki alış-veriş",
        "exchange between two distribution systems",
    ),
    BALANCING_UNIT: ("Dengeleme birimi", "balancing unit"),
    UNLICENSED_GENERATION: ("Lisanssız üretim sayacı", "unlicensed generation meter"),
    UNLICENSED_GENERATION_CONSUMPTION: (
        "Lisanssız üretimle ilişkili tüketim sayacı",
        "consumption meter linked to unlicensed generation",
    ),
    PUBLIC_LIGHTING: ("Genel aydınlatma", "public lighting"),
    VOLUNTARY: ("Katılımcı/tüketici talebiyle gönüllü dahil", "voluntary inclusion on request"),
    COMPANY_DECISION: ("Şirketçe gerekli görüldü", "deemed necessary by the company"),
}

_EVERY_VERSION = frozenset(RULE_IDS) - {PUBLIC_LIGHTING}


@dataclass(frozen=True)
class RuleSet:
    """One version of the inclusion rules, in force from ``effective_from`` (local date).

    ``limit_kwh`` None means the company's Board-approved limit from configuration;
    ``deadlines`` gives a rule a date by which the meters must be included; ``smart_meters``
    the PRO-meter obligations of the version (None: it has none).
    """

    key: str
    name: str
    effective_from: dt.date
    rules: frozenset[str]
    limit_kwh: Decimal | None = None
    deadlines: dict[str, dt.date] = field(default_factory=dict)
    smart_meters: SmartMeterRules | None = None


RULES_2011 = RuleSet(
    "2011", "OSOS Usul ve Esaslar 2011 (RG 27901)", dt.date(2011, 4, 10), _EVERY_VERSION
)
# (assumption) the dates below were not checked against the official texts: configuration.
RULES_2015 = RuleSet("2015", "OSOS Usul ve Esaslar 2015", dt.date(2015, 1, 1), _EVERY_VERSION)
RULES_2023 = RuleSet(
    "2023",
    "Ölçüm Sistemleri Yönetmeliği 2023",
    dt.date(2023, 12, 31),
    frozenset(RULE_IDS),
    deadlines={PUBLIC_LIGHTING: dt.date(2026, 12, 31)},
)
RULES_SMART_2026 = RuleSet(
    "smart-2026",
    "Akıllı Sayaç Usul ve Esasları 2026 (RG 05.12.2025)",
    dt.date(2026, 3, 1),
    frozenset(RULE_IDS),
    deadlines={PUBLIC_LIGHTING: dt.date(2026, 12, 31)},
    smart_meters=SmartMeterRules(),
)
RULESETS: dict[str, RuleSet] = {
    r.key: r for r in (RULES_2011, RULES_2015, RULES_2023, RULES_SMART_2026)
}
DEFAULT_RULESETS: tuple[RuleSet, ...] = tuple(RULESETS.values())


@dataclass(frozen=True)
class ScopeConfig:
    limit_kwh: Decimal = Decimal("50000")  # TREDAŞ: 50 MWh/year (Board-approved, per company)
    rulesets: tuple[RuleSet, ...] = DEFAULT_RULESETS
    min_coverage_days: int = 28  # less stored data than this: the annual figure is unknown
    # (assumption) without stored data, annual kWh ≈ contract power × 8760 h × this factor;
    # None turns the estimate off (no data: not above the limit)
    contract_load_factor: Decimal | None = Decimal("0.30")

    def ruleset_at(self, at: dt.date) -> RuleSet:
        """The version in force on ``at``; before the first one, the first one."""
        ordered = sorted(self.rulesets, key=lambda r: r.effective_from)
        current = ordered[0]
        for ruleset in ordered:
            if ruleset.effective_from <= at:
                current = ruleset
        return current

    def limit_for(self, ruleset: RuleSet) -> Decimal:
        return self.limit_kwh if ruleset.limit_kwh is None else ruleset.limit_kwh

    @classmethod
    def from_settings(cls, settings: ScopeSettings) -> ScopeConfig:
        """The company's scope configuration (``OSOS_SCOPE_*``): its limit, the rule sets it
        applies (by key), how much data makes a year known, the contract-power estimate."""
        return cls(
            limit_kwh=settings.limit_kwh,
            rulesets=tuple(RULESETS[key] for key in settings.rulesets),
            min_coverage_days=settings.min_coverage_days,
            contract_load_factor=settings.contract_load_factor,
        )


@dataclass(frozen=True)
class ServicePointFacts:
    """What the rules need to know about one service point (gathered by the service layer)."""

    service_point: str
    connection: Connection = Connection.DISTRIBUTION
    tariff_group: TariffGroup | None = None
    generation: Generation = Generation.NONE
    balancing_unit: bool = False
    exchange_point: bool = False
    linked_generation: Generation | None = None  # the kind of the plant a consumption meter serves
    annual_kwh: Decimal | None = None  # the last 12 months (annualised), None when unknown
    annual_source: AnnualSource | None = None  # where annual_kwh came from
    group_key: str | None = None  # meters behind one modem share a key
    group_annual_kwh: Decimal | None = None
    group_size: int = 1
    voluntary: bool = False  # an approved inclusion request
    company_decision: bool = False
    in_osos: bool = False
    smart_class: SmartClass = SmartClass.NONE
    pano: str | None = None
    meter_age_years: Decimal | None = None


@dataclass(frozen=True)
class Evaluation:
    service_point: str
    rules: tuple[str, ...]
    in_osos: bool
    must_include: bool
    reason: str
    ruleset: str
    annual_kwh: Decimal | None = None
    annual_source: AnnualSource | None = None

    @property
    def missing(self) -> bool:
        """Must be in OSOS but is not: a line of the work plan."""
        return self.must_include and not self.in_osos

    def to_json(self) -> dict[str, object]:
        return {
            "service_point": self.service_point,
            "rules": list(self.rules),
            "in_osos": self.in_osos,
            "must_include": self.must_include,
            "reason": self.reason,
            "ruleset": self.ruleset,
            "annual_kwh": None if self.annual_kwh is None else format(self.annual_kwh, "f"),
            "annual_source": None if self.annual_source is None else self.annual_source.value,
        }


def _kwh(value: Decimal) -> str:
    return f"{value / 1000:.1f} MWh"


def matching_rules(facts: ServicePointFacts, ruleset: RuleSet, limit_kwh: Decimal) -> list[str]:
    """Every rule of ``ruleset`` that applies to the service point, in the order of RULE_IDS."""
    found: set[str] = set()
    if facts.connection is Connection.TRANSMISSION:
        found.add(TRANSMISSION)
    above = facts.annual_kwh is not None and facts.annual_kwh > limit_kwh
    if above:
        found.add(ABOVE_LIMIT)
    if (
        not above
        and facts.group_size > 1
        and facts.group_annual_kwh is not None
        and facts.group_annual_kwh > limit_kwh
    ):
        found.add(GROUP_ABOVE_LIMIT)
    if facts.generation is Generation.LICENSED:
        found |= {LICENSED_GENERATION_CONSUMPTION, LICENSED_GENERATION_INJECTION}
    if facts.linked_generation is Generation.LICENSED:
        found.add(LICENSED_GENERATION_CONSUMPTION)
    if facts.exchange_point:
        found.add(DISTRIBUTION_EXCHANGE)
    if facts.balancing_unit:
        found.add(BALANCING_UNIT)
    if facts.generation is Generation.UNLICENSED:
        found.add(UNLICENSED_GENERATION)
    if facts.linked_generation is Generation.UNLICENSED:
        found.add(UNLICENSED_GENERATION_CONSUMPTION)
    if facts.tariff_group is TariffGroup.LIGHTING:
        found.add(PUBLIC_LIGHTING)
    if facts.voluntary:
        found.add(VOLUNTARY)
    if facts.company_decision:
        found.add(COMPANY_DECISION)
    return [rule for rule in RULE_IDS if rule in found and rule in ruleset.rules]


def _reason_part(rule: str, facts: ServicePointFacts, ruleset: RuleSet, limit: Decimal) -> str:
    turkish, english = REASONS[rule]
    text = f"{turkish} / {english}"
    if rule == ABOVE_LIMIT and facts.annual_kwh is not None:
        text += f" ({_kwh(facts.annual_kwh)} > {_kwh(limit)}"
        if facts.annual_source is not None:
            turkish_source, english_source = LABELS[facts.annual_source]
            text += f", {turkish_source} / {english_source}"
        text += ")"
    elif rule == GROUP_ABOVE_LIMIT and facts.group_annual_kwh is not None:
        text += (
            f" ({facts.group_size} sayaç/meters {facts.group_key}: "
            f"{_kwh(facts.group_annual_kwh)} > {_kwh(limit)})"
        )
    deadline = ruleset.deadlines.get(rule)
    if deadline is not None:
        text += f" — son tarih / deadline {deadline.isoformat()}"
    return text


def evaluate(facts: ServicePointFacts, config: ScopeConfig, at: dt.date) -> Evaluation:
    """The rules that apply to one service point on ``at``, and why, in Turkish and English."""
    ruleset = config.ruleset_at(at)
    limit = config.limit_for(ruleset)
    rules = matching_rules(facts, ruleset, limit)
    if rules:
        reason = "; ".join(_reason_part(rule, facts, ruleset, limit) for rule in rules)
        if not facts.in_osos:
            reason = "OSOS'a eklenmeli / must be added: " + reason
    elif facts.annual_kwh is None and facts.tariff_group is not TariffGroup.LIGHTING:
        reason = (
            "Kapsam dışı (yıllık tüketim bilinmiyor) / not in scope (annual consumption unknown)"
        )
    else:
        reason = "Kapsam dışı / not in scope"
    return Evaluation(
        service_point=facts.service_point,
        rules=tuple(rules),
        in_osos=facts.in_osos,
        must_include=bool(rules),
        reason=reason,
        ruleset=ruleset.name,
        annual_kwh=facts.annual_kwh,
        annual_source=facts.annual_source,
    )


def evaluate_all(
    facts: list[ServicePointFacts], config: ScopeConfig, at: dt.date
) -> list[Evaluation]:
    return [evaluate(f, config, at) for f in facts]


def work_plan(evaluations: list[Evaluation]) -> list[Evaluation]:
    """Service points that must be in OSOS but are not, the most obligations first."""
    return sorted(
        (e for e in evaluations if e.missing), key=lambda e: (-len(e.rules), e.service_point)
    )

"""An alert as previewed, stored and sent: one kind at one level for one subject and month."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    REACTIVE_INDUCTIVE = "reactive_inductive"
    REACTIVE_CAPACITIVE = "reactive_capacitive"
    CONTRACT_POWER = "contract_power"
    METER_UNREAD = "meter_unread"  # operators: a meter not read for the set hours
    DELIVERY_AT_RISK = "delivery_at_risk"  # operators: a delivery's deadline near or missed


class Level(StrEnum):
    CLOSE = "close"
    EXCEEDED = "exceeded"


#: Kinds for the service point's users; the rest go to the distribution company's operators.
CUSTOMER_KINDS = (Kind.REACTIVE_INDUCTIVE, Kind.REACTIVE_CAPACITIVE, Kind.CONTRACT_POWER)
OPERATOR_KINDS = (Kind.METER_UNREAD, Kind.DELIVERY_AT_RISK)


def text(value: Decimal | None) -> str | None:
    """Exact fixed-point text (never an exponent), None as None."""
    return None if value is None else format(value, "f")


@dataclass(frozen=True)
class AlertFinding:
    """What a month raises: ``value`` against ``limit`` (a ratio in %, kW or hours)."""

    service_point: str | None
    kind: Kind
    level: Level
    period: str
    value: Decimal | None
    limit: Decimal | None
    excess_kvarh: Decimal | None = None
    advice_kvar: Decimal | None = None
    subject: str = ""  # what makes it one alert besides the point and month (a meter, a delivery)
    extra: Mapping[str, Any] = field(default_factory=dict)  # JSON-ready: projected, zones, time…

    @property
    def key(self) -> str:
        """Raised once: the same kind, subject and month at the same level is the same alert."""
        return "|".join(
            (self.kind, self.service_point or "", self.subject, self.period, self.level)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "service_point": self.service_point,
            "kind": str(self.kind),
            "level": str(self.level),
            "period": self.period,
            "value": text(self.value),
            "limit": text(self.limit),
            "excess_kvarh": text(self.excess_kvarh),
            "advice_kvar": text(self.advice_kvar),
            **self.extra,
        }

"""Reactive ratios against their limits (EPDK tariff rules 5999-3; limits in configuration).

Two independent tests per billing period: inductive % = Δ5.8.0 / Δ1.8.0 × 100 and
capacitive % = Δ8.8.0 / Δ1.8.0 × 100, rounded half up to two decimals. A limit is exceeded when
the ratio as shown (two decimals) is above it, so the verdict agrees with the printed number.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from osos.settings import ReactiveLimits

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class ReactiveResult:
    inductive_ratio: Decimal | None
    capacitive_ratio: Decimal | None
    inductive_limit: Decimal | None
    capacitive_limit: Decimal | None
    inductive_exceeded: bool
    capacitive_exceeded: bool


def limits_for(
    installed_power_kva: Decimal | None, limits: ReactiveLimits
) -> tuple[Decimal, Decimal]:
    """(inductive, capacitive) limit in percent for the service point's installed power.

    Unknown installed power is treated as the small class (< threshold).
    """
    if installed_power_kva is not None and installed_power_kva >= limits.threshold_kva:
        return limits.inductive_large, limits.capacitive_large
    return limits.inductive_small, limits.capacitive_small


def ratio(reactive: Decimal | None, active: Decimal | None) -> Decimal | None:
    """Percent to two decimals; None when either energy is unknown or there was no active."""
    if reactive is None or active is None or active == 0:
        return None
    return (reactive / active * 100).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _exceeded(value: Decimal | None, reactive: Decimal | None, limit: Decimal | None) -> bool:
    if limit is None:
        return False
    if value is None:  # reactive energy without any active energy is beyond every ratio
        return reactive is not None and reactive > 0
    return value > limit


def assess(
    active: Decimal | None,
    inductive: Decimal | None,
    capacitive: Decimal | None,
    installed_power_kva: Decimal | None,
    limits: ReactiveLimits,
    *,
    exempt: bool = False,
) -> ReactiveResult:
    """Both ratios, their limits (None when the service point is exempt) and the verdicts."""
    ind_limit, cap_limit = (None, None) if exempt else limits_for(installed_power_kva, limits)
    ind, cap = ratio(inductive, active), ratio(capacitive, active)
    return ReactiveResult(
        ind,
        cap,
        ind_limit,
        cap_limit,
        _exceeded(ind, inductive, ind_limit),
        _exceeded(cap, capacitive, cap_limit),
    )

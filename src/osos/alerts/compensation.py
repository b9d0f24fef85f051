"""Compensation advice: the capacitor (inductive) or reactor (capacitive) step that would have
kept the month so far under its limit, sized on the month's own 15-minute data.

Model (docs/alerts.md): an automatic compensation panel of ``Q`` kvar, switched with the load,
takes up to ``Q × 0.25 h`` of reactive energy out of each quarter and never more than the
quarter had (it does not over-compensate). The advice is the smallest multiple of the step with
``Σ max(0, q_i − Q/4) ≤ limit × active``; exact Decimals throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal

QUARTER_H = Decimal("0.25")


def remaining(quarters: Sequence[Decimal], kvar: Decimal) -> Decimal:
    """The reactive energy left in the quarters with ``kvar`` of compensation."""
    cut = kvar * QUARTER_H
    return sum((q - cut for q in quarters if q > cut), Decimal(0))


def advice_kvar(quarters: Sequence[Decimal], allowed_kvarh: Decimal, step: int) -> Decimal | None:
    """The smallest step multiple that brings the reactive energy to ``allowed_kvarh`` at most;
    None when there is no excess (nothing to compensate)."""
    if remaining(quarters, Decimal(0)) <= allowed_kvarh:
        return None
    unit = Decimal(step)
    top = max(quarters) / QUARTER_H  # this much removes every quarter's reactive energy
    hi = (top / unit).to_integral_value(rounding=ROUND_CEILING)  # in steps
    lo = Decimal(0)  # lo fails, hi passes
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if remaining(quarters, mid * unit) <= allowed_kvarh:
            hi = mid
        else:
            lo = mid
    return hi * unit

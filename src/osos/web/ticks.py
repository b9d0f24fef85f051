"""Axis ticks a person reads at a glance: round steps (1, 2 or 5 × 10ⁿ), as few as the width
allows (pure functions; :mod:`osos.web.charts` draws with them).

A 375 px phone shows the chart's narrow drawing (:data:`NARROW`, 360 units at about one unit a
pixel): its axis text keeps its size and there is room for fewer labels, not smaller ones.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from osos.errors import InvalidInput

MANTISSAS = (1, 2, 5)
NARROW, WIDE = 360, 760  # the two drawings' widths (viewBox units ≈ CSS px)
CHAR_W = 7  # an axis character at 11 px, generously
LABEL_GAP = 14  # space kept between two x labels


def max_ticks(width: int) -> int:
    """How many y-axis numbers a chart this wide gets: 4 on a phone, 6 from 600 up."""
    return 6 if width >= 600 else 4


def max_labels(plot_width: float, chars: int) -> int:
    """How many x labels of ``chars`` characters fit side by side in ``plot_width``."""
    return max(1, int(plot_width // (max(chars, 1) * CHAR_W + LABEL_GAP)))


def _steps(raw: Decimal) -> list[Decimal]:
    """Round steps from just below ``raw`` upwards: 1, 2, 5 × 10ⁿ, ascending."""
    exponent = raw.adjusted() - 1
    return [Decimal(m).scaleb(e) for e in range(exponent, exponent + 4) for m in MANTISSAS]


def nice_ticks(lo: Decimal, hi: Decimal, count: int) -> list[Decimal]:
    """At most ``count`` ticks at multiples of one round step, the first ≤ ``lo`` and the
    last ≥ ``hi``: the smallest such step (the most ticks that fit). ``count`` ≥ 3: a range
    across a round value needs three at any step."""
    if count < 3:
        raise InvalidInput(f"an axis needs room for three ticks, not {count}")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + max(abs(lo), Decimal(1)) / 10
    raw = (hi - lo) / (count - 1)
    for step in _steps(raw):
        first = (lo / step).to_integral_value(ROUND_FLOOR)
        last = (hi / step).to_integral_value(ROUND_CEILING)
        if last - first + 1 <= count:
            return [(first + k) * step for k in range(int(last - first) + 1)]
    raise AssertionError("unreachable: a step of 10 × raw always fits")  # pragma: no cover


def step_of(ticks: list[Decimal]) -> Decimal:
    """The step between ticks (for tests and labels: its mantissa is 1, 2 or 5)."""
    return ticks[1] - ticks[0]


def label_stride(n: int, plot_width: float, chars: int) -> int:
    """Every how many points an x label goes so that they do not run into each other."""
    fit = max_labels(plot_width, chars)
    return max(1, -(-n // fit))

"""Round axis ticks (1, 2, 5 × 10ⁿ) that cover the range, as many as the width allows."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osos.errors import InvalidInput
from osos.web import charts
from osos.web.ticks import NARROW, WIDE, label_stride, max_labels, max_ticks, nice_ticks, step_of

amounts = st.decimals(min_value=-(10**7), max_value=10**7, places=3, allow_nan=False)


def _round(step: Decimal) -> bool:
    digits = step.normalize().as_tuple().digits
    return step > 0 and len(digits) == 1 and digits[0] in (1, 2, 5)


@given(amounts, amounts, st.sampled_from([NARROW, WIDE, 375, 1280]))
def test_ticks_cover_the_range_at_a_round_step_within_the_widths_count(
    a: Decimal, b: Decimal, width: int
) -> None:
    lo, hi = min(a, b), max(a, b)
    ticks = nice_ticks(lo, hi, max_ticks(width))
    assert 2 <= len(ticks) <= max_ticks(width)
    assert ticks[0] <= lo and ticks[-1] >= hi
    step = step_of(ticks)
    assert _round(step)
    assert all(t % step == 0 for t in ticks)  # on the step's multiples: 0 when in range
    assert all(later - earlier == step for earlier, later in pairwise(ticks))


def test_known_ranges() -> None:
    assert nice_ticks(Decimal(0), Decimal("1435.2"), 6) == [Decimal(v) for v in range(0, 2000, 500)]
    assert nice_ticks(Decimal(0), Decimal("1435.2"), 4) == [
        Decimal(v) for v in (0, 500, 1000, 1500)
    ]
    assert nice_ticks(Decimal("226.1"), Decimal("233.9"), 4) == [
        Decimal(v) for v in (225, 230, 235)
    ]
    assert nice_ticks(Decimal(0), Decimal("0.37"), 6)[-1] == Decimal("0.4")
    with pytest.raises(InvalidInput):
        nice_ticks(Decimal(0), Decimal(1), 2)


@given(st.integers(1, 3000), st.integers(4, 16))
def test_x_labels_fit_side_by_side(n: int, chars: int) -> None:
    for width in (NARROW, WIDE):
        plot = width - charts.PAD_L - charts.PAD_R
        shown = len(range(0, n, label_stride(n, plot, chars)))
        assert shown <= max_labels(plot, chars)
        assert shown * (chars * 7 + 14) <= plot or shown == 1


def test_the_narrow_drawing_has_fewer_labels_at_the_same_size() -> None:
    labels = [f"{d:02d}.11 {h:02d}:00" for d in range(1, 4) for h in range(24)]
    svg = charts.line_chart([charts.Series("a", [Decimal(k) for k in range(72)])], labels)
    wide, narrow = svg.split('class="chart narrow"')
    count = lambda part: part.count('text-anchor="middle"')  # noqa: E731
    assert 'viewBox="0 0 360 260"' in narrow and count(narrow) < count(wide) <= 7
    assert count(narrow) <= 3

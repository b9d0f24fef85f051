"""The panel's pure helpers: Turkish formats, charts with gaps, daily figures (the files' rules
are tested in tests/exports)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from osos.mdm.service import ConsumptionInterval
from osos.timeutil import LOCAL_TZ, UTC
from osos.web import charts, formatting
from osos.web.screens.figures import daily_peaks, daily_ratios

Q = dt.timedelta(minutes=15)


def _row(
    start: dt.datetime, kwh: str | None, ind: str = "0", cap: str = "0"
) -> ConsumptionInterval:
    value = None if kwh is None else Decimal(kwh)
    return ConsumptionInterval(
        start,
        start + Q,
        value,
        Decimal(0),
        Decimal(ind),
        Decimal(cap),
        {},
        Decimal(1),
        "S",
        "actual" if value is not None else "missing",
    )


def test_turkish_numbers_and_times() -> None:
    assert formatting.number(Decimal("1234.5675")) == "1.234,568"
    assert formatting.number(Decimal("-0.5"), 0) == "-1"
    assert formatting.number(Decimal("1234.5"), 1, "en") == "1,234.5"
    assert formatting.number(None) == ""
    huge = Decimal("6001700220099999999999999999999")
    assert formatting.number(huge) == "6001700220099999999999999999999"
    assert formatting.percent(Decimal("17.345")) == "%17,35"
    assert formatting.percent(Decimal("17.345"), "en") == "17.35 %"
    at = dt.datetime(2026, 10, 31, 20, 59, 59, tzinfo=UTC)
    assert formatting.local_datetime(at) == "31.10.2026 23:59:59"
    assert formatting.month_end_label("2026-02") == "28.02.2026 23:59:59"
    assert formatting.month_end_label("2026-12") == "31.12.2026 23:59:59"
    assert formatting.ago_minutes(at, at + dt.timedelta(minutes=17, seconds=59)) == 17


EDGES = ("0.0005", "-0.0005", "-0.0004", "0.0025", "1E+5", "-0", "0E-7", "NaN", "1" * 40)
DECIMALS = st.builds(
    lambda n, e: Decimal(n).scaleb(-e), st.integers(-(10**30), 10**30), st.integers(-3, 9)
)


@given(
    st.lists(st.one_of(DECIMALS, st.integers(-(10**9), 10**9), st.none()), max_size=30),
    st.sampled_from([0, 1, 3]),
    st.sampled_from(["tr", "en"]),
)
def test_numbers_in_one_context_are_each_number_exactly(
    values: list[Decimal | int | None], places: int, language: str
) -> None:
    """The table's quick formatting (no quantize per cell) writes what ``number`` writes."""
    values += [Decimal(e) for e in EDGES]
    expected = [formatting.number(v, places, language) for v in values]
    assert formatting.numbers(values, places, language) == expected


def test_chart_keeps_gaps_and_draws_limits() -> None:
    svg = charts.line_chart(
        [charts.Series("a", [Decimal(1), Decimal(2), None, Decimal(3), Decimal(4)])],
        ["1", "2", "3", "4", "5"],
        limits=[charts.Limit("sınır %20", Decimal(20))],
        unit="%",
    )
    assert svg.count("<polyline") == 2 * 2  # the gap splits the line (wide and narrow)
    assert 'class="limit"' in svg and "sınır %20" in svg
    lonely = charts.line_chart([charts.Series("b", [None, Decimal(5), None])], ["x", "y", "z"])
    assert "<circle" in lonely and "<polyline" not in lonely
    bars = charts.line_chart([charts.Series("c", [Decimal(1), None])], ["a", "b"], bars=True)
    assert bars.count("<rect") == 2  # one bar in each drawing
    escaped = charts.line_chart([charts.Series("<x>", [Decimal(1)])], ["<b>"])
    assert "<x>" not in escaped and "&lt;x&gt;" in escaped


def test_time_labels_follow_the_span() -> None:
    start = dt.datetime(2026, 10, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    assert charts.time_labels([start, start + Q])[1] == "00:15"
    assert charts.time_labels([start, start + dt.timedelta(days=2)])[1] == "03.10 00:00"
    assert charts.time_labels([start, start + dt.timedelta(days=20)])[1] == "21.10"


def test_daily_peaks_and_cumulative_ratios() -> None:
    day = dt.datetime(2026, 10, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    rows = [
        _row(day, "1.000", ind="0.200", cap="0.100"),
        _row(day + Q, "2.500", ind="0.300"),
        _row(day + 2 * Q, None),
        _row(day + dt.timedelta(days=1), "0.500", ind="0.500"),
    ]
    peaks = daily_peaks(rows)
    assert peaks[0] == (dt.date(2026, 10, 1), Decimal("10.000"), day + Q)
    assert peaks[1][1] == Decimal("2.000")
    ratios = daily_ratios(rows)
    assert ratios[0] == (dt.date(2026, 10, 1), Decimal("14.29"), Decimal("2.86"))
    assert ratios[1] == (dt.date(2026, 10, 2), Decimal("25.00"), Decimal("2.50"))

"""Deadlines, periods and the market operator's JSON and xlsx shapes."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl

from osos.settings import SharingConfig
from osos.sharing.payload import (
    Period,
    Rule,
    build_meter,
    build_payload,
    canonical,
    completeness,
    due_at,
    kwh_text,
    period_of,
    periods_ending,
    to_xlsx,
)
from osos.timeutil import parse_local
from tests.sharing.conftest import FakeSource

CONFIG = SharingConfig()


def test_deadlines_per_rule() -> None:
    at = parse_local("2026-10-05T10:20")
    hour = period_of(Rule.BALANCING_UNIT, at)
    assert hour == Period(parse_local("2026-10-05T10:00"), parse_local("2026-10-05T11:00"))
    assert due_at(Rule.BALANCING_UNIT, hour, CONFIG) == parse_local("2026-10-05T13:00")
    day = period_of(Rule.GENERATION, at)
    assert day.start == parse_local("2026-10-05T00:00")
    assert due_at(Rule.GENERATION, day, CONFIG) == parse_local("2026-10-06T02:00")
    month = period_of(Rule.SETTLEMENT, at)
    assert month == Period(parse_local("2026-10-01"), parse_local("2026-11-01"))
    assert due_at(Rule.SETTLEMENT, month, CONFIG) == parse_local("2026-11-12T00:00")
    assert due_at(Rule.SETTLEMENT, month, CONFIG, dt.date(2026, 11, 9)) == parse_local(
        "2026-11-10T00:00"
    )
    december = period_of(Rule.SETTLEMENT, parse_local("2026-12-31T23:59"))
    assert december.end == parse_local("2027-01-01")


def test_periods_ending_in_a_window() -> None:
    hours = periods_ending(
        Rule.BALANCING_UNIT, parse_local("2026-10-05T10:00"), parse_local("2026-10-05T13:30")
    )
    assert [p.end for p in hours] == [parse_local(f"2026-10-05T{h}:00") for h in ("11", "12", "13")]
    assert (
        periods_ending(
            Rule.GENERATION, parse_local("2026-10-05T01:00"), parse_local("2026-10-05T23:00")
        )
        == []
    )


def test_json_shape_hourly_month() -> None:
    month = Period(parse_local("2026-10-01"), parse_local("2026-11-01"))
    source = FakeSource()
    intervals = source(None, 1, month.start, month.end, 60)
    assert completeness(Rule.SETTLEMENT, month, intervals).expected == 744
    meter = build_meter(Rule.SETTLEMENT, "40Z000001032738N", month, intervals)
    assert meter["period"] == "2026-10-01"
    assert [d["period"] for d in meter["datas"]] == list(range(1, 745))
    assert meter["datas"][0] == {
        "period": 1,
        "supply": "0.000",
        "withdrawal": "5.000",
        "estimated": False,
    }
    payload = build_payload(Rule.SETTLEMENT, [meter], parse_local("2026-11-02T10:00"))
    assert payload["rule"] == 3 and payload["created"] == "2026-11-02T10:00:00+03:00"
    assert canonical(payload).startswith(b'{"created":')


def test_json_shape_quarter_hours_and_estimates() -> None:
    hour = Period(parse_local("2026-10-05T10:00"), parse_local("2026-10-05T11:00"))
    source = FakeSource(estimated={1: {parse_local("2026-10-05T10:30")}}, generators={1})
    intervals = source(None, 1, hour.start, hour.end, 15)
    state = completeness(Rule.BALANCING_UNIT, hour, intervals)
    assert (state.expected, state.present, state.estimated) == (4, 4, 1)
    meter = build_meter(Rule.BALANCING_UNIT, "40Z1", hour, intervals)
    assert [(d["day"], d["period"], d["estimated"]) for d in meter["datas"]] == [
        ("2026-10-05", 41, False),
        ("2026-10-05", 42, False),
        ("2026-10-05", 43, True),
        ("2026-10-05", 44, False),
    ]
    assert meter["datas"][2]["supply"] == "1.000"
    partial = FakeSource(read_until={1: parse_local("2026-10-05T10:30")})
    state = completeness(Rule.BALANCING_UNIT, hour, partial(None, 1, hour.start, hour.end, 15))
    assert not state.complete and state.missing == 2


def test_kwh_text_is_exact() -> None:
    assert kwh_text(Decimal("12.3454")) == "12.345"
    assert kwh_text(Decimal("0.0005")) == "0.001"
    assert kwh_text(Decimal("7")) == "7.000"
    assert kwh_text(None) == "0.000"


def test_xlsx_upload_template() -> None:
    hour = Period(parse_local("2026-10-05T10:00"), parse_local("2026-10-05T11:00"))
    meter = build_meter(
        Rule.BALANCING_UNIT, "40Z1", hour, FakeSource()(None, 1, hour.start, hour.end, 15)
    )
    data = to_xlsx(build_payload(Rule.BALANCING_UNIT, [meter], hour.end))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "ETSO Kodu" and len(rows) == 5
    # the one export policy: the month and the day are dates, the kWh exact numbers
    assert rows[1] == ("40Z1", dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 5), 41, 0, 1.25, "H")
    formats = [sheet.cell(row=2, column=c).number_format for c in (2, 3, 5, 6)]
    assert formats == ["dd.mm.yyyy", "dd.mm.yyyy", "#,##0.000", "#,##0.000"]

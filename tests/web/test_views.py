"""The screens' pure steps, without HTTP or a database: typed query parameters that fall back to
the defaults, and the view that turns read-model data and a language into the page's frozen
context and its download."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import pytest

from osos.exports import When, write
from osos.mdm.service import ConsumptionInterval
from osos.readmodel.readouts import ReadoutLine, ReadoutView
from osos.timeutil import QUARTER, local_midnight
from osos.web.screens import readout, ykp, yuk
from osos.web.screens.common import Page

DAY = dt.date(2026, 10, 5)
START = local_midnight(DAY)


def _interval(k: int, kwh: str | None, source: str = "actual") -> ConsumptionInterval:
    value = None if kwh is None else Decimal(kwh)
    return ConsumptionInterval(
        START + QUARTER * k,
        START + QUARTER * (k + 1),
        value,
        Decimal(0),
        Decimal("0.100"),
        Decimal(0),
        {"1.8.0": Decimal("1000.000") + k} if value is not None else {},
        Decimal(1),
        "M1",
        "missing" if value is None else source,  # type: ignore[arg-type]
    )


def _rows(page: Page) -> list[list[object]]:
    return [list(r) for r in page.table.rows]


def test_query_parameters_fall_back_to_the_defaults() -> None:
    q = ykp.YkpQuery.model_validate(
        {"from": "yesterday", "to": "9999-12-31", "step": "7", "from_time": "25:00", "to_time": "x"}
    )
    assert (q.first, q.last, q.step, q.from_time, q.to_time) == (None, None, 60, None, None)
    q = ykp.YkpQuery.model_validate(
        {"from": "2026-10-31", "to": "2026-10-05", "step": "15", "from_time": "10:20"}
    )
    assert q.days(DAY) == (dt.date(2026, 10, 5), dt.date(2026, 10, 31))
    assert q.from_time == dt.timedelta(hours=10, minutes=15)  # down to its quarter
    assert ykp.YkpQuery(step=15).days(DAY) == (DAY, DAY)
    long = ykp.YkpQuery.model_validate({"from": "2026-01-01", "to": "2026-12-31", "step": "15"})
    assert long.days(DAY)[1] == dt.date(2026, 1, 31)  # 31 days of quarters at most
    assert readout.ReadoutQuery.model_validate({"id": "abc"}).id is None
    assert readout.ReadoutQuery.model_validate({"id": "42"}).id == 42


def _ykp_data(rows: list[ConsumptionInterval]) -> ykp.YkpData:
    return ykp.YkpData(
        "2000104137",
        DAY,
        DAY,
        15,
        dt.timedelta(hours=0),
        None,
        tuple(rows),
        None,
        DAY,
        DAY,
    )


def test_ykp_view_makes_the_page_and_exactly_its_rows_as_a_file() -> None:
    rows = [_interval(0, "0.250"), _interval(1, None), _interval(2, "0.500", "estimated")]
    page = ykp.view(_ykp_data(rows), "tr")
    context = page.context
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.step = 60
    assert context.totals.withdrawal_kwh == Decimal("0.750") and context.totals.missing == 1
    assert 'class="gap"' in context.body and "tahmini" in context.body
    assert context.prev_day == "?from=2026-10-04&to=2026-10-04&step=15"
    assert context.next_month == "?from=2026-11-01&to=2026-11-30&step=15"
    assert page.file_part == "2026-10-05_2026-10-05_15dk"
    body = _rows(page)
    assert len(body) == 3 + 1 and body[-1][0] == "Toplam" and body[-1][2] == Decimal("0.750")
    assert isinstance(body[0][0], When) and str(body[0][0]) == "05.10.2026 00:00:00"
    assert body[1][2] is None and body[1][-1] == "eksik" and body[2][-1] == "tahmini"
    english = ykp.view(_ykp_data(rows), "en")
    assert [c.header for c in english.table.columns][2] == "Import (kWh)"
    assert str(_rows(english)[0][0]) == "2026-10-05 00:00:00"
    out = io.BytesIO()
    assert write(page.table, "csv", out) == 4
    assert out.getvalue().decode("utf-8-sig").splitlines()[-1].split(";")[2] == "0,750"


def test_readout_view_names_the_registers_and_keeps_the_meters_text() -> None:
    read_at = START + dt.timedelta(hours=9)
    lines = (
        ReadoutLine("1.8.0", "1.8.0", "119200.831", Decimal("119200.831"), "kWh", None),
        ReadoutLine("96.50", "96.50", "0600170022", Decimal("600170022"), None, None),
    )
    glance = readout.Glance({}, {}, None, "2026-10", "2026-09")
    data = readout.ReadoutData(ReadoutView(7, read_at, "M1", lines), (), read_at, glance, "SP1")
    page = readout.view(data, "tr")
    names = {"1.8.0": "Aktif çekiş toplam", "96.50": "Tarife saatleri (hafta içi)"}
    assert page.context.names == names
    assert page.context.minutes_ago == 0
    body = _rows(page)
    assert body[0][3] == Decimal("119200.831")  # a measurement: a number
    assert body[1][3] == "0600170022"  # a status word: the meter's text
    assert readout.view(data, "en").context.names["1.8.0"] == "Active import total"


def test_yuk_view_turns_quarter_energy_into_power() -> None:
    rows = (_interval(0, "0.250"), _interval(1, None))
    data = yuk.YukData("SP1", DAY, DAY, rows, (), DAY)
    page = yuk.view(data, "tr")
    assert [r[1] for r in _rows(page)] == [Decimal("1.000"), None]
    assert page.context.peaks == ((DAY, Decimal("1.000"), START),)
    assert page.context.has_phases is False and page.context.volt_chart is None

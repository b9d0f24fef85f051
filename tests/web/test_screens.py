"""The screens show the MDM's numbers, and each download holds exactly what its screen shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from osos.mdm.service import interval_consumption, monthly_report
from osos.store.db import transaction
from osos.store.models import ServicePoint
from osos.timeutil import LOCAL_TZ, QUARTER, month_bounds
from osos.web.app import create_app
from osos.web.formatting import number
from tests.web.conftest import (
    ABONE_SP,
    ESTIMATED,
    GAPS,
    World,
    complete_month,
    login,
)


@pytest.fixture
def client(month_world: World) -> Iterator[TestClient]:
    with TestClient(create_app(month_world.runtime)) as c:
        login(c, month_world, "abone")
        yield c


def _xlsx_rows(content: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def _dec(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.001"))


def test_ykp_excel_and_csv_equal_the_screen_and_the_month_report(
    month_world: World, client: TestClient
) -> None:
    period = complete_month(month_world)
    start, end = month_bounds(period)
    first = start.astimezone(LOCAL_TZ).date()
    last = (end - dt.timedelta(seconds=1)).astimezone(LOCAL_TZ).date()
    params = {"from": first.isoformat(), "to": last.isoformat(), "step": "60"}
    page = client.get(f"/hn/{ABONE_SP}/ykp", params=params)
    assert page.status_code == 200
    shown = re.search(r'data-testid="total-withdrawal">([^<]+)<', page.text)
    assert shown
    xlsx = client.get(f"/hn/{ABONE_SP}/ykp.xlsx", params=params)
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    name = xlsx.headers["content-disposition"]
    assert f"YKP_{ABONE_SP}_{first.isoformat()}_{last.isoformat()}_60dk.xlsx" in name
    rows = _xlsx_rows(xlsx.content)
    header = rows[3]
    assert header[0] == "Başlangıç zamanı" and header[2] == "Çekiş (kWh)"
    body, total = rows[4:-1], rows[-1]
    days = (last - first).days + 1
    assert len(body) == days * 24
    # a real local date-time, named by its start, equal to the screen's first time
    assert body[0][0] == dt.datetime(first.year, first.month, first.day, 0, 0)
    screen_first = re.search(
        r'id="ykp-table".*?<tbody>\s*<tr[^>]*>\s*<td[^>]*>([^<]+)<', page.text, re.DOTALL
    )
    assert screen_first and body[0][0] == dt.datetime.strptime(screen_first[1], "%d.%m.%Y %H:%M")
    assert all(isinstance(row[0], dt.datetime) for row in body)
    assert [row[0] for row in body] == sorted(row[0] for row in body)  # sortable in Excel
    with transaction(month_world.runtime.sessions) as session:
        sp_id = session.scalars(select(ServicePoint.id).where(ServicePoint.no == ABONE_SP)).one()
        expected = interval_consumption(session, sp_id, start, end, minutes=60)
        report = monthly_report(session, ABONE_SP, period, month_world.runtime.settings)
    for row, interval in zip(body, expected, strict=True):
        if interval.withdrawal_kwh is None:
            assert row[2] is None and row[-1] == "eksik"
        else:
            assert _dec(row[2]) == interval.withdrawal_kwh
    assert _dec(total[2]) == sum((i.withdrawal_kwh or Decimal(0) for i in expected), Decimal(0))
    assert shown.group(1) == number(_dec(total[2]))  # the screen's total, Turkish format
    consumption = report.consumption["1.8.0"]
    assert consumption is not None and _dec(total[2]) == consumption
    # the CSV holds the same rows
    text = client.get(f"/hn/{ABONE_SP}/ykp.csv", params=params).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(lines) == 1 + len(body) + 1
    assert lines[1][0] == f"{first:%d.%m.%Y} 00:00:00"  # CSV keeps the screen's text
    assert Decimal(lines[-1][2].replace(",", ".")) == consumption


def test_gaps_and_estimates_are_marked(month_world: World, client: TestClient) -> None:
    # the days from the earliest marked interval to the last one (they may straddle midnight)
    marked = month_world.end - max(*GAPS, *ESTIMATED) * QUARTER
    first = marked.astimezone(LOCAL_TZ).date().isoformat()
    day = (month_world.end - dt.timedelta(minutes=1)).astimezone(LOCAL_TZ).date().isoformat()
    params = {"from": first, "to": day, "step": "15"}
    page = client.get(f"/hn/{ABONE_SP}/ykp", params=params)
    assert 'class="gap"' in page.text and "veri yok" in page.text
    assert "tahmini" in page.text
    rows = _xlsx_rows(client.get(f"/hn/{ABONE_SP}/ykp.xlsx", params=params).content)
    sources = {r[-1] for r in rows[4:-1]}
    assert {"okunan", "eksik", "tahmini"} <= sources


def test_monthly_screens_show_the_month_report(month_world: World, client: TestClient) -> None:
    period = complete_month(month_world)
    with transaction(month_world.runtime.sessions) as session:
        report = monthly_report(session, ABONE_SP, period, month_world.runtime.settings)
    oranlar = client.get(f"/hn/{ABONE_SP}/oranlar", params={"ay": period})
    assert oranlar.status_code == 200
    ratio = report.reactive.inductive_ratio
    assert ratio is not None
    assert number(ratio, 2) in oranlar.text
    assert "<svg" in oranlar.text and 'class="limit"' in oranlar.text
    assert "25.000 kVA" in oranlar.text  # the installed power the limits are for
    assert f"oranlar.xlsx?ay={period}" in oranlar.text
    chart = client.get(f"/hn/{ABONE_SP}/oranlar.csv", params={"ay": period, "veri": "grafik"})
    assert "Oranlar-grafik_" in chart.headers["content-disposition"]
    chart_rows = chart.content.decode("utf-8-sig").splitlines()
    assert chart_rows[0].startswith("Gün;İndüktif oran;İndüktif sınır")
    start, end = month_bounds(period)
    assert len(chart_rows) == 1 + (end - start).days  # one row a day of the month
    last_ratio = Decimal(chart_rows[-1].split(";")[1].replace(",", "."))
    assert last_ratio == ratio  # the cumulative ratio at month end is the month's ratio
    aylik = client.get(f"/hn/{ABONE_SP}/aylik")
    assert aylik.status_code == 200
    rows = _xlsx_rows(client.get(f"/hn/{ABONE_SP}/aylik.xlsx").content)
    ours = next(r for r in rows if r[0] == period)
    assert _dec(ours[4]) == report.consumption["1.8.0"]
    for column, obis in ((1, "1.8.1"), (2, "1.8.2"), (3, "1.8.3")):
        assert _dec(ours[column]) == report.consumption[obis]
    demand = report.max_demand["1.6.0"]
    assert demand is not None and _dec(ours[6]) == demand.value
    endeks = client.get(f"/hn/{ABONE_SP}/endeks")
    assert endeks.status_code == 200 and "23:59:59" in endeks.text
    month_end = report.month_end_index["1.8.0"]
    assert month_end is not None and number(month_end.decimal) in endeks.text


def test_readout_and_load_profile_screens(month_world: World, client: TestClient) -> None:
    readout = client.get(f"/hn/{ABONE_SP}/readout")
    assert "dakika önce okundu" in readout.text and "1.8.0" in readout.text
    assert "06001700220099999999999999999999" in readout.text  # kept as the meter sent it
    for label in (
        "Hizmet Noktası No",
        "Sayaç Seri No",
        "Flag",
        "ETSO",
        "Bölge",
        "Merkez",
        "İlçe",
        "Tanım",
    ):
        assert label in readout.text
    yuk = client.get(f"/hn/{ABONE_SP}/yuk-profili")
    assert yuk.status_code == 200 and "Gerilimler" in yuk.text and "<svg" in yuk.text
    csv_text = client.get(f"/hn/{ABONE_SP}/yuk-profili.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Bitiş zamanı;Yük (kW);V L1")
    english = client.get(f"/hn/{ABONE_SP}/ykp", cookies={"osos_lang": "en"})
    assert "Load profile list" in english.text and "Import (kWh)" in english.text


def test_period_totals_at_a_glance_add_up(month_world: World, client: TestClient) -> None:
    page = client.get(f"/hn/{ABONE_SP}/readout")
    shown = re.search(r'data-testid="month-total">([^<]+)<', page.text)
    assert shown and "Bugün" in page.text and "Geçen ay" in page.text
    today = month_world.runtime.clock.now().astimezone(LOCAL_TZ).date()
    ykp = client.get(
        f"/hn/{ABONE_SP}/ykp",
        params={"from": today.replace(day=1).isoformat(), "to": today.isoformat(), "step": "15"},
    )
    total = re.search(r'data-testid="total-withdrawal">([^<]+)<', ykp.text)
    assert total and total.group(1) == shown.group(1)
    assert 'data-testid="lagging"' not in page.text  # read a moment ago


def test_a_range_off_the_hour_sums_whole_hours_plus_its_edges(
    month_world: World, client: TestClient
) -> None:
    day = (
        (month_world.runtime.clock.now().astimezone(LOCAL_TZ) - dt.timedelta(days=2))
        .date()
        .isoformat()
    )
    common = {"from": day, "to": day, "from_time": "10:15", "to_time": "13:45"}
    hourly = client.get(f"/hn/{ABONE_SP}/ykp.csv", params={**common, "step": "60"})
    quarters = client.get(f"/hn/{ABONE_SP}/ykp.csv", params={**common, "step": "15"})
    assert "T1015_" in hourly.headers["content-disposition"]
    h_rows = hourly.content.decode("utf-8-sig").splitlines()[1:]
    q_rows = quarters.content.decode("utf-8-sig").splitlines()[1:]
    starts = [r.split(";")[0][-8:-3] for r in h_rows[:-1]]
    assert starts == ["10:15", "10:30", "10:45", "11:00", "12:00", "13:00", "13:15", "13:30"]
    assert len(q_rows) - 1 == 14
    assert h_rows[-1].split(";")[2] == q_rows[-1].split(";")[2]  # the same total
    page = client.get(f"/hn/{ABONE_SP}/ykp", params={**common, "step": "60"})
    assert 'value="10:15"' in page.text and "from_time=10:15" in page.text


def test_a_range_is_compared_with_the_one_before(month_world: World, client: TestClient) -> None:
    local_now = month_world.runtime.clock.now().astimezone(LOCAL_TZ)
    day = (local_now - dt.timedelta(days=3)).date()
    before = day - dt.timedelta(days=1)
    page = client.get(f"/hn/{ABONE_SP}/ykp", params={"from": day.isoformat()})
    block = re.search(r'data-testid="comparison"><span>[^<]*</span><strong>([^<]+)<', page.text)
    previous = client.get(f"/hn/{ABONE_SP}/ykp", params={"from": before.isoformat()})
    total = re.search(r'data-testid="total-withdrawal">([^<]+)<', previous.text)
    assert block and total and block.group(1) == total.group(1)
    assert "veri sayısı farklı" not in page.text.split('data-testid="comparison"')[1][:600]
    today = client.get(f"/hn/{ABONE_SP}/ykp", params={"from": local_now.date().isoformat()})
    elapsed = local_now - local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    if elapsed >= dt.timedelta(minutes=15):  # today is not over: fewer quarters than yesterday
        assert "veri sayısı farklı" in today.text
    else:  # the day's first quarter is not over: no quarter of today counts yet, none compared
        assert today.status_code == 200 and "veri sayısı farklı" not in today.text

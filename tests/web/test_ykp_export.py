"""YKP Listesi's download holds exactly what the export before it held (the screen's page built,
its table written by XlsxWriter: the oracle), and it is made without the page and streamed."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from bench.xlsxwriter_baseline import write_xlsx as xlsxwriter_write
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from osos.exports import When, write_csv
from osos.readmodel.access import grant, service_point_id
from osos.store.db import transaction
from osos.timeutil import LOCAL_TZ, UTC, month_bounds
from osos.web import charts, formatting
from osos.web.app import create_app
from osos.web.i18n import Words
from osos.web.routes import panel
from osos.web.screens import ykp
from osos.web.screens.common import when
from tests.web.conftest import (
    ABONE_SP,
    World,
    complete_month,
    login,
)


def _month(world: World) -> dict[str, str]:
    start, end = month_bounds(complete_month(world))
    first = start.astimezone(LOCAL_TZ).date()
    last = (end - dt.timedelta(seconds=1)).astimezone(LOCAL_TZ).date()
    return {"from": first.isoformat(), "to": last.isoformat(), "step": "15"}


def _page_table(world: World, params: dict[str, str]) -> Any:
    """The table the export wrote before: the whole page loaded and viewed, its table."""
    query = ykp.YkpQuery.model_validate(params)
    everything = (dt.datetime(2000, 1, 1, tzinfo=UTC), dt.datetime(2100, 1, 1, tzinfo=UTC))
    with transaction(world.runtime.sessions) as session:
        sight = grant(session, service_point_id(session, ABONE_SP) or 0, *everything)
        data = ykp.SCREEN.load(session, sight, query, world.runtime.settings)
    return data, ykp.SCREEN.view(data, "tr").table


def _cells(content: bytes) -> list[list[tuple[object, ...]]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [[(c.value, c.data_type, c.number_format) for c in row] for row in sheet.iter_rows()]


def test_the_month_of_quarters_is_what_the_page_export_wrote(month_world: World) -> None:
    params = _month(month_world)
    data, table = _page_table(month_world, params)
    oracle = io.BytesIO()
    xlsxwriter_write(table, oracle)
    with TestClient(create_app(month_world.runtime)) as client:
        login(client, month_world, "abone")
        got = client.get(f"/hn/{ABONE_SP}/ykp.xlsx", params=params)
        csv = client.get(f"/hn/{ABONE_SP}/ykp.csv", params=params)
    assert got.status_code == 200 and got.headers["content-type"].startswith(
        "application/vnd.openxmlformats"
    )
    name = f"YKP_{ABONE_SP}_{params['from']}_{params['to']}_15dk.xlsx"
    assert name in got.headers["content-disposition"]
    ours, theirs = _cells(got.content), _cells(oracle.getvalue())
    assert ours == theirs  # every value, time, number format and text, row for row
    body = ours[4:-1]
    assert len(body) == len(data.rows) and len(body) >= 28 * 96
    last_day = dt.date.fromisoformat(params["to"])
    assert body[-1][0][0] == dt.datetime(last_day.year, last_day.month, last_day.day, 23, 45)
    assert body[-1][1][0] == dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time())
    # the CSV is the page's too, with the screen's own time texts
    expected = io.BytesIO()
    write_csv(table, expected)
    assert csv.content == expected.getvalue()
    lines = csv.content.decode("utf-8-sig").splitlines()[1:-1]
    shown = [formatting.local_datetime(r.start, True, "tr") for r in data.rows]
    assert [line.split(";")[0] for line in lines] == shown


def _boom(*args: object, **kwargs: object) -> Any:
    raise AssertionError("the page is being built for a download")


def _counting(app: Any, bodies: list[int]) -> Callable[..., Any]:
    """The app, counting the body messages of its .xlsx responses as they are sent."""

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.body" and scope["path"].endswith(".xlsx"):
                bodies.append(len(message.get("body", b"")))
            await send(message)

        await app(scope, receive, sending)

    return counted


def test_the_export_streams_and_builds_no_page(
    month_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = _month(month_world)
    bodies: list[int] = []
    with TestClient(_counting(create_app(month_world.runtime), bodies)) as client:
        login(client, month_world, "abone")
        for name in ("render", "_page"):
            monkeypatch.setattr(panel, name, _boom)
        monkeypatch.setattr(ykp, "body", _boom)  # the page's HTML rows
        monkeypatch.setattr(ykp, "figures", _boom)  # the page's read and its comparison
        monkeypatch.setattr(charts, "line_chart", _boom)
        got = client.get(f"/hn/{ABONE_SP}/ykp.xlsx", params=params)
        assert got.status_code == 200, got.text[:300]
        with pytest.raises(AssertionError):  # the page itself is built by what was patched
            client.get(f"/hn/{ABONE_SP}/ykp", params=params)
    assert "content-length" not in got.headers  # made while it is sent: no length in advance
    assert len([b for b in bodies if b]) >= 2  # more than one chunk went out
    assert sum(bodies) == len(got.content)
    sheet = openpyxl.load_workbook(io.BytesIO(got.content), read_only=True).active
    assert sheet is not None and sheet.max_row is not None and sheet.max_row > 28 * 96


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(dt.datetime(2001, 1, 1), dt.datetime(2099, 1, 1), timezones=st.just(UTC)),
    st.booleans(),
    st.sampled_from(["tr", "en"]),
)
def test_a_time_cell_writes_the_screens_text_when_a_csv_asks(
    at: dt.datetime, seconds: bool, language: str
) -> None:
    cell = when(Words(language), at, seconds)
    assert isinstance(cell, When) and cell.text == ""  # nothing made for an Excel file
    assert str(cell) == formatting.local_datetime(at, seconds, language)

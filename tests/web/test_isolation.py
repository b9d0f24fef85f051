"""Never one customer's data to another: by URL, by export and by form, a 404 that is audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from osos.store.db import transaction
from osos.store.models import AuditEntry
from osos.timeutil import LOCAL_TZ
from osos.web.app import create_app
from osos.web.formatting import number
from tests.web.conftest import ABONE_SP, KURUMSAL_SP, LATE_SP, OTHER_SP, World, login

SCREENS = ("readout", "ykp", "endeks", "oranlar", "yuk-profili", "aylik")


@pytest.fixture
def client_for(shared_world: World) -> Iterator[object]:
    clients: list[TestClient] = []

    def make(kind: str) -> TestClient:
        client = TestClient(create_app(shared_world.runtime))
        clients.append(client)
        login(client, shared_world, kind)
        return client

    yield make
    for c in clients:
        c.close()


def _denied(world: World, actor: str, object_id: str) -> int:
    with transaction(world.runtime.sessions) as session:
        return len(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.actor == actor,
                    AuditEntry.object_id == object_id,
                    AuditEntry.outcome == "denied",
                )
            ).all()
        )


def _day(at: dt.datetime) -> str:
    return at.astimezone(LOCAL_TZ).date().isoformat()


@pytest.mark.parametrize(
    ("kind", "own", "foreign"),
    [
        ("abone", ABONE_SP, OTHER_SP),
        ("abone", ABONE_SP, KURUMSAL_SP),
        ("tedarikci", ABONE_SP, KURUMSAL_SP),
        ("tedarikci", ABONE_SP, OTHER_SP),
        ("kurumsal", KURUMSAL_SP, ABONE_SP),
    ],
)
def test_foreign_service_point_is_404_and_audited(
    shared_world: World, client_for: object, kind: str, own: str, foreign: str
) -> None:
    client = client_for(kind)  # type: ignore[operator]
    actor = shared_world.logins[kind].login
    before = _denied(shared_world, actor, foreign)
    for screen in SCREENS:
        unknown = client.get(f"/hn/9999999999/{screen}")
        assert unknown.status_code == 404
        assert client.get(f"/hn/{own}/{screen}").status_code == 200, screen
        page = client.get(f"/hn/{foreign}/{screen}")
        assert page.status_code == 404, screen
        # nothing tells a foreign number from an unknown one (the path itself is echoed back)
        assert page.text.replace(foreign, "N") == unknown.text.replace("9999999999", "N")
        for fmt in ("xlsx", "csv"):
            assert client.get(f"/hn/{foreign}/{screen}.{fmt}").status_code == 404
    # the service-point picker (a form) with a foreign number
    picked = client.get("/sec", params={"no": foreign, "ekran": "ykp"})
    assert picked.status_code == 404
    # the YKP form (GET with its fields) for a foreign point
    day = _day(shared_world.end - dt.timedelta(days=1))
    form = client.get(f"/hn/{foreign}/ykp", params={"from": day, "to": day, "step": "15"})
    assert form.status_code == 404
    assert _denied(shared_world, actor, foreign) == before + 6 * 3 + 2


def test_supplier_outside_its_supply_dates_gets_404(
    shared_world: World, client_for: object
) -> None:
    client = client_for("tedarikci")  # type: ignore[operator]
    actor = shared_world.logins["tedarikci"].login
    before = _denied(shared_world, actor, LATE_SP)
    early = _day(shared_world.late_from - dt.timedelta(days=1))
    inside = _day(shared_world.late_from + dt.timedelta(days=1))
    for fmt in ("", ".xlsx", ".csv"):
        out = client.get(f"/hn/{LATE_SP}/ykp{fmt}", params={"from": early, "to": early})
        assert out.status_code == 404, fmt
        assert (
            client.get(
                f"/hn/{LATE_SP}/yuk-profili{fmt}", params={"from": early, "to": early}
            ).status_code
            == 404
        )
        ok = client.get(f"/hn/{LATE_SP}/ykp{fmt}", params={"from": inside, "to": inside})
        assert ok.status_code == 200, fmt
    # a range that starts before the supply: only the supplied part is shown
    both = client.get(f"/hn/{LATE_SP}/ykp.csv", params={"from": early, "to": inside, "step": "60"})
    assert both.status_code == 200
    first_row = both.content.decode("utf-8-sig").splitlines()[1]
    local_from = shared_world.late_from.astimezone(LOCAL_TZ)
    assert first_row.startswith(local_from.strftime("%d.%m.%Y %H:%M"))
    # months not wholly supplied are not shown to the supplier: the visible tab says why
    month = shared_world.late_from.astimezone(LOCAL_TZ).strftime("%Y-%m")
    if shared_world.late_from.astimezone(LOCAL_TZ).day != 1:
        oranlar = client.get(f"/hn/{LATE_SP}/oranlar", params={"ay": month})
        assert oranlar.status_code == 200 and 'data-testid="outside-supply"' in oranlar.text
        assert "tedarik döneminizin içinde değil" in oranlar.text
        assert 'data-testid="inductive-ratio"' not in oranlar.text  # no figure of the month
    # Endeks: no month-end before the supply began, no consumption from before it
    endeks = client.get(f"/hn/{LATE_SP}/endeks.csv").content.decode("utf-8-sig").splitlines()
    headers = endeks[0].split(";")
    shown_at = [
        dt.datetime.strptime(h.removeprefix("Endeks "), "%d.%m.%Y %H:%M:%S").replace(
            tzinfo=LOCAL_TZ
        )
        for h in headers
        if h.startswith("Endeks ")
    ]
    assert shown_at and all(
        at >= shared_world.late_from - dt.timedelta(seconds=1) for at in shown_at
    )
    # a column's consumption covers (previous point, this point]: shown only when the supplier
    # supplied all of it (on the 1st of a month the supply may start at that month-end)
    consumption_columns = [k for k, h in enumerate(headers) if h.startswith("Tüketim")]
    expected: dict[int, bool] = {}
    for n, k in enumerate(consumption_columns):
        previous_end = shown_at[n - 1] + dt.timedelta(seconds=1) if n else None
        expected[k] = previous_end is not None and previous_end >= shared_world.late_from
    for line in endeks[1:]:
        cells = line.split(";")
        assert all(cells[k] == "" for k, shown in expected.items() if not shown), line
        if cells[0] == "1.8.0":
            assert all(cells[k] != "" for k, shown in expected.items() if shown), line
    assert client.get(f"/hn/{LATE_SP}/readout", params={"id": "999999"}).status_code == 404
    assert _denied(shared_world, actor, LATE_SP) >= before + 7


def test_customers_cannot_open_the_back_office(shared_world: World, client_for: object) -> None:
    for kind in ("abone", "tedarikci", "kurumsal"):
        client = client_for(kind)  # type: ignore[operator]
        for path in ("/yonetim", "/yonetim/denetim", "/yonetim/kullanicilar"):
            assert client.get(path).status_code == 403
    with transaction(shared_world.runtime.sessions) as session:
        denied = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "backoffice", AuditEntry.outcome == "denied"
            )
        ).all()
    assert len(denied) >= 9


def test_views_and_exports_are_audited(shared_world: World, client_for: object) -> None:
    client = client_for("abone")  # type: ignore[operator]
    client.get(f"/hn/{ABONE_SP}/ykp")
    client.get(f"/hn/{ABONE_SP}/ykp.xlsx")
    with transaction(shared_world.runtime.sessions) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_id == ABONE_SP, AuditEntry.outcome == "ok"
            )
        ).all()
    assert "view" in actions and "export" in actions


def test_anonymous_visitors_are_sent_to_login(shared_world: World) -> None:
    with TestClient(create_app(shared_world.runtime)) as client:
        response = client.get(f"/hn/{ABONE_SP}/ykp.xlsx", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/giris")


def test_the_picker_lists_only_own_points(shared_world: World, client_for: object) -> None:
    client = client_for("kurumsal")  # type: ignore[operator]
    page = client.get(f"/hn/{KURUMSAL_SP}/oranlar")
    options = re.findall(r'<option value="(\d+)"', page.text)
    assert len(options) == 4 and KURUMSAL_SP in options and ABONE_SP not in options
    moved = client.get(
        "/sec", params={"no": options[1], "ekran": "oranlar"}, follow_redirects=False
    )
    assert moved.headers["location"] == f"/hn/{options[1]}/oranlar"


def test_the_list_of_points_exports_with_its_totals(
    shared_world: World, client_for: object
) -> None:
    client = client_for("kurumsal")  # type: ignore[operator]
    home = client.get("/")
    lines = client.get("/liste.csv").content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 4 + 1 and ABONE_SP not in "".join(lines)
    values = [Decimal(line.split(";")[5].replace(",", ".")) for line in lines[1:]]
    assert sum(values[:-1]) == values[-1]
    assert number(values[-1]) in home.text
    supplier = client_for("tedarikci")  # type: ignore[operator]
    rows = supplier.get("/liste.csv").content.decode("utf-8-sig").splitlines()
    assert any(r.startswith(LATE_SP) for r in rows) and not any(
        r.startswith(KURUMSAL_SP) for r in rows
    )
    assert rows[0].endswith("Tedarik dönemi")


def test_odd_dates_fall_back_to_the_defaults(shared_world: World, client_for: object) -> None:
    client = client_for("abone")  # type: ignore[operator]
    for path, params in (
        ("ykp", {"from": "0001-01-01", "to": "9999-12-31"}),
        ("ykp", {"from": "yesterday", "step": "7", "from_time": "25:00", "to_time": "x"}),
        ("yuk-profili", {"from": "0001-01-01"}),
        ("oranlar", {"ay": "0001-01"}),
        ("oranlar", {"ay": "2026-13"}),
        ("readout", {"id": "abc"}),
    ):
        assert client.get(f"/hn/{ABONE_SP}/{path}", params=params).status_code == 200, params

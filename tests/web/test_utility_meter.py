"""A water meter of the demo registry read through the same IEC 62056-21 codec and ingest as the
electricity meters, and shown in the panel with its medium's register names and units."""

from __future__ import annotations

import datetime as dt
from functools import reduce

from fastapi.testclient import TestClient
from sqlalchemy import select

from osos.domain import MeterKind
from osos.mdm.imports import ingest_capture
from osos.protocol.iec62056_21.adapter import capture_readings
from osos.store.db import transaction
from osos.store.models import Meter
from osos.store.models.sharing import DataRequest
from osos.web.app import create_app
from osos.web.formatting import unit_label
from tests.web.conftest import World, login

WATER_SP, WATER_METER = "3000000101", "SU240101"


def _readout() -> bytes:
    body = b"0.0.0(SU240101)\r\n8-0:1.0.0(00123.456*m3)\r\n8-0:1.0.0*1(00110.002*m3)\r\n!\r\n\x03"
    return b"/KAM5flowIQ2200\r\n\x02" + body + bytes([reduce(lambda a, b: a ^ b, body, 0)])


def test_water_meter_read_and_shown_with_its_units(world: World) -> None:
    raw = _readout()
    with transaction(world.runtime.sessions) as session:
        meter = session.scalars(select(Meter).where(Meter.serial == WATER_METER)).one()
        assert meter.kind is MeterKind.WATER
        summary = ingest_capture(
            session, raw, capture_readings(raw), WATER_METER,
            read_at=world.runtime.clock.now(), limits=world.runtime.settings.validation,
        )  # fmt: skip
        assert summary.created
    client = TestClient(create_app(world.runtime))
    login(client, world, "operator")
    page = client.get(f"/hn/{WATER_SP}/readout")
    assert page.status_code == 200
    assert "Soğuk su hacmi" in page.text and "m³" in page.text and "123,456" in page.text
    assert "8-0:1.0.0" in page.text  # the medium stays in the code: not an electricity 1.0.0


def test_unit_labels() -> None:
    assert unit_label("m3") == "m³" and unit_label("GJ") == "GJ" and unit_label("kWh") == "kWh"
    assert unit_label(None) == ""


UTILITY = "Tekirdağ Su ve Kanalizasyon İdaresi (TESKİ)"


def test_the_water_utility_sees_only_its_meters_and_pays_per_delivery(world: World) -> None:
    from osos.domain import OrganisationKind, UserKind
    from osos.identity.accounts import create_user
    from osos.sharing.fees import fee_report
    from osos.sharing.tokens import create_token
    from osos.store.models import Organisation
    from osos.timeutil import local_iso, period_of
    from tests.web.conftest import ABONE_SP

    now = world.runtime.clock.now()
    with transaction(world.runtime.sessions) as session:
        org = session.scalars(select(Organisation).where(Organisation.name == UTILITY)).one()
        assert org.kind is OrganisationKind.UTILITY  # the registry made it a utility
        theirs = create_token(session, UTILITY, at=now, created_by="t").token
        supplier = create_token(session, "Boğaziçi Enerji Tedarik A.Ş.", at=now, created_by="t")
        create_user(
            session, kind=UserKind.TEDARIKCI, login="su@teski.example",
            password="Trakya-Kavak-Zeytin-41", organisation=UTILITY,
        )  # fmt: skip
        raw = _readout()
        ingest_capture(
            session, raw, capture_readings(raw), WATER_METER, read_at=now,
            limits=world.runtime.settings.validation,
        )  # fmt: skip
    api = TestClient(create_app(world.runtime))
    h = {"Authorization": f"Bearer {theirs}"}
    assert [p["service_point"] for p in api.get("/api/v1/portfolio", headers=h).json()] == [
        WATER_SP
    ]
    day, month_ago = ((local_iso(t) or "")[:10] for t in (now, now - dt.timedelta(days=30)))
    free = api.get(
        f"/api/v1/service-points/{WATER_SP}/readouts",
        params={"start": month_ago, "end": day}, headers=h,
    )  # fmt: skip
    assert free.status_code == 402 and "POST /api/v1/requests" in free.json()["detail"]
    ask = {"service_point": WATER_SP, "start": month_ago, "end": day, "format": "csv"}
    priced = api.post("/api/v1/requests", headers=h, json=ask)
    assert priced.status_code == 201 and priced.json()["reason"] == "utility_meter"
    electricity = dict(ask, service_point=ABONE_SP)
    # an electricity point the utility has no consent for, and its meter asked for by a supplier
    # without consent: the unknown point's answer, nothing taken up (no existence oracle)
    assert api.post("/api/v1/requests", headers=h, json=electricity).status_code == 202
    other = {"Authorization": f"Bearer {supplier.token}"}
    refused = api.post("/api/v1/requests", headers=other, json=ask)
    assert refused.status_code == 202 and "consent" in refused.json()["detail"]
    with transaction(world.runtime.sessions) as session:
        from osos.sharing.requests import decide_request

        assert len(session.scalars(select(DataRequest.id)).all()) == 1

        decide_request(session, priced.json()["id"], approve=True, by="op", at=now)
        lines = fee_report(session, period_of(now))
    assert [(line.reason, line.organisation) for line in lines] == [("utility_meter", UTILITY)]
    panel = TestClient(create_app(world.runtime))
    page = panel.get("/giris")
    from tests.web.conftest import csrf_of

    panel.post(
        "/giris",
        data={"tip": "tedarikci", "login": "su@teski.example",
              "password": "Trakya-Kavak-Zeytin-41", "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    home = panel.get("/")
    assert WATER_SP in home.text and ABONE_SP not in home.text
    assert panel.get(f"/hn/{ABONE_SP}/readout").status_code == 404


KAPAKLI_POWER_SP = "2000107562"  # Kapaklı Kablo's electricity point: the water meter's customer


def test_the_demo_water_utility_login_sees_only_the_water_meter(world: World) -> None:
    demo = world.logins["utility"]
    assert (demo.login, demo.kind.value, demo.note) == ("su.demo@osos.local", "tedarikci", UTILITY)
    raw = _readout()
    with transaction(world.runtime.sessions) as session:
        ingest_capture(
            session, raw, capture_readings(raw), WATER_METER, read_at=world.runtime.clock.now(),
            limits=world.runtime.settings.validation,
        )  # fmt: skip
    client = TestClient(create_app(world.runtime))
    login(client, world, "utility")
    home = client.get("/")
    assert home.status_code == 200 and WATER_SP in home.text
    page = client.get(f"/hn/{WATER_SP}/readout")
    assert page.status_code == 200 and "m³" in page.text and "123,456" in page.text
    # electricity points — the same customer's and other customers' — are not there for it
    from tests.web.conftest import ABONE_SP, KURUMSAL_SP, OTHER_SP

    for no in (KAPAKLI_POWER_SP, ABONE_SP, KURUMSAL_SP, OTHER_SP):
        assert no not in home.text
        assert client.get(f"/hn/{no}/readout").status_code == 404, no
        assert client.get(f"/hn/{no}").status_code == 404, no
    # the electricity supplier's demo login does not see the water meter
    supplier = TestClient(create_app(world.runtime))
    login(supplier, world, "tedarikci")
    assert supplier.get(f"/hn/{WATER_SP}/readout").status_code == 404

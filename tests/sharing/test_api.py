"""The market participants' API: tokens, exact portfolio and dates, 404 for the rest,
rate limit, audit, priced requests; on a small app and through the panel's create_app."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from osos.cli import app as cli_app
from osos.domain import CommMode, MeterKind, OrganisationKind, ReadSource
from osos.readings import ReadValue
from osos.runtime import Runtime
from osos.settings import SharingConfig
from osos.sharing.requests import decide_request, fee_report, fulfil_request
from osos.sharing.tokens import create_token, revoke_token
from osos.store import db
from osos.store.ingest import store_readout
from osos.store.models import AuditEntry
from osos.timeutil import parse_local, period_of
from osos.web.api import routes as api
from tests import factories as f

NOW = parse_local("2026-11-27T12:00")


@dataclass
class World:
    tokens: dict[str, str]
    token_ids: dict[str, int]


def build_world(runtime: Runtime) -> World:
    with db.transaction(runtime.sessions) as s:
        a = f.organisation(s, "Tedarikçi A", OrganisationKind.SUPPLIER)
        b = f.organisation(s, "Tedarikçi B", OrganisationKind.SUPPLIER)
        osb = f.organisation(s, "Ergene OSB", OrganisationKind.OSB)
        f.organisation(s, "EPİAŞ", OrganisationKind.MARKET_OPERATOR)
        sp1 = f.service_point(s, "SP1", etso_code="40Z000000000001A")
        sp2 = f.service_point(s, "SP2")
        sp3 = f.service_point(s, "SP3", osb_organisation_id=osb.id)
        sp4 = f.service_point(s, "SP4", comm_mode=CommMode.NONE)
        f.supply(s, sp1, a, parse_local("2026-09-01"), parse_local("2026-10-01"))
        f.supply(s, sp1, b, parse_local("2026-10-01"), None)
        f.supply(s, sp2, a, parse_local("2026-01-01"), None)
        f.supply(s, sp3, b, parse_local("2026-01-01"), None)
        f.supply(s, sp4, a, parse_local("2026-01-01"), None)
        start = parse_local("2026-09-29T00:00")
        for sp in (sp1, sp2):
            meter = f.meter_id(s, sp)
            f.index_rows(
                s,
                meter,
                [
                    (start + dt.timedelta(minutes=15 * k), Decimal("100") + Decimal("0.5") * k)
                    for k in range(4 * 24 * 4 + 1)
                ],
            )
            for day in ("2026-09-30T00:05", "2026-10-01T00:05"):
                store_readout(
                    s,
                    meter_id=meter,
                    read_at=parse_local(day),
                    raw=day.encode(),
                    values=[
                        ReadValue("1.8.0", value="0123.456", number=Decimal("123.456"), unit="kWh")
                    ],
                    source=ReadSource.HEADEND,
                )
        tokens, ids = {}, {}
        for org in ("Tedarikçi A", "Tedarikçi B", "Ergene OSB", "EPİAŞ"):
            issued = create_token(s, org, at=NOW, created_by="test")
            tokens[org], ids[org] = issued.token, issued.id
    return World(tokens, ids)


def small_app(runtime: Runtime, config: SharingConfig | None = None) -> FastAPI:
    app = FastAPI()
    if config is not None:
        settings = dataclasses.replace(runtime.settings, sharing=config)
        runtime = Runtime(settings, clock=runtime.clock)
    app.state.runtime = runtime
    app.include_router(api.router)
    return app


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


@pytest.fixture
def client(runtime: Runtime, world: World) -> Iterator[TestClient]:
    with TestClient(small_app(runtime)) as c:
        yield c


def _h(world: World, org: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[org]}"}


def test_authentication(client: TestClient, world: World, runtime: Runtime) -> None:
    assert client.get("/api/v1/portfolio").status_code == 401
    bad = client.get("/api/v1/portfolio", headers={"Authorization": "Bearer osos_nope"})
    assert bad.status_code == 401 and bad.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/portfolio", headers=_h(world, "Tedarikçi A")).status_code == 200
    with db.transaction(runtime.sessions) as s:
        revoke_token(s, world.token_ids["Tedarikçi A"], at=NOW)
    assert client.get("/api/v1/portfolio", headers=_h(world, "Tedarikçi A")).status_code == 401


def test_supplier_sees_exactly_its_portfolio_and_dates(client: TestClient, world: World) -> None:
    h = _h(world, "Tedarikçi A")
    portfolio = {p["service_point"]: p for p in client.get("/api/v1/portfolio", headers=h).json()}
    assert set(portfolio) == {"SP1", "SP2", "SP4"}
    assert portfolio["SP1"]["windows"] == [
        {"valid_from": "2026-09-01T00:00:00", "valid_to": "2026-10-01T00:00:00"}
    ]
    lp = client.get(
        "/api/v1/service-points/SP1/load-profile",
        params={"start": "2026-09-30", "end": "2026-10-02"},
        headers=h,
    )
    assert lp.status_code == 200, lp.text
    intervals = lp.json()["intervals"]
    assert len(intervals) == 96  # clipped at the end of A's supply
    assert intervals[0]["start"] == "2026-09-30T00:00:00"
    assert intervals[-1]["end"] == "2026-10-01T00:00:00"
    assert intervals[0]["withdrawal_kwh"] == "0.500" and intervals[0]["source"] == "actual"
    hourly = client.get(
        "/api/v1/service-points/SP1/load-profile",
        params={"start": "2026-09-30T10:00", "end": "2026-09-30T12:00", "resolution": 60},
        headers=h,
    ).json()["intervals"]
    assert [i["withdrawal_kwh"] for i in hourly] == ["2.000", "2.000"]
    readouts = client.get(
        "/api/v1/service-points/SP1/readouts",
        params={"start": "2026-09-01", "end": "2026-11-01"},
        headers=h,
    ).json()
    assert [(r["read_at"], r["obis"], r["value"]) for r in readouts] == [
        ("2026-09-30T00:05:00", "1.8.0", "0123.456")
    ]
    monthly = client.get("/api/v1/service-points/SP1/monthly/2026-09", headers=h)
    assert monthly.status_code == 200 and monthly.json()["service_point"] == "SP1"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/service-points/SP1/load-profile?start=2026-10-01&end=2026-10-02",
        "/api/v1/service-points/SP1/readouts?start=2026-10-01&end=2026-10-05",
        "/api/v1/service-points/SP1/monthly/2026-10",
        "/api/v1/service-points/SP3/load-profile?start=2026-09-30&end=2026-10-01",
        "/api/v1/service-points/SP3/monthly/2026-09",
        "/api/v1/service-points/NOPE/readouts?start=2026-09-30&end=2026-10-01",
    ],
)
def test_everything_else_is_404(client: TestClient, world: World, path: str) -> None:
    response = client.get(path, headers=_h(world, "Tedarikçi A"))
    assert response.status_code == 404
    assert response.json()["detail"].endswith("not found")


def test_osb_and_market_operator(client: TestClient, world: World) -> None:
    osb = client.get("/api/v1/portfolio", headers=_h(world, "Ergene OSB")).json()
    assert [p["service_point"] for p in osb] == ["SP3"]
    assert osb[0]["windows"] == [{"valid_from": None, "valid_to": None}]
    mo = client.get("/api/v1/portfolio", headers=_h(world, "EPİAŞ")).json()
    assert [p["service_point"] for p in mo] == ["SP1", "SP2", "SP3"]  # SP4 is not in OSOS
    assert (
        client.get(
            "/api/v1/service-points/SP4/readouts?start=2026-09-30&end=2026-10-01",
            headers=_h(world, "EPİAŞ"),
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/api/v1/service-points/SP1/load-profile?start=2026-10-01&end=2026-10-02",
            headers=_h(world, "EPİAŞ"),
        ).status_code
        == 200
    )


def test_every_read_is_audited(client: TestClient, world: World, runtime: Runtime) -> None:
    h = _h(world, "Tedarikçi A")
    client.get("/api/v1/service-points/SP2/readouts?start=2026-09-30&end=2026-10-02", headers=h)
    client.get("/api/v1/service-points/SP3/readouts?start=2026-09-30&end=2026-10-02", headers=h)
    with db.transaction(runtime.sessions) as s:
        entries = s.query(AuditEntry).filter(AuditEntry.actor == "api:Tedarikçi A").all()
        assert [(e.action, e.object_id, e.outcome) for e in entries] == [
            ("api.readouts", "SP2", "ok"),
            ("api.readouts", "SP3", "denied"),
        ]
        assert json.loads(entries[0].detail or "{}")["rows"] == 2


def test_bad_parameters(client: TestClient, world: World) -> None:
    h = _h(world, "Tedarikçi A")
    base = "/api/v1/service-points/SP1/load-profile"
    assert (
        client.get(base, params={"start": "x", "end": "2026-10-01"}, headers=h).status_code == 400
    )
    assert (
        client.get(base, params={"start": "2026-10-01", "end": "2026-09-01"}, headers=h).status_code
        == 400
    )
    assert (
        client.get(base, params={"start": "2026-01-01", "end": "2026-12-01"}, headers=h).status_code
        == 400
    )
    assert (
        client.get(
            base, params={"start": "2026-09-30", "end": "2026-10-01", "resolution": 30}, headers=h
        ).status_code
        == 422
    )


def test_rate_limit(runtime: Runtime, world: World) -> None:
    app = small_app(runtime, SharingConfig(rate_per_minute=1, rate_burst=2))
    with TestClient(app) as c:
        h = _h(world, "Tedarikçi A")
        assert [c.get("/api/v1/portfolio", headers=h).status_code for _ in range(2)] == [200, 200]
        limited = c.get("/api/v1/portfolio", headers=h)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        # another token has its own bucket
        assert c.get("/api/v1/portfolio", headers=_h(world, "EPİAŞ")).status_code == 200


def test_priced_requests_and_fee_report(client: TestClient, world: World, runtime: Runtime) -> None:
    h = _h(world, "Tedarikçi A")
    fee = CliRunner().invoke(
        cli_app,
        [
            "deliver",
            "fee-set",
            "outside_portfolio",
            "275.00",
            "--from",
            "2026-01-01",
            "--justification",
            "ek okuma",
        ],
    )
    assert fee.exit_code == 0, fee.output
    outside = client.post(
        "/api/v1/requests",
        headers=h,
        json={"service_point": "SP3", "start": "2026-09-30", "end": "2026-10-01", "format": "csv"},
    )
    assert outside.status_code == 201, outside.text
    assert outside.json()["reason"] == "outside_portfolio" and outside.json()["fee"] == "275.00"
    period = client.post(
        "/api/v1/requests",
        headers=h,
        json={"service_point": "SP1", "start": "2026-09-30", "end": "2026-10-02"},
    )
    assert period.json()["reason"] == "other_period"
    resolution = client.post(
        "/api/v1/requests",
        headers=h,
        json={"service_point": "SP2", "start": "2026-09-30", "end": "2026-10-01", "minutes": 30},
    )
    assert resolution.json()["reason"] == "other_resolution"
    free = client.post(
        "/api/v1/requests",
        headers=h,
        json={"service_point": "SP2", "start": "2026-09-30", "end": "2026-10-01"},
    )
    assert free.status_code == 409
    rid = period.json()["id"]
    assert client.get(f"/api/v1/requests/{rid}/file", headers=h).status_code == 404
    with db.transaction(runtime.sessions) as s:
        decide_request(s, rid, approve=True, by="operator", at=NOW)
        decide_request(s, outside.json()["id"], approve=False, by="operator", at=NOW)
        name = fulfil_request(s, rid, at=NOW)
        assert name.endswith(".xlsx")
    got = client.get(f"/api/v1/requests/{rid}/file", headers=h)
    assert got.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Başlangıç" and len(rows) == 1 + 48
    # the one export policy: a real local date-time, an exact number shown with 3 decimals
    assert rows[1][0] == dt.datetime(2026, 9, 30, 0, 0)
    cell = sheet.cell(row=2, column=3)
    assert cell.data_type == "n" and cell.number_format == "#,##0.000"
    assert Decimal(str(rows[1][2])) == Decimal("2.000")
    other = client.get(f"/api/v1/requests/{rid}/file", headers=_h(world, "Tedarikçi B"))
    assert other.status_code == 404
    mine = client.get("/api/v1/requests", headers=h).json()
    assert [r["status"] for r in mine] == ["rejected", "fulfilled", "recorded"]
    with db.transaction(runtime.sessions) as s:
        real_period = period_of(runtime.clock.now())
        lines = fee_report(s, real_period)
        assert [(line.request_id, line.reason, line.fee) for line in lines] == [
            (rid, "other_period", Decimal("150.00"))
        ]
        assert lines[0].justification and "Plan dışı dönem" in lines[0].justification
    out = CliRunner().invoke(cli_app, ["deliver", "fees", "--period", real_period, "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["total"] == "150.00" and report["fees"][0]["reason"] == "other_period"


def test_tokens_cli(runtime: Runtime, world: World) -> None:
    out = CliRunner().invoke(cli_app, ["tokens", "create", "--organisation", "Tedarikçi B"])
    assert out.exit_code == 0, out.output
    token = out.output.strip().splitlines()[-1]
    token_id = int(out.output.split()[1])
    with TestClient(small_app(runtime)) as c:
        h = {"Authorization": f"Bearer {token}"}
        assert c.get("/api/v1/portfolio", headers=h).status_code == 200
        assert CliRunner().invoke(cli_app, ["tokens", "revoke", str(token_id)]).exit_code == 0
        assert c.get("/api/v1/portfolio", headers=h).status_code == 401
    bad = CliRunner().invoke(cli_app, ["tokens", "create", "--organisation", "Nobody"])
    assert bad.exit_code == 2 and "Nobody" in bad.output
    listed = CliRunner().invoke(cli_app, ["tokens", "list"])
    assert "revoked" in listed.output and token not in listed.output


def test_through_the_panel_app(runtime: Runtime, world: World) -> None:
    from osos.web.app import create_app

    with TestClient(create_app(runtime)) as c:
        h = _h(world, "Tedarikçi A")
        portfolio = c.get("/api/v1/portfolio", headers=h)
        assert portfolio.status_code == 200
        assert {p["service_point"] for p in portfolio.json()} == {"SP1", "SP2", "SP4"}
        hidden = c.get("/api/v1/service-points/SP3/monthly/2026-09", headers=h)
        assert hidden.status_code == 404 and hidden.json()["detail"].endswith("not found")
        assert "/api/v1/portfolio" in c.get("/openapi.json").json()["paths"]


def test_water_meter_data_for_the_water_utility(runtime: Runtime, world: World) -> None:
    with db.transaction(runtime.sessions) as s:
        water = f.organisation(s, "Tekirdağ Su (TESKİ)", OrganisationKind.CORPORATE)
        sp = f.service_point(s, "W1", meter_kind=MeterKind.WATER, customer_organisation_id=water.id)
        store_readout(
            s,
            meter_id=f.meter_id(s, sp),
            read_at=parse_local("2026-10-31T23:00"),
            raw=b"w1",
            values=[ReadValue("8.0", value="00123.4", number=Decimal("123.4"), unit="m3")],
            source=ReadSource.HEADEND,
        )
        token = create_token(s, water.name, at=NOW, created_by="test").token
    with TestClient(small_app(runtime)) as c:
        h = {"Authorization": f"Bearer {token}"}
        asked = c.post(
            "/api/v1/requests",
            headers=h,
            json={
                "service_point": "W1",
                "start": "2026-10-01",
                "end": "2026-11-01",
                "format": "csv",
            },
        )
        assert asked.status_code == 201, asked.text
        assert asked.json()["reason"] == "utility_meter" and asked.json()["fee"] == "300.00"
        rid = asked.json()["id"]
        with db.transaction(runtime.sessions) as s:
            decide_request(s, rid, approve=True, by="operator", at=NOW)
            fulfil_request(s, rid, at=NOW)
        got = c.get(f"/api/v1/requests/{rid}/file", headers=h)
        assert got.status_code == 200
        lines = got.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "Okuma zamanı;OBIS;Değer;Birim"
        # the panel's CSV: local time as on screen, the reading as a number with a decimal comma
        assert lines[1] == "31.10.2026 23:00:00;8.0;123,4;m3"

"""A supplier sees a readout's frozen values only for billing periods that ended in its supply
(issue 5): not the months before it supplied the point, in the screen, its export and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from osos.domain import ReadSource
from osos.readings import ReadValue
from osos.readmodel.access import UNBOUNDED_START
from osos.readmodel.readouts import ReadoutLine, within_supply
from osos.runtime import Runtime
from osos.sharing.tokens import create_token
from osos.store.db import transaction
from osos.store.ingest import store_readout
from osos.store.models import Organisation, Readout, ServicePoint, SupplyPeriod
from osos.timeutil import parse_local
from osos.web.app import create_app
from tests.web import data
from tests.web.conftest import ABONE_SP, World, build_world, login

SUPPLY_FROM = parse_local("2026-10-15T00:00")
# read at → (address, value): *1 of November's read ends 1 Nov (supplied), *2 ends 1 Oct and
# *3 (no reset time: month boundary) 1 Sep (not supplied); October's *1 ends 1 Oct.
READOUTS = {
    "2026-11-10T09:00": [
        ("1.8.0", "0150.000"),
        ("1.8.0*1", "0140.000"),
        ("0.1.2*1", "26-11-01,00:00"),
        ("1.6.0*1", "0011.000"),
        ("1.8.0*2", "0130.000"),
        ("0.1.2*2", "26-10-01,00:00"),
        ("1.6.0*2", "0022.000"),
        ("1.8.0*3", "0120.000"),
    ],
    "2026-10-20T09:00": [("1.8.0", "0135.000"), ("1.8.0*1", "0131.000")],
    "2026-10-10T09:00": [("1.8.0", "0129.000")],  # before the supply: not listed at all
}
NOVEMBER_SEEN = ["1.8.0", "1.8.0*1", "0.1.2*1", "1.6.0*1"]
NOVEMBER_ALL = [address for address, _ in READOUTS["2026-11-10T09:00"]]


def _build(runtime: Runtime) -> tuple[World, str]:
    world = build_world(runtime, days=0)
    with transaction(runtime.sessions) as session:
        supplier = session.scalar(
            select(Organisation).where(Organisation.name == world.logins["tedarikci"].note)
        )
        assert supplier is not None
        sp_id = session.scalar(select(ServicePoint.id).where(ServicePoint.no == ABONE_SP))
        assert sp_id is not None
        session.execute(delete(SupplyPeriod).where(SupplyPeriod.service_point_id == sp_id))
        session.add(
            SupplyPeriod(service_point_id=sp_id, supplier_id=supplier.id, valid_from=SUPPLY_FROM)
        )
        meter_id = data.meter_of(session, ABONE_SP).id
        for read_at, values in READOUTS.items():
            store_readout(
                session,
                meter_id=meter_id,
                read_at=parse_local(read_at),
                raw=read_at.encode(),
                values=[
                    ReadValue(
                        address,
                        value=text,
                        number=None if address.startswith("0.1.2") else Decimal(text),
                        unit=None if address.startswith("0.1.2") else "kWh",
                    )
                    for address, text in values
                ],
                source=ReadSource.HEADEND,
            )
        token = create_token(session, supplier.name, at=SUPPLY_FROM, created_by="test").token
    return world, token


@pytest.fixture
def history(runtime: Runtime) -> Iterator[tuple[World, str]]:
    yield _build(runtime)


def _client(world: World, kind: str) -> TestClient:
    client = TestClient(create_app(world.runtime))
    login(client, world, kind)
    return client


def _obis_in_csv(client: TestClient, readout_id: str | None = None) -> list[str]:
    params = {"id": readout_id} if readout_id else {}
    response = client.get(f"/hn/{ABONE_SP}/readout.csv", params=params)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    return [row[0] for row in rows[1:]]


def test_supplier_does_not_see_frozen_values_of_months_before_its_supply(
    history: tuple[World, str],
) -> None:
    world, _ = history
    with _client(world, "tedarikci") as supplier:
        page = supplier.get(f"/hn/{ABONE_SP}/readout")
        assert page.status_code == 200
        assert "0140.000" in page.text or "140,000" in page.text  # *1 of a supplied month
        for hidden in ("1.8.0*2", "1.6.0*2", "0.1.2*2", "1.8.0*3", "26-10-01"):
            assert hidden not in page.text
        assert _obis_in_csv(supplier) == NOVEMBER_SEEN
        xlsx = supplier.get(f"/hn/{ABONE_SP}/readout.xlsx")
        assert xlsx.status_code == 200 and len(xlsx.content) > 1000

        # the earlier readout inside the supply: its *1 (September) is gone, current stays
        with world.runtime.sessions() as session:
            october = session.scalar(
                select(Readout.id).where(Readout.read_at == parse_local("2026-10-20T09:00"))
            )
            before = session.scalar(
                select(Readout.id).where(Readout.read_at == parse_local("2026-10-10T09:00"))
            )
        assert _obis_in_csv(supplier, str(october)) == ["1.8.0"]
        assert (
            supplier.get(f"/hn/{ABONE_SP}/readout", params={"id": str(before)}).status_code == 404
        )

    with _client(world, "abone") as abone:
        assert _obis_in_csv(abone) == NOVEMBER_ALL
        assert _obis_in_csv(abone, str(october)) == ["1.8.0", "1.8.0*1"]
        assert _obis_in_csv(abone, str(before)) == ["1.8.0"]


def test_the_api_leaves_out_the_same_frozen_values(
    history: tuple[World, str], runtime: Runtime
) -> None:
    world, token = history
    with TestClient(create_app(world.runtime)) as client:
        response = client.get(
            f"/api/v1/service-points/{ABONE_SP}/readouts",
            params={"start": "2026-10-01", "end": "2026-11-20"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    got: dict[str, list[str]] = {}
    for row in response.json():
        got.setdefault(row["read_at"][:16], []).append(row["obis"])
    assert got == {
        "2026-10-20T09:00": ["1.8.0"],
        "2026-11-10T09:00": sorted(NOVEMBER_SEEN),
    }


def test_within_supply_reads_the_reset_time_or_the_month_boundary() -> None:
    read_at = parse_local("2026-11-10T09:00")

    def line(obis: str, value: str = "1", at: dt.datetime | None = None) -> ReadoutLine:
        return ReadoutLine(obis, obis, value, None, None, at)

    lines = [
        line("1.8.0"),
        line("1.8.0*1"),  # month boundary: 1 Nov
        line("1.8.0*2"),  # 1 Oct
        line("0.1.2*3", at=parse_local("2026-10-16T00:00")),  # a late reset, stated as a time
        line("1.8.0*3"),
        line("1.6.0*1", at=parse_local("2026-10-05T14:15")),  # October's peak, before supply
        line("2.6.0*1", at=parse_local("2026-10-20T14:15")),  # a peak while supplied
    ]
    kept = within_supply(lines, read_at, [(SUPPLY_FROM, None)])
    assert [v.obis for v in kept] == ["1.8.0", "1.8.0*1", "0.1.2*3", "1.8.0*3", "2.6.0*1"]
    # a supply that ended on 1 Oct sees October's opening freeze, not November's
    ended = within_supply(lines, read_at, [(parse_local("2026-09-01"), parse_local("2026-10-01"))])
    assert [v.obis for v in ended] == ["1.8.0", "1.8.0*2"]
    assert within_supply(lines, read_at, [(UNBOUNDED_START, None)]) == lines

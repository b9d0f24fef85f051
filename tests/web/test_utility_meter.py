"""A water meter of the demo registry read through the same IEC 62056-21 codec and ingest as the
electricity meters, and shown in the panel with its medium's register names and units."""

from __future__ import annotations

from functools import reduce

from fastapi.testclient import TestClient
from sqlalchemy import select

from osos.domain import MeterKind
from osos.mdm.imports import ingest_capture
from osos.protocol.iec62056_21.adapter import capture_readings
from osos.store.db import transaction
from osos.store.models import Meter
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

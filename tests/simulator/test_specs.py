"""Specs from registry rows and from the database; the CLI's refusals of bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from osos.cli import app
from osos.domain import CommMode, Generation, TariffGroup
from osos.protocol.iec62056_21.events import ReadoutReceived
from osos.registry.importer import import_registry
from osos.runtime import Runtime
from osos.simulator import CustomerKind, Fleet, kind_for, specs_from_meters
from osos.simulator.fromdb import meter_rows
from osos.store.db import transaction
from osos.timeutil import FixedClock

from .conftest import NOW, Client

REGISTRY = Path(__file__).parents[2] / "examples" / "registry.csv"


def test_kind_from_service_point() -> None:
    assert kind_for(TariffGroup.INDUSTRY, Generation.UNLICENSED) is CustomerKind.GENERATION
    assert kind_for("lighting", "none") is CustomerKind.LIGHTING
    assert kind_for("business") is CustomerKind.COMMERCE
    assert kind_for("residence") is CustomerKind.RESIDENCE
    assert kind_for(None, None, balancing_unit=True) is CustomerKind.INDUSTRY


def test_specs_from_rows_pick_family_and_defaults() -> None:
    rows = [
        {"serial": "1", "flag": "EMH", "model": "LZQJ-XC", "port": 41002, "password": "49081935"},
        {"serial": "2", "flag": "LUN", "model": "LUN-669", "port": None, "password": None},
        {
            "serial": "3",
            "flag": "XYZ",
            "model": None,
            "port": 5,
            "password": "12",
            "install_date": dt.datetime(2024, 3, 1, 7, tzinfo=dt.UTC),
            "generation": "licensed",
        },
    ]
    emh, luna, other = specs_from_meters(rows)
    assert (emh.family, emh.port, emh.password) == ("emh-lzqj", 41002, "49081935")
    assert (luna.family, luna.port, luna.password) == ("luna", None, "00000000")
    assert (other.family, other.meter_flag, other.kind) == (
        "makel-c520",
        "XYZ",
        CustomerKind.GENERATION,
    )
    assert other.install_date == dt.date(2024, 3, 1)
    assert specs_from_meters(rows) == [emh, luna, other]  # same serial, same meter


async def test_specs_from_the_demo_registry_in_the_database(runtime: Runtime) -> None:
    runtime.upgrade()
    with transaction(runtime.sessions) as session:
        import_registry(session, REGISTRY)
    with runtime.sessions() as session:
        rows = meter_rows(session)
    assert len(rows) > 40
    assert {row["comm_mode"] for row in rows} <= {CommMode.DIAL_OUT, CommMode.DIAL_IN}
    specs = specs_from_meters(rows)
    assert {s.family for s in specs} == {"makel-c520", "emh-lzqj", "luna", "water-iec"}
    water = next(s for s in specs if s.family == "water-iec")  # the registry's kind decides
    assert (water.serial, water.port, water.meter_flag) == ("SU240101", 41057, "KAM")
    assert all(s.port is None or 41000 < s.port < 42000 for s in specs)
    ports = [s.port for s in specs if s.port is not None]
    assert len(ports) == len(set(ports))  # a replaced meter's modem is not simulated twice
    assert any(s.port is None for s in specs)  # a dial-in modem
    assert any(s.kind is CustomerKind.GENERATION for s in specs)
    # the simulated meter answers with the registry's serial and password
    chosen = [dataclasses.replace(s, port=0) for s in specs if s.port is not None][:3]
    async with Fleet(chosen, clock=FixedClock(NOW)) as fleet:
        for spec in chosen:
            client = await Client.connect(fleet.port(spec.serial))
            try:
                event = await client.readout()
            finally:
                await client.close()
            assert isinstance(event, ReadoutReceived)
            serials = {ds.value for ds in event.data_sets if ds.obis in ("0.0.0", "C.1.0")}
            assert serials == {spec.serial}


def test_cli_refuses_bad_options() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["simulate", "--meters", "2", "--faults", "nosuch=drop"])
    assert result.exit_code != 0
    assert "no such meter(s): nosuch" in result.output
    result = runner.invoke(app, ["simulate", "--meters", "2", "--faults", "80220000=melt"])
    assert result.exit_code != 0
    assert "unknown fault 'melt'" in result.output
    result = runner.invoke(app, ["simulate", "--dial-in", "localhost"])
    assert result.exit_code != 0
    assert "HOST:PORT" in result.output
    result = runner.invoke(app, ["simulate", "--latency", "3-1"])
    assert result.exit_code != 0
    assert "not a valid range" in result.output


def test_meter_side_peak_follows_contract_power_and_multiplier() -> None:
    from decimal import Decimal

    from osos.simulator.fromdb import meter_side_peak_w

    # 18 MW contract behind 200/5 A and 154 kV/100 V: the meter sees a few hundred watts
    assert meter_side_peak_w(Decimal("18000"), Decimal("61600")) == 233
    assert meter_side_peak_w(Decimal("15"), Decimal("1")) == 12000
    assert meter_side_peak_w(Decimal("1"), Decimal("61600")) == 50  # never below 50 W
    assert meter_side_peak_w(None, Decimal("20")) is None
    spec = specs_from_meters([{"serial": "1", "flag": "MSY", "peak_w": 233}])[0]
    assert spec.build_model().character.peak_w == 233

"""Water, gas and heat meters in the simulator: a mode C readout of the medium's registers,
exact from the model, and no load profile (P.01 answered with an error, over TCP)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from osos.domain import MeterKind
from osos.errors import InvalidInput
from osos.obis import normalize_obis
from osos.protocol.iec62056_21.events import ErrorReceived, PasswordAccepted, ReadoutReceived
from osos.simulator import Fleet, MeterSpec, VirtualMeter, import_total, specs_from_meters
from osos.simulator.consumption import CustomerKind
from osos.simulator.families import FAMILIES, family_for, medium_value
from osos.timeutil import FixedClock

from .conftest import NOW, Client

WATER = MeterSpec("SU240101", "water-iec", CustomerKind.COMMERCE, seed=21, port=0, flag="KAM")
HEAT = MeterSpec("IS240102", "heat-iec", CustomerKind.RESIDENCE, seed=22, port=0)


def _values(meter: VirtualMeter) -> dict[str, tuple[Decimal | None, str | None]]:
    return {normalize_obis(ds.address): (ds.number, ds.unit) for ds in meter.readout_data_sets()}


def test_water_readout_is_the_models_volume_now_and_at_the_billing_dates() -> None:
    meter = VirtualMeter(WATER, FixedClock(NOW))
    values = _values(meter)
    registers = meter.model.registers_at(NOW)
    litres = import_total(registers) * 3 // 200  # 15 L per kWh
    assert values["8-0:1.0.0"] == (Decimal(litres).scaleb(-3), "m3")
    last, before = meter.model.snapshot(NOW).billing
    assert values["8-0:1.0.0*1"][0] == Decimal(medium_value("volume", last.registers)[1]) / 1000
    assert values["8-0:1.0.0*2"][0] == Decimal(medium_value("volume", before.registers)[1]) / 1000
    assert values["8-0:1.0.0*2"][0] <= values["8-0:1.0.0*1"][0] < values["8-0:1.0.0"][0]
    assert values["0.0.0"][0] is None and "1.8.0" not in values and "1.0.0" not in values
    assert meter.profile(None, None) is None
    # a day later the volume has grown by the day's draw, nothing else moved backwards
    later = _values(VirtualMeter(WATER, FixedClock(NOW + dt.timedelta(days=1))))
    assert later["8-0:1.0.0"][0] > values["8-0:1.0.0"][0]  # type: ignore[operator]


def test_heat_readout_in_gj_and_its_carrier_volume() -> None:
    meter = VirtualMeter(HEAT, FixedClock(NOW))
    values = _values(meter)
    wh = import_total(meter.model.registers_at(NOW))
    assert values["6-0:1.0.0"] == (Decimal(wh * 9 // 2500).scaleb(-3), "GJ")  # 1 kWh = 3.6 MJ
    assert values["6-0:2.0.0"] == (Decimal(wh * 3 // 70).scaleb(-3), "m3")
    assert meter.identification().to_bytes() == b"/HMT5HEATIS240102\r\n"


def test_family_by_registry_kind() -> None:
    assert family_for("KAM", "flowIQ 2200", MeterKind.WATER).key == "water-iec"
    assert family_for("KAM", None, "heat").key == "heat-iec"
    assert family_for(None, None, MeterKind.GAS).key == "gas-iec"
    assert family_for("EMH", None, MeterKind.ELECTRICITY).key == "emh-lzqj"
    assert family_for("EMH").key == "emh-lzqj"
    assert all(f.medium is MeterKind.ELECTRICITY for f in FAMILIES.values() if f.load_profile)
    rows = [{"serial": "G1", "flag": "ELS", "kind": MeterKind.GAS, "port": 41999}]
    (gas,) = specs_from_meters(rows)
    assert (gas.family, gas.meter_flag, gas.port) == ("gas-iec", "ELS", 41999)
    # no simulated DLMS water/gas/heat meter: a spec refuses, a registry row is left out
    with pytest.raises(InvalidInput, match="IEC 62056-21 only"):
        dataclasses.replace(WATER, protocol="dlms")
    assert specs_from_meters([dict(rows[0], protocol="dlms")]) == []


async def test_over_tcp_readout_then_p01_is_refused(clock: FixedClock) -> None:
    async with Fleet([WATER], clock=clock, option_timeout=0.3, idle_timeout=5.0) as fleet:
        client = await Client.connect(fleet.port(WATER.serial))
        try:
            event = await client.readout()
        finally:
            await client.close()
        assert isinstance(event, ReadoutReceived)
        assert b"0.0.0(SU240101)" in event.raw
        volume = next(ds for ds in event.data_sets if ds.obis == "8-0:1.0.0")
        assert volume.unit == "m3" and volume.number is not None and volume.number > 0
        client = await Client.connect(fleet.port(WATER.serial))
        try:
            assert isinstance(await client.programming(WATER.password), PasswordAccepted)
            await client.send(client.session.send_profile_request(NOW - dt.timedelta(hours=1), NOW))
            answer = await client.event()
        finally:
            await client.close()
        assert isinstance(answer, ErrorReceived)

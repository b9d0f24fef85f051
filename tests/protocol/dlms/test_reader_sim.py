"""osos's reader against the simulated DLMS meters over TCP (wrapper and HDLC), driven by
a tiny asyncio byte mover (the head-end wiring comes later): the values are the model's."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from osos.protocol.dlms.association import Authentication, ClientSettings
from osos.protocol.dlms.hdlc import HdlcAddress
from osos.protocol.dlms.link import HdlcLink, Link, WrapperLink
from osos.protocol.dlms.meter_profiles import GENERIC, DlmsProfile
from osos.protocol.dlms.read_plan import ReadPlan, ReadResult
from osos.protocol.dlms.reader import DlmsReader
from osos.protocol.dlms.security import Keys, MemoryFrameCounter
from osos.simulator import Fleet, import_total
from osos.timeutil import quarter_floor

from .conftest import AK, EK, NOW, dlms_spec

KEYS = Keys(bytes.fromhex(EK), bytes.fromhex(AK))


async def read(
    port: int,
    settings: ClientSettings,
    hdlc: bool,
    plan: ReadPlan,
    counter: MemoryFrameCounter | None = None,
    profile: DlmsProfile = GENERIC,
) -> ReadResult:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    link: Link = (
        HdlcLink(HdlcAddress(settings.client_sap), HdlcAddress.server(1, 17))
        if hdlc
        else WrapperLink(settings.client_sap, 1)
    )
    session = DlmsReader(plan, settings, link, profile, now=NOW, counter=counter)
    session.start()
    try:
        while not session.done:
            writer.write(session.data_to_send())
            await writer.drain()
            data = await asyncio.wait_for(reader.read(65536), 30)
            if not data:
                break
            session.receive_data(data)
    finally:
        writer.close()
    return session.result


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
async def test_public_client_reads_registers_clock_and_profile(hdlc: bool) -> None:
    from osos.timeutil import FixedClock

    async with Fleet([dlms_spec(drift_s=40)], clock=FixedClock(NOW), dlms_hdlc=hdlc) as fleet:
        since = NOW - dt.timedelta(hours=2)
        result = await read(
            fleet.port("D0001"), ClientSettings(), hdlc, ReadPlan(profile_from=since)
        )
        model = fleet.meter("D0001")
    assert result.errors == []
    values = {v.obis: v for v in result.values}
    expected = Decimal(import_total(model.registers_at(NOW))).scaleb(-3)
    assert values["1.8.0"].number == expected and values["1.8.0"].unit == "kWh"
    assert values["32.7.0"].unit == "V" and values["1.6.0"].unit == "kW"
    assert values["96.1.0"].value == "D0001"
    assert result.clock is not None and result.clock.drift == dt.timedelta(seconds=40)
    ends = [r.end_at for r in result.records]
    assert ends[0] == quarter_floor(since) + dt.timedelta(minutes=15) and len(ends) == 8
    first = result.records[0]
    registers = model.registers_at(model.clock.true_time(first.end_at) or first.end_at)
    assert first.values["1.8.0"] == Decimal(import_total(registers)).scaleb(-3)
    assert result.transcript and result.invocation_counter is None


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
async def test_management_client_lls_sets_the_drifting_clock(hdlc: bool) -> None:
    from osos.timeutil import FixedClock

    async with Fleet([dlms_spec(drift_s=95)], clock=FixedClock(NOW), dlms_hdlc=hdlc) as fleet:
        settings = ClientSettings(
            client_sap=1, authentication=Authentication.LLS, password=b"12345678"
        )
        plan = ReadPlan(registers=("1.8.0",), max_drift=dt.timedelta(seconds=20))
        result = await read(fleet.port("D0001"), settings, hdlc, plan)
        after = fleet.meter("D0001").meter_time(NOW)
    assert result.clock is not None and result.clock.accepted is True
    assert after == NOW


async def test_hls_gmac_with_encryption_and_a_growing_counter() -> None:
    from osos.timeutil import FixedClock

    counter = MemoryFrameCounter(1000)
    async with Fleet([dlms_spec()], clock=FixedClock(NOW)) as fleet:
        settings = ClientSettings(client_sap=1, authentication=Authentication.HLS_GMAC, keys=KEYS)
        plan = ReadPlan(registers=("1.8.0", "32.7.0"))
        first = await read(fleet.port("D0001"), settings, False, plan, counter)
        second = await read(fleet.port("D0001"), settings, False, plan, counter)
    assert first.errors == [] and [v.obis for v in first.values] == ["1.8.0", "32.7.0"]
    assert first.invocation_counter is not None and second.invocation_counter is not None
    assert 1000 < first.invocation_counter < second.invocation_counter
    assert all(
        frame[8] == 0xDB or frame[8] in (0x60, 0x61, 0x62, 0x63) or frame[8] >= 0xC8
        for _, frame in first.transcript
    )  # every xDLMS APDU went ciphered


async def test_wrong_password_is_an_error_of_the_result_not_an_exception() -> None:
    from osos.timeutil import FixedClock

    async with Fleet([dlms_spec()], clock=FixedClock(NOW)) as fleet:
        settings = ClientSettings(
            client_sap=1, authentication=Authentication.LLS, password=b"00000000"
        )
        result = await read(fleet.port("D0001"), settings, False, ReadPlan())
    assert result.values == [] and "authentication failure" in result.errors[0]

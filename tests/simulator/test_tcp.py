"""Real TCP calls to the fleet with the codec's client session: values equal the model's."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest

from osos.obis import normalize_obis
from osos.protocol.iec62056_21.events import (
    DataReceived,
    Identified,
    PasswordAccepted,
    ProfileReceived,
    ReadoutReceived,
    WriteAccepted,
)
from osos.simulator import Fleet, import_total
from osos.simulator.families import register_value
from osos.simulator.model import INTERVAL
from osos.timeutil import FixedClock, local_midnight, quarter_floor

from .conftest import NOW, Client, seconds_to_identify


def kwh(value: int) -> Decimal:
    return Decimal(value).scaleb(-3)


@pytest.mark.parametrize(
    ("serial", "ident"),
    [
        ("80221569", "/MSY5<1>C520.KMY.2251"),
        ("03878504", "/EMH5\\@LZQJ03878504"),
        ("669205929", "/LUN5<1>LUN669205929"),
        ("30131001", "/MCS5\\@MCS301-30131001"),
    ],
)
async def test_readout_parses_and_equals_the_model(fleet: Fleet, serial: str, ident: str) -> None:
    client = await Client.connect(fleet.port(serial))
    try:
        event = await client.readout()
    finally:
        await client.close()
    assert isinstance(event, ReadoutReceived)
    assert not event.errors
    assert bytes(client.raw).startswith(ident.encode() + b"\r\n")
    values = {normalize_obis(ds.address): ds for ds in event.data_sets}
    registers = fleet.meter(serial).registers_at(NOW)
    for code in ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "8.8.0"):
        assert values[code].number == kwh(register_value(code, registers)), code
    assert values["1.8.0"].number == sum(values[c].number or 0 for c in ("1.8.1", "1.8.2", "1.8.3"))
    snap = fleet.meter(serial).snapshot(NOW)
    assert values["1.8.0*1"].number == kwh(import_total(snap.billing[0].registers))
    assert values["1.6.0"].number == kwh(snap.import_demand.watts)
    assert values["1.6.0"].time == snap.import_demand.time
    assert values["0.0.0"].value == serial
    assert values["32.7.0"].unit == "V"
    assert Decimal(220) < (values["32.7.0"].number or 0) < Decimal(240)


async def test_makel_readout_has_every_register_of_the_real_dump(fleet: Fleet) -> None:
    from pathlib import Path

    real = Path(__file__).parents[1] / "data" / "makel-c520.txt"
    wanted = {line.split("(", 1)[0] for line in real.read_text().splitlines() if "(" in line}
    client = await Client.connect(fleet.port("80221569"))
    try:
        event = await client.readout()
    finally:
        await client.close()
    assert isinstance(event, ReadoutReceived)
    got = {ds.address for ds in event.data_sets}
    assert wanted <= got
    values = {ds.address: ds for ds in event.data_sets}
    assert values["0.9.1"].value == "13:07:30"
    assert values["0.9.2"].value == "26-03-10"
    assert values["0.9.5"].value == "2"
    assert values["0.1.2*1"].value == "26-03-01,00:00"
    assert values["0.1.2*2"].value == "26-02-01,00:00"
    assert values["5.8.0"].unit == "kVArh"


@pytest.mark.parametrize("serial", ["80221569", "03878504", "669205929", "30131001"])
async def test_profile_gives_the_model_interval_indexes(fleet: Fleet, serial: str) -> None:
    device = fleet.device(serial)
    client = await Client.connect(fleet.port(serial))
    start = NOW - dt.timedelta(hours=3)
    try:
        assert isinstance(await client.programming(device.spec.password), PasswordAccepted)
        await client.send(client.session.send_profile_request(start, NOW))
        event = await client.event()
        await client.send(client.session.send_break())
    finally:
        await client.close()
    assert isinstance(event, ProfileReceived)
    assert not event.errors
    model = fleet.meter(serial)
    records = event.profile.records
    if serial == "669205929":  # Luna asks by day: the whole day so far
        start = local_midnight(dt.date(2026, 3, 10))
    expected_times = list(model.interval_ends(start, NOW))
    assert [r.time for r in records] == expected_times
    for record in records:
        registers = model.registers_at(record.time)
        values = {normalize_obis(code): value for code, value in record.values.items()}
        assert values["1.8.0"] == kwh(import_total(registers))
        assert values["2.8.0"] == kwh(register_value("2.8.0", registers))
    if serial == "30131001":  # full OBIS names in the header, two-digit status
        assert b"(00)(15)(6)(1-0:1.8.0)(kWh)" in client.raw
    if serial == "03878504":
        last = records[-1]
        assert (
            last.values["1.8.1"] + last.values["1.8.2"] + last.values["1.8.3"]
            == (last.values["1.8.0"])
        )
        assert {"32.7.0", "71.7.0"} <= set(last.values)
        # generation: daylight export between consecutive records
        assert records[-1].values["2.8.0"] > records[0].values["2.8.0"]


async def test_time_read_and_set_moves_the_clock(fleet: Fleet, clock: FixedClock) -> None:
    serial = "80229999"  # 7E1 on the wire, clock 754 s behind
    client = await Client.connect(fleet.port(serial), parity=True)
    try:
        assert isinstance(await client.programming("00000000"), PasswordAccepted)
        await client.send(client.session.send_read("0.9.1"))
        event = await client.event()
        assert isinstance(event, DataReceived)
        assert event.data_sets[0].value == "12:54:56"  # 13:07:30 − 754 s
        await client.send(client.session.send_time_set(NOW))
        assert isinstance(await client.event(), WriteAccepted)
        await client.send(client.session.send_date_set(NOW))
        assert isinstance(await client.event(), WriteAccepted)
        await client.send(client.session.send_break())
    finally:
        await client.close()
    assert fleet.meter(serial).meter_time(NOW) == NOW
    assert any(byte & 0x80 for byte in client.raw)  # parity bits were on the wire
    clock.advance(dt.timedelta(hours=1))
    assert fleet.meter(serial).meter_time(clock.now()) == clock.now()


async def test_second_concurrent_call_is_refused(fleet: Fleet) -> None:
    port = fleet.port("80221569")
    first = await Client.connect(port)
    try:
        assert isinstance(await first.sign_on(), Identified)
        second = await Client.connect(port)
        try:
            assert await asyncio.wait_for(second.reader.read(100), 5) == b""
        finally:
            await second.close()
        assert fleet.refused == 1
    finally:
        await first.close()


async def test_meter_sends_readout_when_option_select_never_comes(fleet: Fleet) -> None:
    client = await Client.connect(fleet.port("03878504"))
    try:
        assert isinstance(await client.sign_on(), Identified)
        event = await client.event()  # no option select: readout at 300 Bd after 0.3 s
    finally:
        await client.close()
    assert isinstance(event, ReadoutReceived)


async def test_dial_in_greets_and_answers(clock: FixedClock) -> None:
    from osos.simulator import MeterSpec

    calls: list[tuple[bytes, object]] = []
    two_calls = asyncio.Event()

    async def headend(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        greeting = await reader.readline()
        client = Client(reader, writer)
        try:
            event: object = await client.readout()
        except (EOFError, TimeoutError) as exc:
            event = exc
        calls.append((greeting, event))
        if len(calls) >= 2:
            two_calls.set()
        writer.close()

    server = await asyncio.start_server(headend, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    spec = MeterSpec("12345678", seed=5)
    try:
        async with Fleet([spec], clock=clock) as fleet:
            fleet.dial_in("127.0.0.1", port, interval=0.05)
            await asyncio.wait_for(two_calls.wait(), 10)  # it calls, then calls again
    finally:
        server.close()
        await server.wait_closed()
    first, second = calls[:2]
    for greeting, event in (first, second):
        assert greeting == b"ID:12345678\r\n"
        assert isinstance(event, ReadoutReceived)
    assert fleet.device("12345678").sessions >= 2


async def test_dial_in_redials_when_the_headend_is_down(clock: FixedClock) -> None:
    from osos.simulator import MeterSpec

    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    greeted = asyncio.Event()

    async def headend(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await reader.readline() == b"ID:87654321\r\n":
            greeted.set()
        writer.close()

    async with Fleet([MeterSpec("87654321", seed=6)], clock=clock) as fleet:
        fleet.dial_in("127.0.0.1", port, interval=60, retry=0.05)
        await asyncio.sleep(0.2)  # several refused attempts
        server = await asyncio.start_server(headend, "127.0.0.1", port, reuse_address=True)
        try:
            await asyncio.wait_for(greeted.wait(), 10)
        finally:
            server.close()
            await server.wait_closed()
    assert greeted.is_set()


async def test_latency_and_baud_pacing_delay_the_answer(clock: FixedClock) -> None:
    from osos.simulator import MeterSpec

    spec = MeterSpec("11110000", seed=1, port=0)
    async with Fleet([spec], clock=clock, latency=(0.2, 0.3), emulate_baud=True) as fleet:
        # 0.2 s latency + 23 characters at 300 Bd (10 bits each) ≈ 0.77 s
        assert await seconds_to_identify(fleet.port("11110000")) >= 0.2 + 0.7


def test_interval_helpers_agree() -> None:
    assert quarter_floor(NOW) + INTERVAL == dt.datetime(2026, 3, 10, 10, 15, tzinfo=dt.UTC)

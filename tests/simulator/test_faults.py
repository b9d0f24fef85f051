"""Each fault does what it says, for as many calls as it was set for."""

from __future__ import annotations

import datetime as dt

import pytest

from osos.errors import InvalidInput
from osos.protocol.iec62056_21.events import (
    BadBcc,
    DataReceived,
    PasswordAccepted,
    PasswordRejected,
    ProfileReceived,
    ReadoutReceived,
)
from osos.simulator import Fault, Fleet
from osos.simulator.faults import CLOCK_OFF_SECONDS, FaultState, parse_fault_option

from .conftest import NOW, Client, seconds_to_identify

MAKEL = "80221569"
EMH = "03878504"


async def call_readout(fleet: Fleet, serial: str) -> object:
    client = await Client.connect(fleet.port(serial))
    try:
        return await client.readout()
    except (EOFError, TimeoutError) as exc:
        return exc
    finally:
        await client.close()


async def unanswered_sign_on(fleet: Fleet, serial: str) -> bytes:
    """Sign on and find no identification within 0.5 s; returns what did arrive."""
    client = await Client.connect(fleet.port(serial))
    try:
        await client.send(client.session.send_request())
        with pytest.raises(TimeoutError):
            await client.event(timeout=0.5)
    finally:
        await client.close()
    return bytes(client.raw)


async def test_no_answer_accepts_and_stays_silent(fleet: Fleet) -> None:
    fleet.set_fault(MAKEL, Fault.NO_ANSWER, count=1)
    assert await unanswered_sign_on(fleet, MAKEL) == b""
    assert isinstance(await call_readout(fleet, MAKEL), ReadoutReceived)  # count was 1


async def test_drop_cuts_the_line_halfway_through_a_profile(fleet: Fleet) -> None:
    client = await Client.connect(fleet.port(EMH))
    try:
        assert isinstance(await client.programming("87654321"), PasswordAccepted)
        fleet.set_fault(EMH, Fault.DROP)  # takes effect from the next call
        await client.send(client.session.send_profile_request(NOW - dt.timedelta(hours=2), NOW))
        assert isinstance(await client.event(), ProfileReceived)
    finally:
        await client.close()
    client = await Client.connect(fleet.port(EMH))
    try:
        assert isinstance(await client.programming("87654321"), PasswordAccepted)
        before = len(client.raw)
        await client.send(client.session.send_profile_request(NOW - dt.timedelta(days=2), NOW))
        with pytest.raises(EOFError):
            await client.event()
    finally:
        await client.close()
    received = bytes(client.raw[before:])
    assert received.startswith(b"\x02P.01(")
    assert b"\x03" not in received  # no end of block: cut mid-frame
    fleet.clear_fault(EMH)
    assert isinstance(await call_readout(fleet, EMH), ReadoutReceived)


async def test_bad_bcc_is_detected_and_repeats_are_bad_too(fleet: Fleet) -> None:
    fleet.set_fault(MAKEL, Fault.BAD_BCC, count=1)
    client = await Client.connect(fleet.port(MAKEL))
    try:
        event = await client.readout()
        assert isinstance(event, BadBcc)
        await client.send(client.session.send_nak())
        assert isinstance(await client.event(), BadBcc)
    finally:
        await client.close()
    assert isinstance(await call_readout(fleet, MAKEL), ReadoutReceived)


async def test_wrong_password_rejects_the_right_one(fleet: Fleet) -> None:
    fleet.set_fault(MAKEL, Fault.WRONG_PASSWORD)
    client = await Client.connect(fleet.port(MAKEL))
    try:
        assert isinstance(await client.programming("12345678"), PasswordRejected)
    finally:
        await client.close()
    fleet.clear_fault(MAKEL, Fault.WRONG_PASSWORD)
    client = await Client.connect(fleet.port(MAKEL))
    try:
        assert isinstance(await client.programming("12345678"), PasswordAccepted)
        await client.send(client.session.send_read("0.9.2"))
        event = await client.event()
        assert isinstance(event, DataReceived)
        assert event.data_sets[0].value == "26-03-10"
    finally:
        await client.close()


async def test_wrong_password_is_rejected_without_a_fault(fleet: Fleet) -> None:
    client = await Client.connect(fleet.port(MAKEL))
    try:
        assert isinstance(await client.programming("99999999"), PasswordRejected)
    finally:
        await client.close()


async def test_garbage_replaces_every_answer(fleet: Fleet) -> None:
    fleet.set_fault(MAKEL, Fault.GARBAGE, count=1)
    raw = await unanswered_sign_on(fleet, MAKEL)
    # noise for the identification (and for the readout the meter sends when no option
    # select follows): not one frame start or line end in it
    assert len(raw) >= len(b"/MSY5<1>C520.KMY.2251\r\n")
    assert not set(raw) & set(b"/\r\n\x01\x02\x03\x06\x15")


async def test_noise_before_answers_is_skipped_by_the_client(fleet: Fleet) -> None:
    fleet.set_fault(EMH, Fault.NOISE)
    event = await call_readout(fleet, EMH)
    assert isinstance(event, ReadoutReceived)
    assert not event.errors


async def test_slow_baud_paces_the_answer_at_300_bd(fleet: Fleet) -> None:
    fleet.set_fault(MAKEL, Fault.SLOW_BAUD, count=1)
    assert await seconds_to_identify(fleet.port(MAKEL)) >= 22 * 10 / 300  # 23 chars, 10 bits


async def test_clock_off_until_set_or_cleared(fleet: Fleet) -> None:
    fleet.set_fault(EMH, Fault.CLOCK_OFF)
    model = fleet.meter(EMH)
    assert model.meter_time(NOW) == NOW + dt.timedelta(seconds=CLOCK_OFF_SECONDS)
    event = await call_readout(fleet, EMH)
    assert isinstance(event, ReadoutReceived)
    clock_value = next(ds for ds in event.data_sets if ds.address == "1-0:0.9.1*255")
    assert clock_value.value == "152430"  # 13:07:30 + 2 h 17 min
    fleet.clear_fault(EMH)
    assert model.meter_time(NOW) == NOW


def test_fault_counts_are_per_session() -> None:
    state = FaultState()
    state.set(Fault.DROP, 2)
    state.set(Fault.NOISE)
    assert state.begin_session() == {Fault.DROP, Fault.NOISE}
    assert state.begin_session() == {Fault.DROP, Fault.NOISE}
    assert state.begin_session() == {Fault.NOISE}
    state.clear()
    assert state.begin_session() == frozenset()
    with pytest.raises(InvalidInput):
        state.set(Fault.DROP, 0)


def test_fault_option_parsing() -> None:
    assert parse_fault_option("1=drop,bad-bcc 2=no_answer") == [
        ("1", Fault.DROP),
        ("1", Fault.BAD_BCC),
        ("2", Fault.NO_ANSWER),
    ]
    with pytest.raises(InvalidInput, match="unknown fault 'melt'"):
        parse_fault_option("1=melt")
    with pytest.raises(InvalidInput, match="SERIAL=kind"):
        parse_fault_option("drop")


def test_random_faults_are_seeded(fleet: Fleet) -> None:
    first = fleet.random_faults(0.5, seed=7)
    for serial in first:
        fleet.clear_fault(serial)
    assert fleet.random_faults(0.5, seed=7) == first
    assert fleet.random_faults(0.0, seed=7) == {}

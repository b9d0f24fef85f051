"""Client session ↔ meter session wired directly together (no sockets)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest

from osos.protocol.iec62056_21.datasets import DataSet
from osos.protocol.iec62056_21.errors import SessionError
from osos.protocol.iec62056_21.events import (
    BadBcc,
    DataReceived,
    ErrorReceived,
    Event,
    Identified,
    NeedMoreData,
    PartialBlockReceived,
    PasswordAccepted,
    PasswordRejected,
    PasswordRequested,
    ProfileReceived,
    ReadoutReceived,
    SessionClosed,
    WriteAccepted,
    WriteRejected,
)
from osos.protocol.iec62056_21.framing import ParityCodec
from osos.protocol.iec62056_21.messages import DataMessage, IdentificationMessage
from osos.protocol.iec62056_21.meter_profiles import profile_by_key
from osos.protocol.iec62056_21.meter_session import MeterSession, MeterState
from osos.protocol.iec62056_21.profile import Channel, LoadProfile, ProfileRecord
from osos.protocol.iec62056_21.session import PROGRAMMING, READOUT, ClientSession, State
from osos.timeutil import LOCAL_TZ

T0 = dt.datetime(2023, 11, 1, 0, 15, tzinfo=LOCAL_TZ)


class FakeMeter:
    """A provider with a readout, a clock, a profile and a password."""

    def __init__(self, ident: bytes = b"/MSY5<1>C520.KMY.2251\r\n") -> None:
        self.ident = IdentificationMessage.from_bytes(ident)
        self.registers = {"0.9.1": "16:55:35", "0.9.2": "23-06-14", "1.8.0": "000070.677*kWh"}
        self.writes: list[tuple[str, str]] = []
        self.profile_calls: list[tuple[dt.datetime | None, dt.datetime | None]] = []

    def identification(self) -> IdentificationMessage:
        return self.ident

    def readout_data_sets(self) -> Sequence[DataSet]:
        return [
            DataSet.of("0.0.0", "80221569"),
            DataSet.of("1.8.0", "000070.677", "kWh"),
            DataSet.of("1.6.0", "003.264", "kW", "23-06-06,18:45"),
            DataSet.of("32.7.0", "241.16", "V"),
        ]

    def profile(self, start: dt.datetime | None, end: dt.datetime | None) -> LoadProfile:
        self.profile_calls.append((start, end))
        channels = (Channel("1.8.0", "kWh"), Channel("5.8.0", "kvarh"))
        records = tuple(
            ProfileRecord(
                T0 + dt.timedelta(minutes=15 * k),
                {"1.8.0": Decimal(f"70.{k}00"), "5.8.0": Decimal("14.642")},
                "00,00",
            )
            for k in range(4)
        )
        return LoadProfile("P.01", channels, 15, records)

    def check_password(self, password: str) -> bool:
        return password == "12345678"

    def read(self, address: str) -> str | DataSet | None:
        return self.registers.get(address)

    def write(self, address: str, value: str) -> bool:
        if address not in ("0.9.1", "0.9.2"):
            return False
        self.writes.append((address, value))
        return True


def exchange(client: ClientSession, meter: MeterSession, request: bytes, chunk: int = 0) -> Event:
    """Deliver ``request`` to the meter and its answer to the client; return the first event."""
    answer = meter.receive_data(request)
    if chunk:
        for i in range(0, len(answer), chunk):
            client.receive_data(answer[i : i + chunk])
    else:
        client.receive_data(answer)
    return client.next_event()


def sign_on(client: ClientSession, meter: MeterSession) -> Identified:
    event = exchange(client, meter, client.send_request())
    assert isinstance(event, Identified)
    return event


def test_readout() -> None:
    meter, client = MeterSession(FakeMeter()), ClientSession()
    identified = sign_on(client, meter)
    assert identified.profile.key == "makel"
    assert identified.identification.generation == "1"
    option = client.send_option_select(READOUT)
    assert option == b"\x06050\r\n"
    assert client.baud == 9600
    event = exchange(client, meter, option, chunk=5)
    assert meter.baud == 9600
    assert isinstance(event, ReadoutReceived)
    assert event.errors == ()
    assert [ds.address for ds in event.data_sets] == ["0.0.0", "1.8.0", "1.6.0", "32.7.0"]
    assert event.data_sets[1].number == Decimal("70.677")
    assert event.data_sets[2].time == dt.datetime(2023, 6, 6, 18, 45, tzinfo=LOCAL_TZ)
    assert event.raw.startswith(b"\x02") and event.raw[-2] == 0x03
    assert client.state is State.CLOSED
    assert meter.state is MeterState.IDLE
    assert isinstance(client.next_event(), NeedMoreData)


def test_no_baud_switch_when_profile_says_so() -> None:
    from dataclasses import replace

    profile = replace(profile_by_key("makel"), baud_switch=False)
    meter = MeterSession(FakeMeter(), profile=profile)
    client = ClientSession(profile=profile)
    sign_on(client, meter)
    assert client.send_option_select(READOUT) == b"\x06000\r\n"
    assert client.baud == 300


def test_programming_session_password_time_profile_break() -> None:
    provider = FakeMeter()
    meter, client = MeterSession(provider, seed="1234"), ClientSession()
    sign_on(client, meter)
    event = exchange(client, meter, client.send_option_select(PROGRAMMING))
    assert event == PasswordRequested("1234")
    assert isinstance(exchange(client, meter, client.send_password("12345678")), PasswordAccepted)
    assert client.state is State.PROGRAMMING

    event = exchange(client, meter, client.send_read("0.9.1"))
    assert isinstance(event, DataReceived)
    assert event.address == "0.9.1" and event.data_sets[0].value == "16:55:35"
    event = exchange(client, meter, client.send_read("0.9.2"))
    assert isinstance(event, DataReceived) and event.data_sets[0].value == "23-06-14"

    request = client.send_profile_request(T0, T0 + dt.timedelta(hours=1))
    assert b"R2\x02P.01(2311010015;2311010115)" in request
    event = exchange(client, meter, request)
    assert isinstance(event, ProfileReceived)
    assert event.errors == ()
    assert provider.profile_calls == [(T0, T0 + dt.timedelta(hours=1))]
    assert len(event.profile.records) == 4
    assert event.profile.records[3].time == T0 + dt.timedelta(minutes=45)
    assert event.profile.records[2].values["1.8.0"] == Decimal("70.200")

    when = dt.datetime(2023, 11, 1, 12, 30, 5, tzinfo=LOCAL_TZ)
    assert exchange(client, meter, client.send_time_set(when)) == WriteAccepted("0.9.1")
    assert exchange(client, meter, client.send_date_set(when)) == WriteAccepted("0.9.2")
    assert provider.writes == [("0.9.1", "12:30:05"), ("0.9.2", "23-11-01")]
    assert exchange(client, meter, client.send_write("1.8.0", "0")) == WriteRejected("1.8.0")

    event = exchange(client, meter, client.send_read("9.9.9"))
    assert isinstance(event, ErrorReceived) and event.text == "ERROR"

    assert meter.receive_data(client.send_break()) == b""
    assert client.state is State.CLOSED
    assert meter.state is MeterState.IDLE


def test_emh_uses_r5_and_compact_time_format() -> None:
    provider = FakeMeter(b"/EMH5\\@D4EM4TIIW001--\r\n")
    meter, client = MeterSession(provider), ClientSession()
    sign_on(client, meter)
    exchange(client, meter, client.send_option_select(PROGRAMMING))
    exchange(client, meter, client.send_password("12345678"))
    assert client.send_read("0.9.1").startswith(b"\x01R5")
    exchange(client, meter, b"")  # nothing pending in the meter: no answer
    client2 = ClientSession(profile=profile_by_key("emh"))
    assert client2.profile.time_format == "%H%M%S"


def test_wrong_password_then_right_then_lockout() -> None:
    meter, client = MeterSession(FakeMeter()), ClientSession()
    sign_on(client, meter)
    exchange(client, meter, client.send_option_select(PROGRAMMING))
    assert exchange(client, meter, client.send_password("00000000")) == PasswordRejected(1)
    assert client.state is State.SEED_RECEIVED
    assert exchange(client, meter, client.send_password("12345678")) == PasswordAccepted()

    meter, client = MeterSession(FakeMeter()), ClientSession()
    sign_on(client, meter)
    exchange(client, meter, client.send_option_select(PROGRAMMING))
    exchange(client, meter, client.send_password("1"))
    exchange(client, meter, client.send_password("2"))
    event = exchange(client, meter, client.send_password("3"))
    assert isinstance(event, SessionClosed)
    assert client.state is State.CLOSED and meter.state is MeterState.IDLE


def test_bad_bcc_nak_and_re_request() -> None:
    meter, client = MeterSession(FakeMeter()), ClientSession()
    sign_on(client, meter)
    answer = bytearray(meter.receive_data(client.send_option_select(READOUT)))
    answer[5] ^= 0x01  # one flipped bit on the line
    client.receive_data(bytes(answer))
    event = client.next_event()
    assert isinstance(event, BadBcc)
    assert client.bcc_errors == 1 and client.state is State.AWAIT_READOUT
    repeated = meter.receive_data(client.send_nak())
    client.receive_data(repeated)
    assert isinstance(client.next_event(), ReadoutReceived)


def test_meter_naks_a_command_with_bad_bcc_and_retries_are_bounded() -> None:
    meter, client = MeterSession(FakeMeter()), ClientSession(max_retries=2)
    sign_on(client, meter)
    exchange(client, meter, client.send_option_select(PROGRAMMING))
    exchange(client, meter, client.send_password("12345678"))
    bad = bytearray(client.send_read("0.9.1"))
    bad[-1] ^= 0x01
    assert meter.receive_data(bytes(bad)) == b"\x15"
    assert meter.bcc_errors == 1
    client.send_nak()
    client.send_nak()
    with pytest.raises(SessionError, match="gave up"):
        client.send_nak()


def test_partial_blocks() -> None:
    meter, client = MeterSession(FakeMeter(), block_size=30), ClientSession()
    sign_on(client, meter)
    event = exchange(client, meter, client.send_option_select(READOUT))
    blocks = 0
    while isinstance(event, PartialBlockReceived):
        blocks += 1
        assert event.blocks == blocks
        event = exchange(client, meter, client.send_ack())
    assert blocks >= 2
    assert isinstance(event, ReadoutReceived)
    assert len(event.data_sets) == 4 and event.errors == ()


def test_echo_is_ignored() -> None:
    meter, client = MeterSession(FakeMeter()), ClientSession()
    request = client.send_request()
    client.receive_data(request)  # optical head echo
    client.receive_data(meter.receive_data(request))
    assert isinstance(client.next_event(), Identified)
    option = client.send_option_select(READOUT)
    client.receive_data(option + meter.receive_data(option))
    assert isinstance(client.next_event(), ReadoutReceived)


def test_meter_timeout_sends_readout_at_300_and_signs_off() -> None:
    meter, client = MeterSession(FakeMeter()), ClientSession()
    sign_on(client, meter)
    client.receive_data(meter.timeout())
    assert isinstance(client.next_event(), ReadoutReceived)
    assert meter.baud == 300 and meter.state is MeterState.IDLE


def test_addressed_sign_on() -> None:
    meter = MeterSession(FakeMeter(), address="21003746")
    assert meter.receive_data(ClientSession(address="99999999").send_request()) == b""
    assert meter.receive_data(ClientSession(address="21003746").send_request()).startswith(b"/MSY")


def test_software_parity_on_both_sides() -> None:
    codec = ParityCodec(software=True, check=True)
    meter, client = MeterSession(FakeMeter(), parity=codec), ClientSession(parity=codec)
    request = client.send_request()
    assert request != b"/?!\r\n" and bytes(b & 0x7F for b in request) == b"/?!\r\n"
    client.receive_data(meter.receive_data(request))
    assert isinstance(client.next_event(), Identified)


def test_illegal_transitions_raise() -> None:
    client = ClientSession()
    with pytest.raises(SessionError, match="not allowed in state 'idle'"):
        client.send_password("12345678")
    assert client.password_attempts == 0
    client.send_request()
    with pytest.raises(SessionError):
        client.send_read("0.9.1")
    client.receive_data(DataMessage.answer("0.9.1", "1").to_bytes())
    with pytest.raises(SessionError):
        client.next_event()  # data while waiting for the identification

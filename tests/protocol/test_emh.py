"""EMH (EM4T II readout and programming transcripts, LZQJ load profile)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from osos.protocol.iec62056_21.datasets import DataSet
from osos.protocol.iec62056_21.errors import BccError
from osos.protocol.iec62056_21.framing import FrameBuffer
from osos.protocol.iec62056_21.messages import (
    Ack,
    AckOptionSelect,
    CommandMessage,
    DataMessage,
    IdentificationMessage,
    RequestMessage,
    bcc,
    decode,
    frame_bcc,
)
from osos.protocol.iec62056_21.meter_profiles import profile_for
from osos.protocol.iec62056_21.profile import HeaderLayout, parse_profile
from osos.timeutil import LOCAL_TZ

from .conftest import by_address, capture, sample

READOUT = "emh-em4tii-readout.txt"
PROGRAMMING = "emh-em4tii-programming.txt"
LZQJ = "emh-lzqj-p01-6ch.txt"


def frames(name: str) -> list[bytes]:
    buffer = FrameBuffer()
    buffer.feed(sample(name))
    return list(buffer)


def test_identification() -> None:
    ident = capture(READOUT).identification
    assert ident is not None
    assert (ident.flag, ident.baud_char, ident.baud) == ("EMH", "5", 9600)
    assert ident.enhanced == "@"
    assert ident.generation is None
    assert ident.ident == "D4EM4TIIW001--"
    assert profile_for(ident.flag, ident.ident).read_kind == "5"


def test_readout_session_messages_round_trip() -> None:
    messages = [decode(f) for f in frames(READOUT)]
    assert [type(m) for m in messages] == [
        RequestMessage,
        IdentificationMessage,
        AckOptionSelect,
        DataMessage,
        CommandMessage,
    ]
    option = messages[2]
    assert isinstance(option, AckOptionSelect)
    assert (option.protocol, option.baud_char, option.mode) == ("0", "5", "0")
    for frame, message in zip(frames(READOUT), messages, strict=True):
        assert message.to_bytes() == frame


def test_readout_bcc_is_plus_and_break_bcc_is_q() -> None:
    data_frame = frames(READOUT)[3]
    assert data_frame[-1:] == b"+"
    assert frame_bcc(data_frame) == 0x2B
    assert CommandMessage.break_().to_bytes() == b"\x01B0\x03q"
    assert bcc(b"B0\x03") == ord("q")


def test_readout_values() -> None:
    result = capture(READOUT)
    assert result.errors == ()
    values = by_address(result)
    assert len(values) == 18
    assert (values["1-0:1.8.0*255"].value, values["1-0:1.8.0*255"].unit) == ("0.0", "kWh")
    assert values["1-0:1.8.0*255"].number == Decimal("0.0")
    assert (values["1-0:3.8.0*255"].value, values["1-0:3.8.0*255"].unit) == ("0.0", "kvarh")
    assert values["0-0:F.F.0*255"].value == "00000000"
    empty = values["1-0:0.0.1*255"]
    assert (empty.value, empty.unit, empty.number) == ("", None, None)
    assert values["1-0:0.9.1*255"].value == "140253"
    assert values["1-0:0.9.2*255"].value == "121221"
    assert values["0-0:C.1.0*255"].value == "03878504"
    assert values["0-0:C.1.0*255"].obis == "C.1.0"
    assert (values["1-0:0.8.4*255"].value, values["1-0:0.8.4*255"].unit) == ("5", "min")
    assert (values["1-0:0.3.0*255"].value, values["1-0:0.3.0*255"].unit) == ("6.00", "Imp/kWh")
    assert values["1-0:0.2.1*1"].value == "121120??"
    assert values["1-0:0.2.1*1"].obis == "0.2.1*1"
    assert values["1-0:C.1.9*255"].value == "Point-ID"
    assert values["1-0:1.8.0*255"].obis == "1.8.0"


def test_programming_bccs_all_verify() -> None:
    expected = {
        b"\x01P0\x02()\x03": "`",
        b"\x01P1\x02(00000000)\x03": "a",
        b"\x01R5\x020.9.2()\x03": "\\",
        b"\x020.9.2(130103)\x03": "9",
        b"\x01R5\x020.9.1()\x03": "_",
        b"\x020.9.1(101415)\x03": ":",
        b"\x01W5\x021-0:0.9.129*255(1301031605000002)(00000000)\x03": "^",
    }
    data = sample(PROGRAMMING)
    for frame, char in expected.items():
        assert frame + char.encode() in data
        assert chr(frame_bcc(frame)) == char
    for frame in frames(PROGRAMMING):
        assert decode(frame).to_bytes() == frame


def test_programming_messages() -> None:
    messages = [decode(f) for f in frames(PROGRAMMING)]
    assert messages[2] == AckOptionSelect.programming("5")
    assert messages[3] == CommandMessage.seed("")
    assert messages[4] == CommandMessage.password("00000000")
    assert messages[5] == Ack()
    assert messages[6] == CommandMessage.read("0.9.2", kind="5")
    assert messages[7] == DataMessage.answer("0.9.2", "130103")
    assert DataSet.from_text(messages[9].data).value == "101415"  # type: ignore[union-attr]
    write = messages[17]
    assert isinstance(write, CommandMessage)
    assert write.name == "W5"
    assert write.address == "1-0:0.9.129*255"
    assert write.value == "1301031605000002"
    assert write.groups == ("1301031605000002", "00000000")
    assert messages[-1] == CommandMessage.break_()
    values = by_address(capture(PROGRAMMING))
    assert values["0.9.2"].value == "130103"
    assert values["0.9.1"].value == "101415"


def test_corrupted_readout_bcc_is_an_error_naming_the_frame() -> None:
    data = bytearray(sample(READOUT))
    index = data.index(b"(6.00")
    data[index + 1] = ord("7")
    result = capture_bytes(bytes(data))
    assert any("bad BCC" in e and "frame" in e and "offset" in e for e in result.errors)
    with pytest.raises(BccError, match="0x2B"):
        DataMessage.from_bytes(frames_of(bytes(data))[3])


def capture_bytes(data: bytes):  # type: ignore[no-untyped-def]
    from osos.protocol.iec62056_21.capture import parse_capture

    return parse_capture(data)


def frames_of(data: bytes) -> list[bytes]:
    buffer = FrameBuffer()
    buffer.feed(data)
    return list(buffer)


def test_lzqj_profile() -> None:
    result = capture(LZQJ)
    assert result.errors == ()
    assert result.identification is None
    (profile,) = result.profiles
    assert profile.period == 15
    assert [(c.obis, c.unit) for c in profile.channels] == [
        ("1.5", "kW"),
        ("2.5", "kW"),
        ("5.5", "kvar"),
        ("6.5", "kvar"),
        ("7.5", "kvar"),
        ("8.5", "kvar"),
    ]
    first, second = result.profile
    assert first.time == dt.datetime(2022, 8, 23, 16, 15, tzinfo=LOCAL_TZ)
    assert second.time == dt.datetime(2022, 8, 23, 16, 30, tzinfo=LOCAL_TZ)
    assert first.status == second.status == "00000000"
    assert [first.values[c.obis] for c in profile.channels] == [
        Decimal(v) for v in ("0.18374", "0.00078", "0.00000", "0.00006", "0.00087", "0.02431")
    ]
    assert [second.values[c.obis] for c in profile.channels] == [
        Decimal(v) for v in ("0.16832", "0", "0", "0", "0", "0.02686")
    ]
    assert first.value_texts()["8.5"] == "0.02431"


def test_lzqj_header_season_digit() -> None:
    text = sample(LZQJ).decode()
    assert text.startswith("P.01(1220823161500)")
    profile = parse_profile(text, HeaderLayout())
    assert profile.records[0].time.hour == 16

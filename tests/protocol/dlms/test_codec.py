"""Codec units: CRC, the Green Book HLS-GMAC vector, every A-XDR type round-trips, refusals
name the offset, the stream buffers take any chunking."""

from __future__ import annotations

import datetime as dt

import pytest

from osos.protocol.dlms.axdr import BitString, CompactArray, Data, Tag, TypeDesc
from osos.protocol.dlms.dates import Date, DateTime, Time
from osos.protocol.dlms.errors import DecodeError, FrameCheckError, SecurityError
from osos.protocol.dlms.hdlc import FrameBuffer, FrameKind, HdlcAddress, HdlcFrame, crc16
from osos.protocol.dlms.mode_e import ModeE
from osos.protocol.dlms.security import (
    CipheredApdu,
    hls_gmac_proof,
    verify_hls_gmac,
)
from osos.protocol.dlms.wrapper import WrapperBuffer, WrapperFrame

from .conftest import CLIENT_TITLE, GREEN_BOOK, SERVER_TITLE, sample


def test_crc16_x25_check_value() -> None:
    assert crc16(b"123456789") == 0x906E


def test_green_book_hls_gmac_vector() -> None:
    f_stoc = hls_gmac_proof(GREEN_BOOK, CLIENT_TITLE, 1, b"P6wRJ21F")
    assert f_stoc.hex().upper() == "10000000011A52FE7DD3E72748973C1E28"
    f_ctos = hls_gmac_proof(GREEN_BOOK, SERVER_TITLE, 0x01234567, b"K56iVagY")
    assert f_ctos.hex().upper() == "1001234567FE1466AFB3DBCD4F9389E2B7"
    assert verify_hls_gmac(GREEN_BOOK, CLIENT_TITLE, b"P6wRJ21F", f_stoc)
    assert not verify_hls_gmac(GREEN_BOOK, CLIENT_TITLE, b"P6wRJ21G", f_stoc)


def test_a_tampered_ciphered_apdu_is_refused() -> None:
    raw = bytearray(sample("greenbook_glo_get_request_auth_enc"))
    raw[10] ^= 1
    with pytest.raises(SecurityError, match="does not verify"):
        CipheredApdu.from_bytes(bytes(raw)).open(GREEN_BOOK, SERVER_TITLE)


STAMP = DateTime(Date(2026, 3, 10, 2), Time(13, 7, 30, 0), -180, 0)
EVERY_TYPE = Data.structure(
    Data.null(),
    Data.array(Data(Tag.UNSIGNED, 1)),
    Data.boolean(True),
    Data(Tag.BIT_STRING, BitString(10, b"\xff\xc0")),
    Data(Tag.DOUBLE_LONG, -5),
    Data(Tag.DOUBLE_LONG_UNSIGNED, 2**32 - 1),
    Data.octets(b"\x00\x01"),
    Data.visible("ab"),
    Data(Tag.UTF8_STRING, "çğış"),
    Data(Tag.BCD, 0x42),
    Data(Tag.INTEGER, -128),
    Data(Tag.LONG, -2),
    Data(Tag.UNSIGNED, 255),
    Data(Tag.LONG_UNSIGNED, 65535),
    Data(Tag.LONG64, -(2**63)),
    Data(Tag.LONG64_UNSIGNED, 2**64 - 1),
    Data.enum(30),
    Data(Tag.FLOAT32, 1.5),
    Data(Tag.FLOAT64, -2.25),
    Data.date_time(STAMP),
    Data(Tag.DATE, Date(2026, 3, 10, 2)),
    Data(Tag.TIME, Time(13, 7, 30, 0)),
    Data(Tag.DONT_CARE),
    Data(
        Tag.COMPACT_ARRAY,
        CompactArray(
            TypeDesc(Tag.STRUCTURE, fields=(TypeDesc(Tag.LONG_UNSIGNED), TypeDesc(Tag.BOOLEAN))),
            (
                Data.structure(Data(Tag.LONG_UNSIGNED, 7), Data.boolean(False)),
                Data.structure(Data(Tag.LONG_UNSIGNED, 8), Data.boolean(True)),
            ),
        ),
    ),
)


def test_every_data_type_round_trips() -> None:
    raw = EVERY_TYPE.to_bytes()
    assert Data.from_bytes(raw) == EVERY_TYPE
    assert Data.from_bytes(raw).to_bytes() == raw


def test_long_lengths_and_float_bytes_survive() -> None:
    big = Data.octets(bytes(300))
    assert big.to_bytes()[:4] == b"\x09\x82\x01\x2c"
    nan = bytes.fromhex("177fa00001")  # a signalling NaN payload
    assert Data.from_bytes(nan).to_bytes() == nan


def test_date_time_to_utc_and_back() -> None:
    when = dt.datetime(2026, 3, 10, 10, 7, 30, tzinfo=dt.UTC)
    assert STAMP.to_utc() == when
    assert DateTime.from_utc(when, -180) == STAMP
    assert DateTime().to_utc() is None
    undeviated = DateTime(STAMP.date, STAMP.time)
    assert undeviated.to_utc(-180) == when
    with pytest.raises(DecodeError, match="deviation"):
        undeviated.to_utc()


@pytest.mark.parametrize(
    ("raw", "offset", "expected"),
    [
        (b"\x06\x00\x01", 1, "4 bytes of DOUBLE_LONG_UNSIGNED"),
        (b"\x08", 0, "a data tag (0x08 is none)"),
        (b"\x02\x05\x00", 1, "5 elements"),
        (b"\x0c\x02\xff\xfe", 2, "UTF-8 text"),
        (b"\x09\x85\x00", 1, "is no length form"),
        (b"\x11\x01\x00", 2, "the end"),
    ],
)
def test_refusals_name_the_offset(raw: bytes, offset: int, expected: str) -> None:
    with pytest.raises(DecodeError) as refused:
        Data.from_bytes(raw)
    assert refused.value.offset == offset and expected in refused.value.expected


def test_hdlc_check_sums_are_verified() -> None:
    raw = bytearray(sample("kamstrup_pull_hdlc_get_response"))
    raw[12] ^= 0xFF
    with pytest.raises(FrameCheckError, match="FCS"):
        HdlcFrame.from_bytes(bytes(raw))
    raw = bytearray(sample("kamstrup_pull_hdlc_get_response"))
    raw[7] ^= 0xFF
    with pytest.raises(FrameCheckError, match="HCS"):
        HdlcFrame.from_bytes(bytes(raw))


def test_hdlc_buffer_takes_garbage_split_and_joined_frames() -> None:
    one = sample("kamstrup_pull_hdlc_disc")
    two = sample("kamstrup_pull_hdlc_get_response")
    stream = b"\x00garbage" + one + two[:5]
    buffer = FrameBuffer()
    buffer.feed(stream)
    frames = list(buffer.frames())
    buffer.feed(two[5:] + two[1:])  # the next frame shares the closing flag
    frames += list(buffer.frames())
    kinds = [HdlcFrame.from_bytes(f).kind for f in frames]
    assert kinds == [FrameKind.DISC, FrameKind.I, FrameKind.I]
    assert buffer.discarded == 8


def test_addresses_of_every_size() -> None:
    for address, wire in (
        (HdlcAddress(16), "21"),
        (HdlcAddress(1, 17, 2), "0223"),
        (HdlcAddress(17, 5481, 4), "002254d3"),
    ):
        assert address.to_bytes().hex() == wire
    assert HdlcAddress.server(1, 17) == HdlcAddress(1, 17, 2)
    assert HdlcAddress.server(1, 2836).size == 4
    with pytest.raises(DecodeError):
        HdlcAddress(1, None, 3)


def test_wrapper_buffer_and_version_refusal() -> None:
    frame = WrapperFrame(16, 1, b"\xc0\x01\xc1")
    buffer = WrapperBuffer()
    data = frame.to_bytes() * 2
    buffer.feed(data[:5])
    assert list(buffer.frames()) == []
    buffer.feed(data[5:])
    assert list(buffer.frames()) == [frame, frame]
    with pytest.raises(DecodeError, match="version 1, got 2"):
        WrapperFrame.from_bytes(b"\x00\x02" + frame.to_bytes()[2:])


def test_mode_e_sign_on_and_switch() -> None:
    sign_on = ModeE()
    assert sign_on.start() == b"/?!\r\n"
    assert sign_on.receive(b"/?!\r\n/LGZ5\\2ZMD120APt.G03") is None
    ident = sign_on.receive(b"\r\n")
    assert ident is not None and ident.flag == "LGZ" and sign_on.hdlc_capable
    assert sign_on.switch() == b"\x06252\r\n" and sign_on.baud == 9600

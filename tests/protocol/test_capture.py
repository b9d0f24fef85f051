"""parse_capture on every way a capture arrives: line ends, lost control characters,
parity bits, trailing bytes, bad BCC, and input that is no readout at all."""

from __future__ import annotations

import re

import pytest

from osos.protocol.iec62056_21.capture import parse_capture
from osos.protocol.iec62056_21.errors import NotAReadoutError, ProtocolError
from osos.protocol.iec62056_21.framing import add_even_parity

from .conftest import by_address, capture, sample

EMH = sample("emh-em4tii-readout.txt")
MAKEL = sample("makel-c520.txt")


def same_values(data: bytes, reference: bytes) -> None:
    got, want = parse_capture(data), parse_capture(reference)
    assert [(d.address, d.value, d.unit) for d in got.values] == [
        (d.address, d.value, d.unit) for d in want.values
    ]
    assert got.identification == want.identification


@pytest.mark.parametrize("ending", [b"\n", b"\r", b"\r\r\n"])
def test_line_end_variants(ending: bytes) -> None:
    data = MAKEL.replace(b"\r\n", ending)
    result = parse_capture(data)
    assert result.errors == ()
    same_values(data, MAKEL)


def test_control_characters_lost() -> None:
    text = re.sub(rb"[\x01-\x06\x15]", b"", EMH)
    result = parse_capture(text)
    assert result.errors == ()
    assert result.identification is not None and result.identification.flag == "EMH"
    same_values(text, EMH)


def test_parity_bits_from_an_8n1_port() -> None:
    same_values(add_even_parity(EMH), EMH)


def test_trailing_bytes_and_garbage_before() -> None:
    same_values(b"\x00\x00garbage" + EMH + b"\x06trailing junk", EMH)
    same_values(MAKEL + b"\x00\x00 more", MAKEL)


def test_missing_bcc_and_missing_etx() -> None:
    data = b"/MSY5<1>C520.KMY.2251\r\n\x06050\r\n\x021.8.0(000070.677*kWh)\r\n!\r\n"
    result = parse_capture(data)
    assert by_address(result)["1.8.0"].value == "70.677"
    assert any("no ETX" in e for e in result.errors)
    result = parse_capture(data + b"\x03")
    assert result.errors == ()


def test_bad_bcc_names_the_frame() -> None:
    data = EMH.replace(b"\x03+", b"\x03-")
    result = parse_capture(data)
    (error,) = result.errors
    assert error.startswith("frame 1 (STX at offset ")
    assert "received 0x2D, computed 0x2B" in error
    assert len(result.values) == 18  # values still reported, flagged by the error


def test_broken_lines_are_errors_others_still_parse() -> None:
    data = MAKEL.replace(b"1.8.1(000035.317*kWh)", b"1.8.1(000035.317*kWh")
    result = parse_capture(data)
    assert len(result.values) == 69
    assert any("line 10" in e and "unclosed" in e for e in result.errors)


def test_programming_capture_values_from_answers() -> None:
    values = by_address(capture("emh-em4tii-programming.txt"))
    assert set(values) == {"0.9.1", "0.9.2"}


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 50, b"hello world", b"<html><body>x</body></html>", b"a(b)\r\nc d e f\r\n"],
)
def test_not_a_readout(data: bytes) -> None:
    with pytest.raises(NotAReadoutError) as info:
        parse_capture(data)
    assert isinstance(info.value, ProtocolError)
    assert "bytes" in str(info.value)


def test_meter_profile_from_identification() -> None:
    assert capture("emh-em4tii-readout.txt").meter_profile.key == "emh"
    assert capture("makel-c520.txt").meter_profile.key == "generic"

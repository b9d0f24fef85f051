"""Messages: byte-exact round trips, named constructors, BCC vectors, typed errors."""

from __future__ import annotations

import pytest

from osos.protocol.iec62056_21.errors import BccError, FrameError
from osos.protocol.iec62056_21.messages import (
    Ack,
    AckOptionSelect,
    CommandMessage,
    DataMessage,
    IdentificationMessage,
    Nak,
    RequestMessage,
    bcc,
    decode,
    frame_bcc,
)

ROUND_TRIPS = [
    b"/?!\r\n",
    b"/?21003746!\r\n",
    b"/?MSY40782736!\r\n",
    b"/MSY5<1>C520.KMY.2251\r\n",
    b"/MSY5<1>M600.2251\r\n",
    b"/LUN5<1>LUN669205929\r\n",
    b"/MKS5<2>ADM(M550.2251)\r\n",
    b"/EMH5\\@D4EM4TIIW001--\r\n",
    b"/LGZ5\\2ZMD120APt.G03\r\n",
    b"/ISk5MT174-0001\r\n",
    b"/KMP5 KA6U001660297912\r\n",
    b"/ESY5Q3DA1024 V3.03\r\n",
    b"\x06050\r\n",
    b"\x06051\r\n",
    b"\x06000\r\n",
    b"\x06056\r\n",
    b"\x06",
    b"\x15",
    b"\x01B0\x03q",
]


@pytest.mark.parametrize("frame", ROUND_TRIPS)
def test_round_trip(frame: bytes) -> None:
    assert decode(frame).to_bytes() == frame


def test_identification_fields() -> None:
    lgz = IdentificationMessage.from_bytes(b"/LGZ5\\2ZMD120APt.G03\r\n")
    assert (lgz.enhanced, lgz.ident) == ("2", "ZMD120APt.G03")
    iskra = IdentificationMessage.from_bytes(b"/ISk5MT174-0001\r\n")
    assert iskra.short_reaction_time
    assert iskra.manufacturer == "ISK"
    mks = IdentificationMessage.from_bytes(b"/MKS5<2>ADM(M550.2251)\r\n")
    assert (mks.generation, mks.ident) == ("2", "ADM(M550.2251)")
    rates = [IdentificationMessage("ABC", str(k), "x").baud for k in range(7)]
    assert rates == [300, 600, 1200, 2400, 4800, 9600, 19200]
    assert "MSY" in repr(IdentificationMessage("MSY", "5", "M600.2251", generation="1"))


def test_option_select_puts_mode_in_y() -> None:
    assert AckOptionSelect.readout("5").to_bytes() == b"\x06050\r\n"
    assert AckOptionSelect.programming("5").to_bytes() == b"\x06051\r\n"
    assert AckOptionSelect("0", "5", "6").mode_name.startswith("short readout")
    assert AckOptionSelect.programming("4").baud == 4800
    with pytest.raises(FrameError):
        AckOptionSelect("0", "x", "0")


def test_command_constructors_and_bcc_starting_after_soh() -> None:
    assert CommandMessage.password("00000000").to_bytes() == b"\x01P1\x02(00000000)\x03a"
    assert CommandMessage.seed().to_bytes() == b"\x01P0\x02()\x03`"
    assert CommandMessage.read("0.9.2").to_bytes() == b"\x01R5\x020.9.2()\x03\\"
    assert CommandMessage.read("0.9.1").to_bytes() == b"\x01R5\x020.9.1()\x03_"
    assert CommandMessage.break_().to_bytes() == b"\x01B0\x03q"
    # The classic mistake (BCC from STX, leaving out 'P1') gives another value.
    wrong = bcc(b"(00000000)\x03")
    assert wrong != ord("a")
    assert CommandMessage.execute("1.6.0").to_bytes().startswith(b"\x01E2\x021.6.0()")
    r2 = CommandMessage.read("P.01", "2306010000;2306020000", kind="2")
    assert r2.to_bytes() == b"\x01R2\x02P.01(2306010000;2306020000)\x03" + bytes(
        [frame_bcc(r2.to_bytes())]
    )
    assert repr(CommandMessage.break_()) == "CommandMessage(B0)"


def test_data_message() -> None:
    assert DataMessage.answer("0.9.2", "130103").to_bytes() == b"\x020.9.2(130103)\x039"
    assert DataMessage.answer("0.9.1", "101415").to_bytes() == b"\x020.9.1(101415)\x03:"
    readout = DataMessage.readout(["1.8.0(000070.677*kWh)"])
    assert readout.data == "1.8.0(000070.677*kWh)\r\n!\r\n"
    assert readout.is_readout
    assert DataMessage.from_bytes(readout.to_bytes()) == readout
    partial = DataMessage("1.8.0(1)\r\n", partial=True)
    assert partial.to_bytes()[-2] == 0x04
    assert DataMessage.from_bytes(partial.to_bytes()).partial
    assert DataMessage.error_answer().error == "ERROR"
    assert DataMessage("0.9.9(ERROR01)").error == "ERROR01"
    assert DataMessage("0.9.1(101415)").error is None


def test_bad_bcc_raises_typed_error() -> None:
    with pytest.raises(BccError) as info:
        DataMessage.from_bytes(b"\x020.9.2(130103)\x03X")
    assert info.value.received == ord("X") and info.value.computed == ord("9")
    assert "data block" in str(info.value)
    with pytest.raises(BccError, match="command"):
        CommandMessage.from_bytes(b"\x01P1\x02(00000000)\x03b")


def test_parity_bit_is_ignored_in_bcc_compare() -> None:
    frame = b"\x020.9.2(130103)\x03" + bytes([ord("9") | 0x80])
    assert DataMessage.from_bytes(frame).data == "0.9.2(130103)"


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"/?!",
        b"/EM5x\r\n",
        b"\x0605\r\n",
        b"\x06\x06",
        b"\x02abc",
        b"\x02a\x03b\x03c",
        b"\x01Z9\x02()\x03" + bytes([bcc(b"Z9\x02()\x03")]),
        b"\x01P1(x)\x03" + bytes([bcc(b"P1(x)\x03")]),
        b"\x020.9.1(\xb0)\x03a",
        b"x",
    ],
)
def test_malformed_frames_raise_frame_error(frame: bytes) -> None:
    with pytest.raises(FrameError):
        decode(frame)


def test_constructors_validate() -> None:
    with pytest.raises(FrameError):
        RequestMessage("a!b")
    with pytest.raises(FrameError):
        IdentificationMessage("M1Y", "5", "x")
    with pytest.raises(FrameError):
        DataMessage("a\x03b")
    with pytest.raises(FrameError):
        CommandMessage("X", "1", "")
    assert Ack.from_bytes(b"\x06") == Ack()
    assert Nak.from_bytes(b"\x15") == Nak()

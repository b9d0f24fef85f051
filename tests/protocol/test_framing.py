"""FrameBuffer reassembly and 7E1 parity."""

from __future__ import annotations

import pytest

from osos.protocol.iec62056_21.errors import FrameError, ParityError
from osos.protocol.iec62056_21.framing import (
    FrameBuffer,
    ParityCodec,
    add_even_parity,
    strip_parity,
)

from .conftest import sample


def frames(chunks: list[bytes], **kwargs: bool) -> list[bytes]:
    buffer = FrameBuffer()
    for name, value in kwargs.items():
        setattr(buffer, name, value)
    out: list[bytes] = []
    for chunk in chunks:
        buffer.feed(chunk)
        out += list(buffer)
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_any_chunking_gives_the_same_frames(size: int) -> None:
    data = sample("emh-em4tii-programming.txt")
    whole = frames([data])
    assert len(whole) == 20
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    # A capture holds both sides, so a lone ACK may be the start of an option select.
    assert frames(chunks, option_select_expected=True) == whole


def test_garbage_before_start_is_skipped_and_counted() -> None:
    buffer = FrameBuffer()
    buffer.feed(b"\x00\x00noise\xff/x/?!\r\n")
    assert list(buffer) == [b"/?!\r\n"]
    assert buffer.discarded == 10


def test_stray_slash_in_noise_does_not_swallow_a_block() -> None:
    assert frames([b"ab/cd\x020.9.1(1)\x03", b"x"]) == [b"\x020.9.1(1)\x03x"]
    assert frames([b"/EMH garbage /EMH5\\@D4\r\n"]) == [b"/EMH5\\@D4\r\n"]


def test_block_waits_for_its_bcc_byte() -> None:
    buffer = FrameBuffer()
    buffer.feed(b"\x020.9.1(1)\x03")
    assert buffer.next_frame() is None
    assert buffer.pending == 10
    buffer.feed(b"=\x06")
    assert list(buffer) == [b"\x020.9.1(1)\x03=", b"\x06"]


def test_lone_ack_on_meter_side_waits_for_option_select() -> None:
    buffer = FrameBuffer()
    buffer.option_select_expected = True
    buffer.feed(b"\x06")
    assert buffer.next_frame() is None
    buffer.feed(b"051\r\n")
    assert list(buffer) == [b"\x06051\r\n"]
    assert frames([b"\x06", b"\x15"]) == [b"\x06", b"\x15"]


def test_oversized_block_raises_and_is_dropped() -> None:
    buffer = FrameBuffer(max_frame=100)
    buffer.feed(b"\x02" + b"1" * 200)
    with pytest.raises(FrameError, match="without ETX"):
        buffer.next_frame()
    assert buffer.pending == 0


def test_parity_round_trip_and_known_bytes() -> None:
    assert add_even_parity(b"0") == b"0"  # 0x30 has two bits set
    assert add_even_parity(b"1") == b"\xb1"
    assert add_even_parity(b"\r") == b"\x8d"
    assert add_even_parity(b"*") == b"\xaa"
    text = bytes(range(128))
    assert strip_parity(add_even_parity(text), check=True) == text
    assert strip_parity(b"\xb1\xaa\x8d") == b"1*\r"
    with pytest.raises(ParityError, match="offset 0"):
        strip_parity(b"\x31", check=True)
    with pytest.raises(ParityError):
        add_even_parity(b"\x80")


def test_parity_codec() -> None:
    codec = ParityCodec(software=True, check=True)
    assert codec.decode(codec.encode(b"/?!\r\n")) == b"/?!\r\n"
    plain = ParityCodec()
    assert plain.encode(b"/?!\r\n") == b"/?!\r\n"
    assert plain.decode(b"\xb1") == b"1"  # 8N1 port on a 7E1 meter: masked anyway


def test_ack_followed_by_a_non_ascii_digit_byte_is_a_bare_ack() -> None:
    # chr(0xB2) is "²", which str.isdigit() accepts; only 0x30-0x39 start an option select.
    buffer = FrameBuffer()
    buffer.option_select_expected = True
    buffer.feed(b"\x06\xb2")
    assert buffer.next_frame() == b"\x06"

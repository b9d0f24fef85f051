"""Fuzz targets of the IEC 62056-21 codec (see tests/fuzzing.py): no input crashes it.

Every entry point is fed the real dumps of tests/data/, damaged the ways real inputs are
(cut anywhere, bits flipped, garbage inserted, parity bits set, Unicode digits), and random
protocol-shaped bytes. Each input is accepted or refused with a typed codec error that says
what is wrong; accepted values stay exact (Decimal, aware datetimes). The sweeps at the end
try every cut and every parity bit of every real frame, deterministically.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from osos.protocol.iec62056_21.capture import parse_capture
from osos.protocol.iec62056_21.datasets import (
    DataSet,
    parse_data_sets,
    scan_data_block,
    scanned,
    scanned_block,
    to_decimal,
)
from osos.protocol.iec62056_21.errors import (
    DataSetError,
    FrameError,
    IecError,
    NotAReadoutError,
    ProfileError,
    TimestampError,
)
from osos.protocol.iec62056_21.framing import FrameBuffer, strip_parity
from osos.protocol.iec62056_21.messages import DataMessage, decode, frame_bcc
from osos.protocol.iec62056_21.meter_profiles import PROFILES
from osos.protocol.iec62056_21.meter_session import MeterSession
from osos.protocol.iec62056_21.profile import HeaderLayout, parse_profile, scan_profile
from osos.protocol.iec62056_21.scan import Pieces, _scan_rest, scan
from osos.protocol.iec62056_21.session import ClientSession
from osos.protocol.iec62056_21.timestamps import parse_clock, parse_date, parse_timestamp

from ..fuzzing import cuts, dumps, fuzz_target, mutated, parity_set, refused, unicode_digits
from .test_session import FakeMeter

DUMPS = dumps()


def _frames(data: bytes) -> list[bytes]:
    buffer = FrameBuffer()
    buffer.feed(data)
    return list(buffer)


FRAMES = [frame for dump in DUMPS for frame in _frames(dump)]
DATA_FRAMES = [frame for frame in FRAMES if frame[:1] == b"\x02"]
TEXTS = [strip_parity(dump).decode("ascii", "replace") for dump in DUMPS]
BLOCKS = [DataMessage.from_bytes(frame).data for frame in DATA_FRAMES] + TEXTS
PROFILE_TEXTS = [text for text in TEXTS if "P.01(" in text or "24.3.0(" in text]
LAYOUTS = [HeaderLayout(), *{p.profile_layout for p in PROFILES}]

protocol_bytes = st.binary(max_size=300) | st.lists(
    st.sampled_from(
        [
            *(b"/", b"?", b"!", b"\r\n", b"\x01", b"\x02", b"\x03", b"\x04", b"\x06", b"\x15"),
            *(b"(", b")", b"*", b"1.8.0", b"P.01", b"0", b"5", b"EMH", b";", "²".encode()),
        ]
    ),
    max_size=60,
).map(b"".join)
protocol_text = st.text(alphabet="0123456789.:*-()!\r\n ,;PFCkWhV²٣\x00\t", max_size=200)
damaged_blocks = st.one_of(
    mutated([block.encode("latin-1", "replace") for block in BLOCKS]).map(
        lambda data: data.decode("latin-1")
    ),
    unicode_digits(BLOCKS),
)


def _use(data_set: DataSet) -> None:
    """Everything a consumer may ask of a data set; none of it may raise."""
    assert isinstance(data_set.number, Decimal | None)
    assert isinstance(data_set.time, dt.datetime | None)
    assert data_set.time is None or data_set.time.tzinfo is not None
    assert isinstance(data_set.value, str)
    _ = data_set.unit, data_set.obis, data_set.to_text(), [g.time_range for g in data_set.groups]


# ---------------------------------------------------------------- frames and BCC


def _feed_and_decode(chunks: list[bytes]) -> None:
    buffer = FrameBuffer(max_frame=200)
    framed = 0
    for chunk in chunks:
        buffer.feed(chunk)
        try:
            for frame in buffer:
                framed += len(frame)
                try:
                    message = decode(frame)
                except FrameError as exc:
                    refused(exc, FrameError)
                else:
                    assert message.to_bytes() == frame or frame[0] in (0x02, 0x01)
        except FrameError as exc:
            refused(exc, FrameError)
            return  # an oversized block was dropped: the byte count below no longer holds
    assert framed + buffer.discarded + buffer.pending == sum(map(len, chunks))


@fuzz_target(st.lists(protocol_bytes, max_size=5), examples=1500)
def test_frame_buffer_and_decode_only_raise_typed_errors(chunks: list[bytes]) -> None:
    _feed_and_decode(chunks)


@fuzz_target(st.lists(mutated(FRAMES), min_size=1, max_size=4), examples=300)
def test_frame_buffer_and_decode_take_damaged_real_frames(chunks: list[bytes]) -> None:
    _feed_and_decode(chunks)


@fuzz_target(mutated(FRAMES), examples=1600)
def test_mutated_real_frames_decode_or_raise_frame_error(frame: bytes) -> None:
    try:
        message = decode(frame)
    except FrameError as exc:
        refused(exc, FrameError)
    else:
        assert message.to_bytes()[:-1] == frame[:-1] or frame[0] != 0x02


@fuzz_target(st.sampled_from(DATA_FRAMES), st.data(), examples=300)
def test_a_changed_character_never_passes_the_bcc(frame: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(1, len(frame) - 2), label="index")  # STX+1 … ETX
    bit = data.draw(st.integers(0, 6), label="bit")
    damaged = frame[:index] + bytes([frame[index] ^ (1 << bit)]) + frame[index + 1 :]
    try:
        decode(damaged)
    except FrameError as exc:
        refused(exc, FrameError)  # BccError, or ETX/EOT/SOH/STX where a character was
    else:
        raise AssertionError(f"bit {bit} of byte {index} changed and the frame still decoded")


@fuzz_target(protocol_bytes | mutated(FRAMES), examples=300)
def test_frame_bcc_of_anything(frame: bytes) -> None:
    try:
        assert 0 <= frame_bcc(frame) <= 0x7F
    except FrameError as exc:
        refused(exc, FrameError)


# ---------------------------------------------------------------- captures, data sets, times


@fuzz_target(protocol_bytes, examples=1200)
def test_random_bytes_into_parse_capture(data: bytes) -> None:
    try:
        result = parse_capture(data)
    except NotAReadoutError as exc:
        refused(exc, NotAReadoutError)
    else:
        for data_set in result.values:
            _use(data_set)


@fuzz_target(mutated(DUMPS), examples=1200)
def test_mutated_dumps_into_parse_capture(data: bytes) -> None:
    try:
        result = parse_capture(data)
    except NotAReadoutError as exc:
        refused(exc, NotAReadoutError)
    else:
        for data_set in result.values:
            _use(data_set)
        assert all(isinstance(v, Decimal) for r in result.profile for v in r.values.values())
        result.to_json()


def _data_sets_and_profile(text: str) -> None:
    for data_set in scan_data_block(text).data_sets:
        _use(data_set)
    try:
        for data_set in parse_data_sets(text):
            _use(data_set)
    except DataSetError as exc:
        refused(exc, DataSetError)
    try:
        parse_profile(text)
    except ProfileError as exc:
        refused(exc, ProfileError)


@fuzz_target(protocol_text, examples=1200)
def test_data_sets_and_profiles_only_raise_typed_errors(text: str) -> None:
    _data_sets_and_profile(text)


@fuzz_target(damaged_blocks, examples=300)
def test_damaged_real_blocks_only_raise_typed_errors(text: str) -> None:
    _data_sets_and_profile(text)


@fuzz_target(
    st.text(alphabet="0123456789-:, ²٣３", max_size=20) | unicode_digits(["230606184500"]),
    examples=1000,
)
def test_timestamps_only_raise_timestamp_error(text: str) -> None:
    for parse in (parse_timestamp, parse_clock, parse_date):
        try:
            parse(text)
        except TimestampError as exc:
            refused(exc, TimestampError)


# ---------------------------------------------------------------- P.01


@fuzz_target(
    st.one_of(
        mutated([t.encode("latin-1", "replace") for t in PROFILE_TEXTS]).map(
            lambda data: data.decode("latin-1")
        ),
        unicode_digits(PROFILE_TEXTS),
    ),
    st.sampled_from(LAYOUTS),
    examples=300,
)
def test_profiles_only_raise_profile_errors(text: str, layout: object) -> None:
    items = scan_data_block(text).items
    profile, _errors = scan_profile(items, layout)  # type: ignore[arg-type]
    for record in profile.records:
        assert record.time.tzinfo is not None
        assert all(isinstance(value, Decimal) for value in record.values.values())
    try:
        parse_profile(text, layout)  # type: ignore[arg-type]
    except ProfileError as exc:
        refused(exc, ProfileError)


# ---------------------------------------------------------------- both session state machines


@fuzz_target(st.lists(protocol_bytes | mutated(FRAMES), max_size=6), examples=600)
def test_sessions_fed_garbage_only_raise_typed_errors(chunks: list[bytes]) -> None:
    client = ClientSession()
    client.send_request()
    meter = MeterSession(FakeMeter())
    for chunk in chunks:
        try:
            meter.receive_data(chunk)
        except IecError as exc:
            refused(exc, IecError)
        client.receive_data(chunk)
        try:
            for _ in range(10):
                client.next_event()
        except IecError as exc:
            refused(exc, IecError)


# ---------------------------------------------------------------- deterministic sweeps


def test_every_cut_of_every_real_frame_decodes_or_is_refused() -> None:
    tried = 0
    for frame in FRAMES:
        for cut in cuts(frame):
            tried += 1
            try:
                decode(cut)
            except FrameError as exc:
                refused(exc, FrameError)
    assert tried == sum(map(len, FRAMES))


def test_every_cut_of_every_dump_parses_or_is_refused() -> None:
    for dump in DUMPS:
        for cut in cuts(dump):
            try:
                for data_set in parse_capture(cut).values:
                    _use(data_set)
            except NotAReadoutError as exc:
                refused(exc, NotAReadoutError)


def test_every_parity_bit_of_every_real_frame() -> None:
    for frame in FRAMES:
        for damaged in parity_set(frame):
            try:
                message = decode(damaged)
            except FrameError as exc:
                refused(exc, FrameError)
            else:  # only the BCC byte is read on 7 bits; any other high bit is refused
                assert damaged[:-1] == frame[:-1], damaged
                assert message == decode(frame)


def _careful(text: str) -> Pieces:
    """The character-by-character scanner alone, from the first character."""
    pieces = Pieces([], [], [])
    _scan_rest(text, 0, 1, 0, pieces)
    return pieces


@fuzz_target(protocol_text | damaged_blocks | st.sampled_from(BLOCKS), examples=400)
def test_the_one_pattern_scan_agrees_with_the_careful_scanner(text: str) -> None:
    fast, careful = scan(text), _careful(text)
    assert fast.items() == careful.items()
    assert (fast.errors, fast.complete, fast.trailing) == (
        careful.errors,
        careful.complete,
        careful.trailing,
    )


_group_text = st.text(alphabet=" +-.0123456789*:,abcdeFkWh?", max_size=14)


@fuzz_target(
    st.lists(st.lists(_group_text, min_size=1, max_size=3), max_size=6)
    | st.sampled_from([[[v] for v in ("- 5", "+ 0.5", "-5 ", " 7.", ".25*kW", "5*")]])
    | st.sampled_from(
        [[["001.5*kW", "23-06-01 00:15"], ["2", "00-00-00 00:00"], ["x", "2306011015"]]]
    ),
    examples=400,
)
def test_a_block_typed_in_bulk_gives_what_each_data_set_gives_alone(
    groups: list[list[str]],
) -> None:
    """``scanned_block`` (one findall for the block) and ``scanned`` (one data set at a time,
    the reference) agree on every number and time, also for ``- 5`` and values that are not
    numbers."""
    raws = ["".join(f"({g})" for g in line) for line in groups]
    addresses = [f"1.8.{i}" for i in range(len(raws))]
    lines = list(range(1, len(raws) + 1))
    bulk = scanned_block(addresses, raws, lines)
    alone = [scanned(a, r, n) for a, r, n in zip(addresses, raws, lines, strict=True)]
    assert [(d.number, d.time) for d in bulk] == [(d.number, d.time) for d in alone]
    assert [d.time for d in bulk] == [d.groups[1].time if len(d.groups) > 1 else None for d in bulk]
    for data_set in bulk:
        number = data_set.number
        assert number is None or str(number) == str(to_decimal(data_set.first.text)), data_set

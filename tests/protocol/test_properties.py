"""Hypothesis: hostile input only ever raises our typed errors; generated values round-trip.

Example counts add up to well over 10,000 cases while the module stays within seconds.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osos.obis import normalize_obis
from osos.protocol.iec62056_21.capture import parse_capture
from osos.protocol.iec62056_21.datasets import (
    DataSet,
    ValueGroup,
    format_data_sets,
    parse_data_sets,
    scan_data_block,
)
from osos.protocol.iec62056_21.errors import (
    DataSetError,
    FrameError,
    IecError,
    NotAReadoutError,
    ProfileError,
    TimestampError,
)
from osos.protocol.iec62056_21.framing import FrameBuffer, add_even_parity, strip_parity
from osos.protocol.iec62056_21.messages import (
    AckOptionSelect,
    CommandMessage,
    DataMessage,
    IdentificationMessage,
    RequestMessage,
    bcc,
    decode,
)
from osos.protocol.iec62056_21.meter_session import MeterSession
from osos.protocol.iec62056_21.profile import (
    Channel,
    HeaderLayout,
    LoadProfile,
    ProfileRecord,
    encode_profile,
    parse_profile,
)
from osos.protocol.iec62056_21.session import ClientSession
from osos.protocol.iec62056_21.timestamps import parse_timestamp
from osos.timeutil import LOCAL_TZ

from .conftest import DATA
from .test_session import FakeMeter

FAST = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
SAMPLES = [p.read_bytes() for p in sorted(DATA.glob("*.txt"))]
SAMPLE_FRAMES: list[bytes] = []
for _sample in SAMPLES:
    _buffer = FrameBuffer()
    _buffer.feed(_sample)
    SAMPLE_FRAMES += list(_buffer)

protocol_bytes = st.binary(max_size=300) | st.lists(
    st.sampled_from(
        [
            b"/",
            b"?",
            b"!",
            b"\r\n",
            b"\x01",
            b"\x02",
            b"\x03",
            b"\x04",
            b"\x06",
            b"\x15",
            b"(",
            b")",
            b"*",
            b"1.8.0",
            b"P.01",
            b"0",
            b"5",
            b"EMH",
            b";",
        ]
    ),
    max_size=60,
).map(b"".join)


@st.composite
def mutated(draw: st.DrawFn, sources: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(sources)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        index = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if action == "flip":
            data[index] ^= 1 << draw(st.integers(0, 7))
        elif action == "delete":
            del data[index]
        elif action == "insert":
            data.insert(index, draw(st.integers(0, 255)))
        else:
            del data[index:]
    return bytes(data)


def assert_names_problem(exc: Exception) -> None:
    assert isinstance(exc, IecError), repr(exc)
    assert str(exc), "error messages must say what and where"


@settings(max_examples=1500, **FAST)
@given(st.lists(protocol_bytes, max_size=5))
def test_frame_buffer_and_decode_only_raise_typed_errors(chunks: list[bytes]) -> None:
    buffer = FrameBuffer(max_frame=200)
    for chunk in chunks:
        buffer.feed(chunk)
        try:
            for frame in buffer:
                try:
                    message = decode(frame)
                except FrameError as exc:
                    assert_names_problem(exc)
                else:
                    assert message.to_bytes() == frame or frame[0] in (0x02, 0x01)
        except FrameError as exc:
            assert_names_problem(exc)


@settings(max_examples=1600, **FAST)
@given(mutated(SAMPLE_FRAMES))
def test_mutated_real_frames_decode_or_raise_frame_error(frame: bytes) -> None:
    try:
        message = decode(frame)
    except FrameError as exc:
        assert_names_problem(exc)
    else:
        assert message.to_bytes()[:-1] == frame[:-1] or frame[0] != 0x02


@settings(max_examples=1200, **FAST)
@given(protocol_bytes)
def test_random_bytes_into_parse_capture(data: bytes) -> None:
    try:
        parse_capture(data)
    except NotAReadoutError as exc:
        assert_names_problem(exc)


@settings(max_examples=1200, **FAST)
@given(mutated(SAMPLES))
def test_mutated_samples_into_parse_capture(data: bytes) -> None:
    try:
        result = parse_capture(data)
    except NotAReadoutError as exc:
        assert_names_problem(exc)
    else:
        assert all(isinstance(ds.number, Decimal | None) for ds in result.values)


@settings(max_examples=1200, **FAST)
@given(st.text(alphabet="0123456789.:*-()!\r\n ,;PFCkWhV", max_size=200))
def test_data_sets_and_profiles_only_raise_typed_errors(text: str) -> None:
    scan_data_block(text)
    try:
        parse_data_sets(text)
    except DataSetError as exc:
        assert_names_problem(exc)
    try:
        parse_profile(text)
    except ProfileError as exc:
        assert_names_problem(exc)


@settings(max_examples=1000, **FAST)
@given(
    st.integers(0, 9_999_999),
    st.integers(0, 999),
    st.sampled_from(["", "kWh", "kW"]),
    st.text("0123456789", min_size=1, max_size=8),
)
def test_header_profile_with_random_numbers(period: int, count: int, unit: str, v: str) -> None:
    text = f"P.01(12208231615)(00)({period})(1)(1.5)({unit})\r\n" + f"({v})\r\n" * (count % 5)
    try:
        profile = parse_profile(text)
    except ProfileError as exc:
        assert_names_problem(exc)
    else:
        assert all(r.values["1.5"] == Decimal(v) for r in profile.records)


@settings(max_examples=1000, **FAST)
@given(st.text(alphabet="0123456789-:, ", max_size=20))
def test_timestamps_only_raise_timestamp_error(text: str) -> None:
    try:
        parse_timestamp(text)
    except TimestampError as exc:
        assert_names_problem(exc)


@settings(max_examples=600, **FAST)
@given(st.lists(protocol_bytes | mutated(SAMPLE_FRAMES), max_size=6))
def test_sessions_fed_garbage_only_raise_typed_errors(chunks: list[bytes]) -> None:
    client = ClientSession()
    client.send_request()
    meter = MeterSession(FakeMeter())
    for chunk in chunks:
        try:
            meter.receive_data(chunk)
        except IecError as exc:
            assert_names_problem(exc)
        client.receive_data(chunk)
        try:
            for _ in range(10):
                client.next_event()
        except IecError as exc:
            assert_names_problem(exc)


# ---------------------------------------------------------------- round trips

address_part = st.text("0123456789", min_size=1, max_size=3)
addresses = st.one_of(
    st.builds(lambda a, b, c: f"{a}.{b}.{c}", address_part, address_part, address_part),
    st.builds(lambda a, b: f"{a}.{b}", st.sampled_from(["C", "F", "P", "96"]), address_part),
    st.builds(
        lambda a, b, c, d: f"1-0:{a}.{b}.{c}*{d}",
        address_part,
        address_part,
        address_part,
        st.integers(0, 255),
    ),
)
values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="()*"), max_size=32
)
units = st.none() | st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="()"), max_size=16
)
groups = st.builds(ValueGroup, values, units)
data_sets = st.builds(DataSet, addresses, st.lists(groups, min_size=1, max_size=4).map(tuple))


@settings(max_examples=1000, **FAST)
@given(st.lists(data_sets, min_size=1, max_size=6))
def test_generated_data_sets_round_trip(sets: list[DataSet]) -> None:
    text = format_data_sets(sets)
    assert parse_data_sets(text) == sets
    message = DataMessage(text)
    frame = message.to_bytes()
    assert DataMessage.from_bytes(frame) == message
    assert bcc(frame[1:-1]) == frame[-1]
    assert normalize_obis(normalize_obis(sets[0].address)) == normalize_obis(sets[0].address)


@settings(max_examples=300, **FAST)
@given(
    st.decimals(
        min_value=-(10**6), max_value=10**6, places=5, allow_nan=False, allow_infinity=False
    )
)
def test_decimal_values_are_exact(value: Decimal) -> None:
    text = format(value, "f")
    group = ValueGroup(text, "kWh")
    assert group.number == value
    assert Decimal(group.value) == value


printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
messages = st.one_of(
    st.builds(
        RequestMessage,
        st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="!/"),
            max_size=20,
        ),
    ),
    st.builds(
        IdentificationMessage,
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabc", min_size=3, max_size=3),
        st.sampled_from("0123456"),
        printable.filter(lambda s: not s.startswith((" ", "\\", "<"))),
        st.none() | st.sampled_from("@2"),
        st.none() | st.sampled_from("12"),
        st.sampled_from(["", " "]),
    ),
    st.builds(
        AckOptionSelect,
        st.sampled_from("012"),
        st.sampled_from("0123456"),
        st.sampled_from("0126789"),
    ),
    st.builds(DataMessage, printable, st.booleans()),
    st.builds(
        CommandMessage.read,
        st.sampled_from(["0.9.1", "P.01", "1.8.0"]),
        printable.filter(lambda s: "(" not in s and ")" not in s),
    ),
    st.builds(CommandMessage.password, st.text("0123456789", min_size=8, max_size=8)),
    st.just(CommandMessage.break_()),
)


@settings(max_examples=1500, **FAST)
@given(messages)
def test_messages_round_trip_byte_exact(message: object) -> None:
    frame = message.to_bytes()  # type: ignore[attr-defined]
    assert decode(frame) == message
    assert decode(frame).to_bytes() == frame
    assert strip_parity(add_even_parity(frame), check=True) == frame
    buffer = FrameBuffer()
    for byte in frame:
        buffer.feed(bytes([byte]))
    assert list(buffer) in ([frame], [])  # a lone ACK-less frame is complete or waits


@settings(max_examples=300, **FAST)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from(["00", "08", "80"]),
            st.decimals(min_value=0, max_value=999, places=3, allow_nan=False),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_profiles_round_trip(rows: list[tuple[int, str, Decimal]]) -> None:
    time = dt.datetime(2023, 3, 1, 0, 15, tzinfo=LOCAL_TZ)
    records = []
    for gap, status, value in rows:
        time += dt.timedelta(minutes=15 * (gap + 1))
        records.append(ProfileRecord(time, {"1.5.0": value}, status))
    profile = LoadProfile("P.01", (Channel("1.5.0", "kW"),), 15, tuple(records))
    assert parse_profile(encode_profile(profile, HeaderLayout(status_width=2))).records == tuple(
        records
    )

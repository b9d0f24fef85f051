"""Hypothesis: generated values round-trip byte-exact; generated profiles keep their numbers.

Hostile input (random and damaged real bytes into every entry point) is the fuzz targets'
job: tests/protocol/test_fuzz.py, on the helpers of tests/fuzzing.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from osos.obis import normalize_obis
from osos.protocol.iec62056_21.datasets import (
    DataSet,
    ValueGroup,
    format_data_sets,
    parse_data_sets,
)
from osos.protocol.iec62056_21.errors import ProfileError
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
from osos.protocol.iec62056_21.profile import (
    Channel,
    HeaderLayout,
    LoadProfile,
    ProfileRecord,
    encode_profile,
    parse_profile,
)
from osos.timeutil import LOCAL_TZ

from ..fuzzing import refused

FAST = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


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
        refused(exc, ProfileError)
    else:
        assert all(r.values["1.5"] == Decimal(v) for r in profile.records)


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

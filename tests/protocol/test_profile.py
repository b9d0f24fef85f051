"""Load-profile requests, layouts and round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from osos.protocol.iec62056_21.errors import ProfileError
from osos.protocol.iec62056_21.meter_profiles import (
    GENERIC,
    PROFILES,
    profile_by_key,
    profile_for,
    row_layouts,
)
from osos.protocol.iec62056_21.profile import (
    Channel,
    HeaderLayout,
    LoadProfile,
    ProfileRecord,
    ProfileRequestFormat,
    RowLayout,
    encode_profile,
    parse_profile,
    parse_profile_request,
)
from osos.timeutil import LOCAL_TZ

T0 = dt.datetime(2023, 11, 1, 0, 15, tzinfo=LOCAL_TZ)


def test_request_formats_per_family() -> None:
    start, end = dt.datetime(2019, 4, 30, tzinfo=LOCAL_TZ), dt.datetime(2019, 5, 1, tzinfo=LOCAL_TZ)
    assert profile_for("EMH").profile_request.build(start, None) == "P.01(01904300000;)"
    assert profile_for("MSY").profile_request.build(start, end) == "P.01(1904300000;1905010000)"
    assert profile_for("LUN").profile_request.build(start, end) == "P1(190430;190501)"
    mass = ProfileRequestFormat("P.01", "%y-%m-%d,%H:%M", season=False)
    assert mass.build(start, end) == "P.01(19-04-30,00:00;19-05-01,00:00)"
    assert mass.build(None, None) == "P.01(;)"


@pytest.mark.parametrize(
    "text",
    [
        "P.01(11904300000;)",
        "P.01(1904300000;1905010000)",
        "P.01(19-04-30,00:00;19-05-01,00:00)",
        "P1(190430;190501)",
    ],
)
def test_parse_profile_request(text: str) -> None:
    address, start, end = parse_profile_request(text)
    assert address in ("P.01", "P1")
    assert start == dt.datetime(2019, 4, 30, tzinfo=LOCAL_TZ)
    assert end is None or end == dt.datetime(2019, 5, 1, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize("text", ["P.01", "P.01(x;y)", "P.01(1904300000)"])
def test_bad_profile_request(text: str) -> None:
    with pytest.raises(ProfileError):
        parse_profile_request(text)


def sample_profile(status: str | None = "00") -> LoadProfile:
    channels = (Channel("1.5.0", "kW"), Channel("5.5.0", "kvar"))
    records = tuple(
        ProfileRecord(
            T0 + dt.timedelta(minutes=15 * k),
            {"1.5.0": Decimal(f"0.{k}23"), "5.5.0": Decimal("0.000")},
            status,
        )
        for k in range(4)
    )
    return LoadProfile("P.01", channels, 15, records)


def test_header_layout_round_trip_and_first_record_time() -> None:
    profile = sample_profile()
    text = encode_profile(profile, HeaderLayout(status_width=2))
    assert text.startswith(
        "P.01(0231101001500)(00)(15)(2)(1.5.0)(kW)(5.5.0)(kvar)\r\n(0.023)(0.000)"
    )
    parsed = parse_profile(text)
    assert parsed.records == profile.records
    assert parsed.records[0].time == T0


def test_clock_jump_starts_a_new_header() -> None:
    profile = sample_profile()
    moved = (
        *profile.records[:2],
        *(
            ProfileRecord(r.time + dt.timedelta(hours=1), r.values, r.status)
            for r in profile.records[2:]
        ),
    )
    text = encode_profile(LoadProfile("P.01", profile.channels, 15, moved), HeaderLayout())
    assert text.count("P.01(") == 2
    assert parse_profile(text).records == moved


def test_empty_channel_value_is_missing_not_zero() -> None:
    text = "P.01(0231101001500)(00)(15)(2)(1.5.0)(kW)(5.5.0)(kvar)\r\n(0.1)()\r\n"
    (record,) = parse_profile(text).records
    assert record.values == {"1.5.0": Decimal("0.1")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(0.1)(0.2)\r\n", "before any P.01 header"),
        ("P.01(0231101001500)(00)(15)(2)(1.5.0)(kW)(5.5.0)(kvar)\r\n(0.1)\r\n", "header announces"),
        ("P.01(0231101001500)(00)(15)(1)(1.5.0)(kW)\r\n(abc)\r\n", "not numeric"),
        ("P.01(0231101001500)(00)(15)(1)(1.5.0)(kW)\r\n(1\r\n", "unclosed"),
    ],
)
def test_profile_errors(text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(text, HeaderLayout() if text.startswith("(") else None)


def test_row_layout_round_trip_makel() -> None:
    layout = profile_for("MSY").profile_layout
    assert isinstance(layout, RowLayout) and layout.width == 9
    profile = LoadProfile(
        "P.01",
        layout.channels,
        15,
        tuple(
            ProfileRecord(
                T0 + dt.timedelta(minutes=15 * k),
                {c.obis: Decimal(f"{k}.{n}00") for n, c in enumerate(layout.channels)},
                "00,00",
            )
            for k in range(3)
        ),
    )
    text = encode_profile(profile, layout)
    assert text.startswith("P.01(2311010015)(0.000)(0.100)")
    assert parse_profile(text, layout).records == profile.records
    assert parse_profile(text.replace("P.01", "", 1), layout).records == profile.records


def test_row_layout_without_channel_names_is_positional() -> None:
    layout = RowLayout(time_groups=2, channels=(), period=15, time_format="%Y-%m-%d,%H:%M")
    text = "(2023-11-01)(00:15)(000001.250*kWh)(000000.100*kvarh)\r\n"
    (record,) = parse_profile(text, layout).records
    assert record.time == T0
    assert record.values == {"ch1": Decimal("1.250"), "ch2": Decimal("0.100")}


def test_row_layout_wrong_width_is_an_error() -> None:
    layout = profile_for("MSY").profile_layout
    with pytest.raises(ProfileError, match="9"):
        parse_profile("(2311010015)(1)(2)\r\n", layout)


def test_meter_profile_table() -> None:
    assert {p.key for p in PROFILES} >= {"emh", "metcom", "makel", "luna"}
    assert profile_for("EMH").read_kind == "5"
    assert profile_for("MSY").read_kind == "2"
    assert profile_for("msy").key == "makel"
    assert profile_for("XYZ") is GENERIC
    assert profile_for(None) is GENERIC
    assert profile_by_key("luna").flags == ("LUN",)
    with pytest.raises(KeyError):
        profile_by_key("nope")
    assert all(p.password_kind == "1" and p.password_length == 8 for p in PROFILES)
    assert row_layouts()


def test_unicode_digits_in_a_profile_are_refused_by_name() -> None:
    header = "P.01(12208231615)(00)(15)(²)(1.5)(kW)\r\n(1)\r\n"
    with pytest.raises(ProfileError, match="channel count '²' is not a number of ASCII digits"):
        parse_profile(header, HeaderLayout())
    with pytest.raises(ProfileError, match="period '1٥'"):
        parse_profile(header.replace("(15)", "(1٥)").replace("(²)", "(1)"), HeaderLayout())
    layout = profile_for("MSY").profile_layout
    row = "(23110100²5)(1)(2)(3)(4)(5)(6)(00)(00)\r\n"
    with pytest.raises(ProfileError, match="'²' at position 8 is not an ASCII digit"):
        parse_profile(row, layout)
    with pytest.raises(ProfileError, match=r"1.8.0 value '٣' not numeric"):
        parse_profile(row.replace("²", "1").replace("(1)", "(٣)"), layout)

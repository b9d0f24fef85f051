"""Data sets, values, time stamps and OBIS normalisation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from osos.obis import OBIS_TABLE, billing_period, is_obis, lookup, normalize_obis
from osos.protocol.iec62056_21.datasets import (
    DataSet,
    ValueGroup,
    format_data_sets,
    normalize_number,
    parse_data_sets,
    scan_data_block,
)
from osos.protocol.iec62056_21.errors import DataSetError, TimestampError
from osos.protocol.iec62056_21.timestamps import (
    format_vdew,
    parse_clock,
    parse_date,
    parse_time_range,
    parse_timestamp,
)
from osos.timeutil import LOCAL_TZ, UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("000070.677", "70.677"),
        ("-000142.30", "-142.30"),
        ("000000000.0", "0.0"),
        ("+1.00", "1.00"),
        (" 20000", "20000"),
        (" 0.00", "0.00"),
        ("0", "0"),
        (".5", "0.5"),
        ("12.", "12."),
        ("abc", None),
        ("", None),
        ("1e5", None),
        ("1.2.3", None),
    ],
)
def test_normalize_number(text: str, expected: str | None) -> None:
    assert normalize_number(text) == expected


def test_value_group_forms() -> None:
    assert ValueGroup.from_inner("003.264*kW") == ValueGroup("003.264", "kW")
    assert ValueGroup.from_inner("") == ValueGroup("", None)
    assert ValueGroup.from_inner("12*") == ValueGroup("12", "")
    assert ValueGroup("0002").value == "0002"  # identifiers keep their zeros
    assert ValueGroup("0002", "A").value == "2"
    assert ValueGroup(" 20000").value == "20000"
    assert ValueGroup("-000142.30", "W").number == Decimal("-142.30")
    assert ValueGroup(" " * 48).value == " " * 48
    assert ValueGroup("\x00\x00").number is None
    assert repr(ValueGroup("1", "kWh")) == "ValueGroup('(1*kWh)')"


def test_several_data_sets_per_line_and_bang_after_last() -> None:
    sets = parse_data_sets("1.8.0(1*kWh)2.8.0(2*kWh)\r\n0.2.2(:::::G11)!\r\n")
    assert [s.address for s in sets] == ["1.8.0", "2.8.0", "0.2.2"]
    assert sets[2].value == ":::::G11"
    luna = parse_data_sets("1.4.0(000.000*kW)(00-00-00,00:00)!")
    assert luna[0].time is None


def test_signed_empty_and_spaced_values() -> None:
    (ds,) = parse_data_sets("C.2.1( 20000)( 0.00)()(+1.00)\r\n!\r\n")
    assert [g.value for g in ds.groups] == ["20000", "0.00", "", "1.00"]


def test_continuation_line_joins_previous_data_set() -> None:
    (ds,) = parse_data_sets(
        "0-1:24.3.0(121106150000)(00)(60)(1)(0-1:24.2.1)(m3)\r\n(00054.386)\r\n"
    )
    assert len(ds.groups) == 7
    assert ds.groups[-1].number == Decimal("54.386")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("1.8.0(12\r\n", "line 1, column 6"),
        ("1.8.0(1)\r\n2.8.0 12\r\n", "line 2, column 1"),
        ("(1)(2)\r\n", "values without address"),
        ("1.8.0(1)\r\n!\r\nxyz", "after the end mark"),
        ("1.8.0(1(2))", "line 1"),
    ],
)
def test_strict_errors_name_the_place(text: str, where: str) -> None:
    with pytest.raises(DataSetError, match=where.replace("(", r"\(")):
        parse_data_sets(text)


def test_scan_collects_every_error_and_goes_on() -> None:
    block = scan_data_block("1.8.0(1*kWh)\r\nbroken\r\n2.8.0(2\r\n3.8.0(3*kvarh)\r\n!\r\nq")
    assert [ds.address for ds in block.data_sets] == ["1.8.0", "3.8.0"]
    assert len(block.errors) == 2
    assert block.complete
    assert block.trailing == "\r\nq"


def test_data_set_constructors_and_round_trip() -> None:
    ds = DataSet.of("1.6.0", "003.264", "kW", "23-06-06,18:45")
    assert ds.to_text() == "1.6.0(003.264*kW)(23-06-06,18:45)"
    assert DataSet.from_text(ds.to_text()) == ds
    assert ds.time == dt.datetime(2023, 6, 6, 18, 45, tzinfo=LOCAL_TZ)
    assert format_data_sets([ds]) == ds.to_text() + "\r\n!\r\n"
    with pytest.raises(DataSetError):
        DataSet("1.8.0 ", ())
    with pytest.raises(DataSetError):
        DataSet("a(b", ())
    with pytest.raises(DataSetError):
        DataSet.from_text("1.8.0(1)2.8.0(2)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2306061845", dt.datetime(2023, 6, 6, 18, 45)),
        ("12306061845", dt.datetime(2023, 6, 6, 18, 45)),
        ("1220823161500", dt.datetime(2022, 8, 23, 16, 15)),
        ("121106150000", dt.datetime(2012, 11, 6, 15, 0)),
        ("23-06-06,18:45", dt.datetime(2023, 6, 6, 18, 45)),
        ("23-06-06 18:45:10", dt.datetime(2023, 6, 6, 18, 45, 10)),
        ("23-06-14", dt.datetime(2023, 6, 14)),
        ("2023-06-14", dt.datetime(2023, 6, 14)),
        ("230614", dt.datetime(2023, 6, 14)),
    ],
)
def test_timestamp_forms(text: str, expected: dt.datetime) -> None:
    assert parse_timestamp(text) == expected.replace(tzinfo=LOCAL_TZ)


def test_null_and_season_times() -> None:
    assert parse_timestamp("00-00-00,00:00") is None
    assert parse_timestamp("0000000000") is None
    assert parse_time_range("00-00-00,00:00,00-00-00,00:00") == (None, None)
    utc = parse_timestamp("22306061845")
    assert utc == dt.datetime(2023, 6, 6, 18, 45, tzinfo=UTC)
    with pytest.raises(TimestampError, match="season"):
        parse_timestamp("52306061845")
    for bad in ("23-13-01,00:00", "2306061875", "hello", "23-06-06,1845", ""):
        with pytest.raises(TimestampError):
            parse_timestamp(bad)


def test_clock_and_date() -> None:
    assert parse_clock("16:55:35") == dt.time(16, 55, 35)
    assert parse_clock("140253") == dt.time(14, 2, 53)
    assert parse_date("23-06-14") == dt.date(2023, 6, 14)
    assert parse_date("121221") == dt.date(2012, 12, 21)
    with pytest.raises(TimestampError):
        parse_clock("25:00:00")
    with pytest.raises(TimestampError):
        parse_date("23-06-14,10:00")


def test_format_vdew() -> None:
    when = dt.datetime(2023, 6, 1, 0, 15, tzinfo=LOCAL_TZ)
    assert format_vdew(when) == "02306010015"
    assert format_vdew(when, season=False, seconds=True) == "230601001500"
    assert format_vdew(when.astimezone(UTC)) == "02306010015"
    assert format_vdew(None) == ""


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("1-0:1.8.0*255", "1.8.0"),
        ("1.8.0*1", "1.8.0*1"),
        ("0-0:C.1.0*255", "C.1.0"),
        ("1-0:0.2.1*01", "0.2.1*1"),
        ("96.77.0*1", "96.77.0*1"),
        ("F.F", "F.F"),
        ("1-0:1.8.0", "1.8.0"),
        ("0-1:24.2.1", "0-1:24.2.1"),
        ("8-0:1.0.0*255", "8-0:1.0.0"),  # water keeps its medium
        ("6-0:1.0.0", "6-0:1.0.0"),  # heat
        ("07-0:3.0.0*1", "7-0:3.0.0*1"),  # gas, last billing period
        ("P.01", "P.01"),
        (" 1.8.0 ", "1.8.0"),
        ("Point ID", "Point ID"),
    ],
)
def test_normalize_obis(address: str, expected: str) -> None:
    assert normalize_obis(address) == expected


def test_obis_table() -> None:
    energy = lookup("1-0:1.8.0*255")
    assert energy is not None and energy.unit == "kWh" and energy.name_en == "Active import total"
    assert lookup("1.8.0*2") == energy
    assert lookup("5.8.0") is not None and lookup("5.8.0").unit == "kvarh"  # type: ignore[union-attr]
    assert lookup("32.7.0").unit == "V"  # type: ignore[union-attr]
    assert lookup("99.99.99") is None
    water, heat = lookup("8-0:1.0.0*255"), lookup("6-0:1.0.0")
    assert water is not None and water.unit == "m3" and water.name_tr == "Soğuk su hacmi"
    assert heat is not None and heat.unit == "GJ"
    assert lookup("1.0.0") is None  # not the water code without its medium
    assert billing_period("1.8.0*2") == 2 and billing_period("1-0:1.8.0*255") is None
    assert is_obis("F.F") and is_obis("1-0:1.8.0*255") and not is_obis("Point-ID")
    for code in (
        "0.0.0",
        "0.9.1",
        "0.9.2",
        "0.8.0",
        "0.1.0",
        "0.1.2",
        "1.6.0",
        "2.6.0",
        "3.8.0",
        "4.8.0",
        "6.8.0",
        "7.8.0",
        "8.8.0",
        "31.7.0",
        "51.7.0",
        "71.7.0",
    ):
        assert code in OBIS_TABLE
    assert all("VA" not in (info.unit or "").replace("var", "") for info in OBIS_TABLE.values())


# ---------------------------------------------------------------- Unicode digits
# str.isdigit() and int() accept "²" or "٣"; a meter never sends them. Before, they raised a
# bare ValueError out of the codec (or, as "٣", passed as the digit 3).


@pytest.mark.parametrize(
    ("text", "char", "position"),
    [
        ("²30614", "²", 0),
        ("23061²1845", "²", 5),
        ("٣٣-06-06,18:45", "٣", 0),
        ("12208231６15", "６", 8),
    ],
)
def test_timestamp_with_unicode_digits_is_refused_by_name_and_place(
    text: str, char: str, position: int
) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_timestamp(text)
    assert repr(char) in str(caught.value)
    assert f"position {position}" in str(caught.value)
    assert "ASCII digit" in str(caught.value)


def test_clock_and_date_with_unicode_digits_are_refused() -> None:
    with pytest.raises(TimestampError, match="position 1"):
        parse_clock("1²0000")
    with pytest.raises(TimestampError, match="'²' at position 0"):
        parse_date("²30614")


def test_values_with_unicode_digits_are_neither_numbers_nor_times() -> None:
    assert ValueGroup("²30614").time is None
    assert ValueGroup("٣٣", "kWh").number is None
    assert normalize_number("٣.5") is None
    (ds,) = parse_data_sets("1.6.0(003.264*kW)(²3-06-06,18:45)\r\n!\r\n")
    assert ds.number == Decimal("3.264")
    assert ds.time is None
    block = scan_data_block("0.1.2*1(²306010000)\r\n1.8.0(٣.5*kWh)\r\n!\r\n")
    assert not block.errors
    assert [(s.address, s.first.text, s.number, s.first.time) for s in block.data_sets] == [
        ("0.1.2*1", "²306010000", None, None),
        ("1.8.0", "٣.5", None, None),
    ]

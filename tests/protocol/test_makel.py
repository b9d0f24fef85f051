"""Makel C520 (flag MSY): the Turkish readout dump, every field of tests/data/README.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.obis import normalize_obis
from osos.protocol.iec62056_21.messages import IdentificationMessage
from osos.protocol.iec62056_21.meter_profiles import profile_for
from osos.protocol.iec62056_21.profile import RowLayout, parse_profile
from osos.protocol.iec62056_21.timestamps import parse_clock, parse_date
from osos.timeutil import LOCAL_TZ

from .conftest import by_address, capture, sample

MAKEL = "makel-c520.txt"


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LOCAL_TZ)


def test_identification_of_this_model() -> None:
    ident = IdentificationMessage.from_bytes(b"/MSY5<1>C520.KMY.2251\r\n")
    assert (ident.flag, ident.baud_char, ident.baud) == ("MSY", "5", 9600)
    assert ident.generation == "1"
    assert ident.enhanced is None
    assert ident.ident == "C520.KMY.2251"
    assert not ident.short_reaction_time
    assert ident.to_bytes() == b"/MSY5<1>C520.KMY.2251\r\n"
    assert profile_for(ident.flag, ident.ident).key == "makel"


def test_capture_without_stx_is_accepted_without_errors() -> None:
    result = capture(MAKEL)
    assert result.identification is None
    assert result.errors == ()
    assert len(result.values) == 70
    assert result.profile == ()


def test_header_registers() -> None:
    values = by_address(capture(MAKEL))
    assert values["0.0.0"].value == "80221569"
    assert values["0.8.0"].value == "15"
    assert values["0.8.0"].unit == "min"
    assert values["0.8.0"].number == Decimal(15)
    assert values["0.9.1"].value == "16:55:35"
    assert parse_clock(values["0.9.1"].value) == dt.time(16, 55, 35)
    assert values["0.9.2"].value == "23-06-14"
    assert parse_date(values["0.9.2"].value) == dt.date(2023, 6, 14)
    assert values["0.9.5"].value == "3"
    assert values["0.1.0"].value == "42"
    assert values["0.1.2*1"].value == "23-06-01,00:00"
    assert values["0.1.2*1"].first.time == local(2023, 6, 1, 0, 0)
    assert values["0.1.2*2"].first.time == local(2023, 5, 1, 0, 0)


def test_energy_registers_are_exact_decimals() -> None:
    values = by_address(capture(MAKEL))
    expected = {
        "1.8.0": "70.677",
        "1.8.1": "35.317",
        "1.8.2": "17.670",
        "1.8.3": "17.690",
        "1.8.4": "0.000",
        "1.8.0*1": "41.396",
        "5.8.0": "14.642",
        "5.8.0*1": "6.650",
        "8.8.0": "62.419",
        "8.8.0*1": "47.817",
    }
    for address, value in expected.items():
        data_set = values[address]
        assert data_set.value == value, address
        assert data_set.number == Decimal(value), address
        assert isinstance(data_set.number, Decimal)
        assert data_set.time is None
    for address in ("1.8.0", "1.8.1", "1.8.4", "1.8.0*1"):
        assert values[address].unit == "kWh"
    for address in ("5.8.0", "5.8.0*1", "8.8.0", "8.8.0*1"):
        assert values[address].unit == "kVArh"
    tariffs = sum((values[f"1.8.{t}"].number or Decimal(0)) for t in (1, 2, 3))
    assert tariffs == values["1.8.0"].number
    assert values["1.8.0"].first.text == "000070.677"


def test_demand_with_time_and_null_time() -> None:
    values = by_address(capture(MAKEL))
    demand = values["1.6.0"]
    assert (demand.value, demand.unit) == ("3.264", "kW")
    assert demand.time == local(2023, 6, 6, 18, 45)
    assert values["1.6.0*1"].time == local(2023, 5, 30, 16, 15)
    null = values["1.6.0*2"]
    assert (null.value, null.unit, null.number) == ("0.000", "kW", Decimal("0.000"))
    assert null.groups[1].text == "00-00-00,00:00"
    assert null.time is None


def test_instantaneous_values() -> None:
    values = by_address(capture(MAKEL))
    for address, value, unit in (
        ("32.7.0", "241.16", "V"),
        ("52.7.0", "239.42", "V"),
        ("72.7.0", "240.60", "V"),
        ("31.7.0", "0.32", "A"),
        ("51.7.0", "0.54", "A"),
        ("71.7.0", "0.15", "A"),
    ):
        assert (values[address].value, values[address].unit) == (value, unit)


def test_tariff_programme_and_events() -> None:
    values = by_address(capture(MAKEL))
    assert values["96.50"].value == "06001700220099999999999999999999"
    assert values["96.60"].value == "31230000"
    times = [values["96.50"].value[i : i + 4] for i in range(0, 12, 4)]
    assert times == ["0600", "1700", "2200"]
    assert list(values["96.60"].value[:4]) == ["3", "1", "2", "3"]
    outage = values["96.77.0*1"]
    assert outage.value == "23-06-03,03:46,23-06-03,03:49"
    assert outage.first.time_range == (local(2023, 6, 3, 3, 46), local(2023, 6, 3, 3, 49))
    assert values["96.77.1*2"].first.time_range == (None, None)
    assert values["96.71"].groups[1].text == "00"
    assert values["96.71"].first.time is None
    assert values["96.71*1"].first.time == local(2023, 5, 23, 12, 8)
    assert values["96.7.1"].value == "01"


def test_obis_normalisation_keeps_billing_suffix() -> None:
    values = by_address(capture(MAKEL))
    assert {normalize_obis(a) for a in values} == set(values)


def test_makel_profile_rows_per_row_timestamp() -> None:
    layout = profile_for("MSY").profile_layout
    assert isinstance(layout, RowLayout)
    text = (
        "P.01(2306140015)(000070.100)(000000.000)(000014.600)(000000.000)(000000.000)"
        "(000062.400)(00)(00)\r\n"
        "(2306140030)(000070.177)(000000.000)(000014.610)(000000.000)(000000.000)"
        "(000062.410)(00)(80)\r\n"
    )
    profile = parse_profile(text, layout)
    first, second = profile.records
    assert first.time == local(2023, 6, 14, 0, 15)
    assert second.time == local(2023, 6, 14, 0, 30)
    assert first.values["1.8.0"] == Decimal("70.100")
    assert second.values["8.8.0"] == Decimal("62.410")
    assert list(first.values) == ["1.8.0", "2.8.0", "5.8.0", "6.8.0", "7.8.0", "8.8.0"]
    assert (first.status, second.status) == ("00,00", "00,80")


def test_makel_profile_capture_detected_without_identification() -> None:
    data = (
        b"\x02P.01(2306140015)(1.1)(0)(0.5)(0)(0)(2.0)(00)(00)\r\n"
        b"(2306140030)(1.2)(0)(0.6)(0)(0)(2.1)(00)(00)\r\n\x03"
    )
    from osos.protocol.iec62056_21.capture import parse_capture

    result = parse_capture(data)
    assert [r.time for r in result.profile] == [
        local(2023, 6, 14, 0, 15),
        local(2023, 6, 14, 0, 30),
    ]
    assert result.profile[1].values["8.8.0"] == Decimal("2.1")
    assert sample(MAKEL).endswith(b"!\r\n\x03")

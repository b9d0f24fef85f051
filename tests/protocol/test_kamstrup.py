"""Kamstrup 162 (flag KMP): DSMR P1 telegram with a gas profile record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.protocol.iec62056_21.messages import IdentificationMessage
from osos.timeutil import LOCAL_TZ

from .conftest import by_address, capture


def test_kamstrup_identification_with_space_after_baud() -> None:
    ident = capture("kamstrup-162.txt").identification
    assert ident == IdentificationMessage("KMP", "5", "KA6U001660297912", separator=" ")
    assert ident.to_bytes() == b"/KMP5 KA6U001660297912\r\n"
    assert ident.baud == 9600


def test_kamstrup_values() -> None:
    result = capture("kamstrup-162.txt")
    assert result.errors == ()
    values = by_address(result)
    for address, value in (
        ("1-0:1.8.1", "68.000"),
        ("1-0:1.8.2", "24.000"),
        ("1-0:2.8.1", "27.000"),
        ("1-0:2.8.2", "28.000"),
    ):
        assert (values[address].value, values[address].unit) == (value, "kWh")
    assert (values["1-0:2.7.0"].value, values["1-0:2.7.0"].unit) == ("0.12", "kW")
    assert values["0-0:96.14.0"].value == "0002"
    assert values["0-0:96.13.0"].value == ""
    assert values["0-0:17.0.0"].unit == "A"
    assert values["0-1:24.1.0"].obis == "0-1:24.1.0"


def test_kamstrup_gas_record_is_a_profile() -> None:
    result = capture("kamstrup-162.txt")
    assert "0-1:24.3.0" not in by_address(result)
    (profile,) = result.profiles
    assert profile.period == 60
    assert [(c.obis, c.unit) for c in profile.channels] == [("0-1:24.2.1", "m3")]
    (record,) = result.profile
    assert record.time == dt.datetime(2012, 11, 6, 15, 0, tzinfo=LOCAL_TZ)
    assert record.values == {"0-1:24.2.1": Decimal("54.386")}
    assert record.status == "00"

"""EasyMeter Q3DA1024 (flag ESY): mode D telegram with full OBIS, negative power."""

from __future__ import annotations

from decimal import Decimal

from .conftest import by_address, capture, sample


def test_easymeter_identification_with_space_in_model() -> None:
    result = capture("easymeter-q3da1024.txt")
    ident = result.identification
    assert ident is not None
    assert (ident.flag, ident.baud, ident.ident, ident.separator) == (
        "ESY",
        9600,
        "Q3DA1024 V3.03",
        "",
    )
    assert ident.to_bytes() == sample("easymeter-q3da1024.txt").split(b"\n")[0] + b"\n"


def test_easymeter_values() -> None:
    result = capture("easymeter-q3da1024.txt")
    assert result.errors == ()
    values = by_address(result)
    assert values["1-0:0.0.0*255"].value == "111940207"
    assert values["1-0:1.8.0*255"].number == Decimal("0.7801269")
    assert values["1-0:1.8.0*255"].unit == "kWh"
    assert values["1-0:2.8.0*255"].value == "7041.2292533"
    negative = values["1-0:1.7.255*255"]
    assert (negative.value, negative.unit, negative.number) == ("-142.30", "W", Decimal("-142.30"))
    assert negative.first.text == "-000142.30"
    assert values["1-0:21.7.255*255"].value == "-73.69"
    assert values["0-0:96.1.255*255"].value == "1ESY1127000167"
    assert values["1-0:96.5.5*255"].value == "A2"
    assert values["1-0:1.8.0*255"].obis == "1.8.0"

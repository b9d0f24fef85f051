"""The IEC 62056-21 adapter: frames in, domain values out, every time resolved once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.protocol.iec62056_21.adapter import capture_readings, read_values, serial_matches
from osos.protocol.iec62056_21.datasets import parse_data_sets
from osos.timeutil import UTC
from tests.conftest import DATA


def test_a_real_readout_becomes_domain_values() -> None:
    raw = (DATA / "makel-c520.txt").read_bytes()
    capture = capture_readings(raw)
    values = {v.obis: v for v in capture.values}
    assert values["1.8.0"].number == Decimal("70.677") and values["1.8.0"].unit == "kWh"
    # the demand peak's time comes from the second value group, in UTC
    assert values["1.6.0"].value_time == dt.datetime(2023, 6, 6, 15, 45, tzinfo=UTC)
    assert capture.identification is None  # the dump starts at the data block
    assert capture.meter_time is not None and capture.meter_time.tzinfo is UTC
    assert serial_matches("80221569", capture.values)
    assert not serial_matches("99999999", capture.values)


def test_reset_times_written_as_values_are_stamped() -> None:
    values = read_values(parse_data_sets("0.1.2*1(26-11-01,00:00)\r\n0.1.2*2(00-00-00,00:00)\r\n"))
    first, never = values
    assert first.obis == "0.1.2*1" and first.value == "26-11-01,00:00"
    assert first.value_time == dt.datetime(2026, 10, 31, 21, 0, tzinfo=UTC)  # 00:00 local
    assert never.value_time is None  # the null time stamp: never reset
    plain = read_values(parse_data_sets("1.8.0(26-11-01,00:00)\r\n"))
    assert plain[0].value_time is None  # only reset registers are time-valued


def test_a_profile_capture_gives_interval_records() -> None:
    capture = capture_readings((DATA / "emh-lzqj-p01-6ch.txt").read_bytes())
    assert capture.values == () and capture.records
    ends = [r.end_at for r in capture.records]
    assert ends == sorted(ends) and ends[0] == dt.datetime(2022, 8, 23, 13, 15, tzinfo=UTC)


def test_obis_codes_take_ascii_digits_only() -> None:
    from osos.obis import billing_period, normalize_obis

    assert normalize_obis("1-0:1.8.0*2") == "1.8.0*2" and billing_period("1.8.0*2") == 2
    assert billing_period("1.8.0*²") is None  # int() would take the superscript two
    assert normalize_obis("١-0:1.8.0") == "١-0:1.8.0"  # not an OBIS code: left as written

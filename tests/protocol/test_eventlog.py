"""P.98, the meter's event log: parsed as the meter sends it, named by the profile's bit table,
and what the simulator writes reads back the same (no public capture: PROTOCOL.md §7)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osos.protocol.iec62056_21.adapter import event_values
from osos.protocol.iec62056_21.errors import ProfileError
from osos.protocol.iec62056_21.eventlog import (
    LogEntry,
    encode_event_log,
    event_log_request,
    event_names,
    frame_text,
    parse_event_log,
    status_of,
)
from osos.protocol.iec62056_21.meter_profiles import profile_by_key
from osos.protocol.iec62056_21.profile_model import parse_profile_request
from osos.timeutil import UTC

EMH = profile_by_key("emh")
ANSWER = (
    b"\x02P.98(0261125103000)(00000020)()(0)\r\n"
    b"P.98(0261125110000)(00000104)()(1)(0.9.1)()(110000)\r\n\x03X"
)


def test_an_answer_is_read_entry_by_entry_with_its_events_named() -> None:
    entries = parse_event_log(frame_text(ANSWER))
    assert [e.at for e in entries] == [
        dt.datetime(2026, 11, 25, 7, 30, tzinfo=UTC),
        dt.datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
    ]
    assert entries[1].values == {"0.9.1": "110000"}
    assert event_names(entries[0].status, EMH.event_codes) == ["terminal_cover"]
    assert event_names(entries[1].status, EMH.event_codes) == ["power_fail", "magnetic"]
    values = event_values(entries, EMH)
    assert [(v.address, v.value) for v in values] == [
        ("P.98*1", "terminal_cover,0261125103000"),
        ("P.98*2", "power_fail,0261125110000"),
        ("P.98*3", "magnetic,0261125110000"),
    ]


@pytest.mark.parametrize(
    "line",
    ["P.98(0261125103000)(00000020)", "P.98(0261125103000)(zz)()(0)",
     "P.98(0261125103000)(20)()(2)(1.8.0)(kWh)", "X.98(0261125103000)(20)()(0)"],
)  # fmt: skip
def test_a_malformed_entry_is_an_error_naming_its_line(line: str) -> None:
    with pytest.raises(ProfileError, match=r"P\.98 line 1"):
        parse_event_log(line + "\r\n")


def test_the_request_is_the_profile_range_form() -> None:
    start = dt.datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    args = event_log_request(start, None)
    assert parse_profile_request(f"P.98({args})") == ("P.98", start, None)


stamps = st.datetimes(min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2098, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC)
)
names = st.lists(st.sampled_from([name for _bit, name in EMH.event_codes]), min_size=1)


@given(st.lists(st.tuples(stamps, names), max_size=20))
def test_what_the_simulator_writes_reads_back(raw: list[tuple[dt.datetime, list[str]]]) -> None:
    entries = [LogEntry(at, status_of(ns, EMH.event_codes)) for at, ns in raw]
    back = parse_event_log(encode_event_log(entries))
    assert [(e.at, e.status) for e in back] == [(e.at, e.status) for e in entries]
    for entry, (_at, ns) in zip(back, raw, strict=True):
        assert set(event_names(entry.status, EMH.event_codes)) == set(ns)

"""MetCom MCS301: P.01 with two-digit status and full OBIS names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.protocol.iec62056_21.meter_profiles import profile_for
from osos.protocol.iec62056_21.profile import HeaderLayout, encode_profile, parse_profile
from osos.timeutil import LOCAL_TZ

from .conftest import capture, sample

METCOM = "metcom-mcs301-p01-1.txt"


def test_header_and_records() -> None:
    result = capture(METCOM)
    assert result.errors == ()
    (profile,) = result.profiles
    assert profile.period == 15
    assert [c.obis for c in profile.channels] == [f"1-0:{k}.5.0" for k in (1, 2, 5, 6, 7, 8)]
    assert [c.unit for c in profile.channels] == ["kW", "kW", "kvar", "kvar", "kvar", "kvar"]
    records = result.profile
    assert len(records) == 4
    start = dt.datetime(2022, 8, 23, 15, 0, tzinfo=LOCAL_TZ)
    assert [r.time for r in records] == [start + dt.timedelta(minutes=15 * k) for k in range(4)]
    assert all(r.status == "08" for r in records)
    assert records[0].values["1-0:2.5.0"] == Decimal("0.12683")
    assert records[0].values["1-0:6.5.0"] == Decimal("0.11411")
    assert records[3].values["1-0:2.5.0"] == Decimal("0.04656")
    assert records[1].values["1-0:5.5.0"] == Decimal("0.00059")


def test_profile_table_entry() -> None:
    profile = profile_for("MCS")
    assert profile.key == "metcom"
    assert isinstance(profile.profile_layout, HeaderLayout)
    assert profile.profile_layout.status_width == 2


def test_status_change_starts_a_new_header() -> None:
    text = sample(METCOM).decode()
    parsed = parse_profile(text)
    changed = [
        r if k < 2 else type(r)(r.time, r.values, "80") for k, r in enumerate(parsed.records)
    ]
    encoded = encode_profile(
        type(parsed)(parsed.address, parsed.channels, parsed.period, tuple(changed)),
        HeaderLayout(status_width=2),
    )
    assert encoded.count("P.01(") == 2
    assert "(80)(15)(6)" in encoded
    again = parse_profile(encoded)
    assert again.records == tuple(changed)


def test_encode_matches_capture_bytes() -> None:
    text = sample(METCOM).decode()
    parsed = parse_profile(text)
    # Turkey keeps no DST, so the encoder writes season 0 where this German meter wrote 1.
    expected = text.replace("P.01(1", "P.01(0")
    assert encode_profile(parsed, HeaderLayout(status_width=2)) == expected

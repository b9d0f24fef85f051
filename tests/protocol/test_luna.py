"""Luna (flag LUN): identification and the per-row profile layout (no real dump yet)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.protocol.iec62056_21.datasets import parse_data_sets
from osos.protocol.iec62056_21.messages import IdentificationMessage
from osos.protocol.iec62056_21.meter_profiles import profile_for
from osos.protocol.iec62056_21.profile import RowLayout, parse_profile
from osos.timeutil import LOCAL_TZ


def test_identifications_seen_in_public_captures() -> None:
    for raw, ident in (
        (b"/LUN5<1>LUN669205929\r\n", "LUN669205929"),
        (b"/LUN5<1>LUN463367853\r\n", "LUN463367853"),
    ):
        message = IdentificationMessage.from_bytes(raw)
        assert (message.flag, message.baud, message.generation, message.ident) == (
            "LUN",
            9600,
            "1",
            ident,
        )
        assert message.to_bytes() == raw
        assert profile_for(message.flag, message.ident).key == "luna"


def test_bang_directly_after_last_data_set() -> None:
    sets = parse_data_sets("1.8.0(000123.456*kWh)\r\n1.4.0(000.512*kW)(23-06-06,18:45)!\r\n")
    assert sets[-1].address == "1.4.0"
    assert sets[-1].time == dt.datetime(2023, 6, 6, 18, 45, tzinfo=LOCAL_TZ)


def test_profile_request_and_rows() -> None:
    profile = profile_for("LUN")
    assert profile.read_kind == "5"
    start = dt.datetime(2023, 6, 1, tzinfo=LOCAL_TZ)
    assert profile.profile_request.build(start, start + dt.timedelta(days=1)) == "P1(230601;230602)"
    layout = profile.profile_layout
    assert isinstance(layout, RowLayout) and layout.time_groups == 2
    text = "".join(
        f"(2023-06-01)(00:{m:02d})(000001.{m:03d}*kWh)" + "(000000.000*kvarh)" * 11 + "\r\n"
        for m in (15, 30, 45)
    )
    records = parse_profile(text, layout).records
    assert [r.time.minute for r in records] == [15, 30, 45]
    assert records[1].values["1.8.0"] == Decimal("1.030")
    assert list(records[0].values) == [c.obis for c in layout.channels]
    assert len(records[0].values) == 12

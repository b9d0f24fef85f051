"""Hand-computed months, on SQLite and PostgreSQL.

The standard pattern (factories.standard_step) per day: T1 06–17 44 intervals × 0.250 = 11 kWh,
T2 17–22 20 × 0.500 = 10 kWh, T3 22–06 32 × 0.100 = 3.2 kWh: 24.2 kWh a day, 750.2 kWh in
October 2026 (31 days); 5.8.0 0.030 and 8.8.0 0.008 per interval: 89.28 and 23.808 kvarh.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from osos.errors import NotFound
from osos.mdm.service import monthly_report
from osos.runtime import Runtime
from osos.store import db
from tests.factories import (
    START_INDEXES,
    add_meter,
    add_readout,
    add_service_point,
    install,
    local,
    profile_records,
    store_intervals,
)

OCT = local(2026, 10, 1)
NOV = local(2026, 11, 1)
MID = local(2026, 10, 16)
START = START_INDEXES


def test_plain_month_with_frozen_registers(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "1001")
        m = add_meter(s, "M1")
        install(s, sp, m, local(2026, 1, 1))
        records, _ = profile_records(OCT, NOV, START)
        store_intervals(s, m, records)
        add_readout(s, m, local(2026, 10, 1, 0, 5), {
            "1.8.0*1": "1000.000", "1.8.1*1": "400.000", "1.8.2*1": "300.000",
            "1.8.3*1": "300.000", "2.8.0*1": "0.000", "5.8.0*1": "100.000", "8.8.0*1": "50.000",
        })  # fmt: skip
        add_readout(
            s, m, local(2026, 11, 1, 0, 5),
            {"1.8.0*1": "1750.200", "1.8.1*1": "741.000", "1.8.2*1": "610.000",
             "1.8.3*1": "399.200", "2.8.0*1": "0.000", "5.8.0*1": "189.280",
             "8.8.0*1": "73.808", "1.6.0*1": "2.100"},
            {"1.6.0*1": local(2026, 10, 15, 18, 15)},
        )  # fmt: skip
    with db.transaction(runtime.sessions) as s:
        report = monthly_report(s, "1001", "2026-10", runtime.settings)
    data = report.to_json()
    assert data == {
        "service_point": "1001",
        "period": "2026-10",
        "estimated": False,
        "segments": [
            {
                "meter_serial": "M1",
                "multiplier": "30",
                "from": "2026-10-01T00:00:00",
                "to": "2026-11-01T00:00:00",
                "start_index": {"1.8.0": "1000.000", "1.8.1": "400.000", "1.8.2": "300.000",
                                "1.8.3": "300.000", "2.8.0": "0.000", "5.8.0": "100.000",
                                "8.8.0": "50.000"},
                "end_index": {"1.8.0": "1750.200", "1.8.1": "741.000", "1.8.2": "610.000",
                              "1.8.3": "399.200", "2.8.0": "0.000", "5.8.0": "189.280",
                              "8.8.0": "73.808"},
            }
        ],
        "month_end_index": {"1.8.0": "1750.200", "1.8.1": "741.000", "1.8.2": "610.000",
                            "1.8.3": "399.200", "2.8.0": "0.000", "5.8.0": "189.280",
                            "8.8.0": "73.808"},
        "consumption": {"1.8.0": "22506.000", "1.8.1": "10230.000", "1.8.2": "9300.000",
                        "1.8.3": "2976.000", "2.8.0": "0.000", "5.8.0": "2678.400",
                        "8.8.0": "714.240"},
        "inductive_ratio": "11.90",
        "capacitive_ratio": "3.17",
        "inductive_limit": "20",
        "capacitive_limit": "15",
        "inductive_exceeded": False,
        "capacitive_exceeded": False,
        "max_demand": {"1.6.0": {"value": "63.000", "time": "2026-10-15T18:15:00"},
                       "2.6.0": None},
    }  # fmt: skip
    assert report.tariff_origin == "registers"
    assert report.month_end_label == "2026-10-31T23:59:59"


def test_profile_only_meter_tariffs_from_zones(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "1002")
        m = add_meter(s, "M2")
        install(s, sp, m, local(2026, 1, 1))
        records, _ = profile_records(OCT, NOV, START)
        store_intervals(s, m, records)
    with db.transaction(runtime.sessions) as s:
        report = monthly_report(s, "1002", "2026-10", runtime.settings)
    data = report.to_json()
    assert report.tariff_origin == "profile"
    assert data["estimated"] is False
    assert data["consumption"] == {
        "1.8.0": "22506.000", "1.8.1": "10230.000", "1.8.2": "9300.000", "1.8.3": "2976.000",
        "2.8.0": "0.000", "5.8.0": "2678.400", "8.8.0": "714.240",
    }  # fmt: skip
    assert data["month_end_index"]["1.8.0"] == "1750.200"
    assert data["month_end_index"]["1.8.1"] is None
    # 0.500 kWh in 15 minutes = 2 kW × 30; first at the first T2 interval, named by its start
    assert data["max_demand"]["1.6.0"] == {"value": "60.000", "time": "2026-10-01T17:00:00"}


def test_meter_change_in_the_middle(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "1003")
        old, new = add_meter(s, "OLD"), add_meter(s, "NEW")
        install(s, sp, old, local(2026, 1, 1), MID, removal_index={"1.8.0": "1363.000"})
        install(s, sp, new, MID, install_index={"1.8.0": "5.000"})
        records, _ = profile_records(OCT, MID, START)
        store_intervals(s, old, records)
        new_start = {"1.8.0": Decimal("5.000"), "2.8.0": Decimal(0), "5.8.0": Decimal(0),
                     "8.8.0": Decimal(0)}  # fmt: skip
        records, _ = profile_records(MID, NOV, new_start)
        store_intervals(s, new, records)
    with db.transaction(runtime.sessions) as s:
        data = monthly_report(s, "1003", "2026-10", runtime.settings).to_json()
    first, second = data["segments"]
    assert (first["meter_serial"], first["to"]) == ("OLD", "2026-10-16T00:00:00")
    assert (first["start_index"]["1.8.0"], first["end_index"]["1.8.0"]) == ("1000.000", "1363.000")
    assert (second["meter_serial"], second["from"]) == ("NEW", "2026-10-16T00:00:00")
    assert (second["start_index"]["1.8.0"], second["end_index"]["1.8.0"]) == ("5.000", "392.200")
    # (363.0 + 387.2) × 30, never 392.200 − 1000.000
    assert data["consumption"]["1.8.0"] == "22506.000"
    assert data["consumption"]["1.8.1"] == "10230.000"
    assert data["month_end_index"]["1.8.0"] == "392.200"
    # reactive: 15 days of OLD (43.2 kvarh) + 16 days of NEW (46.08), × 30
    assert data["consumption"]["5.8.0"] == "2678.400"


def test_multiplier_change_in_the_middle(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "1004")
        m = add_meter(s, "M4")
        install(s, sp, m, local(2026, 1, 1), MID, ct="30")
        install(s, sp, m, MID, ct="40")
        records, _ = profile_records(OCT, NOV, START)
        store_intervals(s, m, records)
    with db.transaction(runtime.sessions) as s:
        data = monthly_report(s, "1004", "2026-10", runtime.settings).to_json()
    assert [seg["multiplier"] for seg in data["segments"]] == ["30", "40"]
    assert data["segments"][0]["end_index"]["1.8.0"] == "1363.000"
    assert data["segments"][1]["start_index"]["1.8.0"] == "1363.000"
    # 363.0 × 30 + 387.2 × 40
    assert data["consumption"]["1.8.0"] == "26378.000"
    # T1: 15 × 11 × 30 + 16 × 11 × 40
    assert data["consumption"]["1.8.1"] == "11990.000"
    # the largest demand is in the ×40 segment: 2 kW × 40
    assert data["max_demand"]["1.6.0"] == {"value": "80.000", "time": "2026-10-16T17:00:00"}


@pytest.mark.parametrize(
    ("kva", "limits", "exceeded"),
    [("100", ("20", "15"), (True, True)), ("30", ("33", "20"), (False, False))],
)
def test_reactive_limits_by_power_class(
    runtime: Runtime, kva: str, limits: tuple[str, str], exceeded: tuple[bool, bool]
) -> None:
    def step(_start: object) -> dict[str, Decimal]:
        return {"1.8.0": Decimal("1.000"), "2.8.0": Decimal(0), "5.8.0": Decimal("0.250"),
                "8.8.0": Decimal("0.170")}  # fmt: skip

    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "1005", kva=kva)
        m = add_meter(s, "M5")
        install(s, sp, m, local(2026, 1, 1))
        records, _ = profile_records(OCT, NOV, START, step)
        store_intervals(s, m, records)
    with db.transaction(runtime.sessions) as s:
        data = monthly_report(s, "1005", "2026-10", runtime.settings).to_json()
    assert (data["inductive_ratio"], data["capacitive_ratio"]) == ("25.00", "17.00")
    assert (data["inductive_limit"], data["capacitive_limit"]) == limits
    assert (data["inductive_exceeded"], data["capacitive_exceeded"]) == exceeded


def test_unknown_service_point(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as s, pytest.raises(NotFound):
        monthly_report(s, "nope", "2026-10", runtime.settings)


@pytest.mark.parametrize(
    ("reset", "origin"), [("26-10-01,00:00", "registers"), ("26-09-01,00:00", "profile")]
)
def test_older_freeze_read_later_with_its_reset_times(
    runtime: Runtime, reset: str, origin: str
) -> None:
    """Read on 20 November: October's opening freeze is ``*2``, trusted when its reset time
    (0.1.2*2, the text as the meter wrote it) is 1 October; otherwise the profile decides."""
    with db.transaction(runtime.sessions) as s:
        sp = add_service_point(s, "1006")
        m = add_meter(s, "M6")
        install(s, sp, m, local(2026, 1, 1))
        records, _ = profile_records(OCT, NOV, START)
        store_intervals(s, m, records)
        add_readout(s, m, local(2026, 11, 20, 10), {
            "0.1.2*1": "26-11-01,00:00", "0.1.2*2": reset,
            "1.8.0*1": "1750.200", "1.8.1*1": "741.000", "1.8.2*1": "610.000",
            "1.8.3*1": "399.200", "1.8.0*2": "1000.000", "1.8.1*2": "400.000",
            "1.8.2*2": "300.000", "1.8.3*2": "300.000",
        })  # fmt: skip
    with db.transaction(runtime.sessions) as s:
        report = monthly_report(s, "1006", "2026-10", runtime.settings)
    assert report.tariff_origin == origin
    assert report.to_json()["consumption"]["1.8.3"] == "2976.000"

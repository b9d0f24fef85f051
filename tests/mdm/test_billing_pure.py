"""The pure month computation on in-memory meters: the edges of the evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from osos.mdm.billing import MonthInput, compute_month
from osos.mdm.model import INTERVAL, InstallationSpan, RegisterRead
from osos.settings import ReactiveLimits
from osos.timeutil import month_bounds

from .pure import meter, series

START, END = month_bounds("2026-10")


def _month(reads: list[RegisterRead], skip: object = None) -> MonthInput:
    profile = series(START, END, {"1.8.0": 1_000_000}, lambda _t: {"1.8.0": 100},
                     skip=skip or (lambda _e: False))  # type: ignore[arg-type]  # fmt: skip
    span = InstallationSpan(1, "M1", START - dt.timedelta(days=30), None, Decimal(10))
    return MonthInput("SP", "2026-10", START, END, (span,), {1: meter(1, "M1", profile, reads)})


def test_frozen_register_disagreeing_with_the_profile_still_splits_exactly() -> None:
    """The meter froze 1000.500 at the reset, its profile says 1000.000: the first interval
    cannot absorb −0.4 kWh, so the profile's split is kept and the difference shared."""
    frozen = RegisterRead(START + dt.timedelta(minutes=5), "1.8.0*1", Decimal("1000.500"))
    report = compute_month(_month([frozen]), ReactiveLimits())
    total = report.consumption["1.8.0"]
    # 2976 intervals × 0.100 = 297.6 kWh by the profile; 0.5 less from the frozen start, × 10
    assert total == Decimal("2971.000")
    parts = [report.consumption[o] for o in ("1.8.1", "1.8.2", "1.8.3")]
    assert sum(p for p in parts if p is not None) == total
    assert report.tariff_origin == "profile" and report.estimated
    assert report.segments[0].start_index["1.8.0"].origin == "frozen"


def test_missing_month_end_is_interpolated_and_marked() -> None:
    """No row at the month end and no frozen register: a straight line between the rows
    around it, marked as an estimate in the month-end index and the month."""
    month = _month([], skip=lambda e: END - 2 * INTERVAL < e <= END)
    after = RegisterRead(END + dt.timedelta(hours=1), "1.8.0", Decimal("1298.000"))
    month = MonthInput(month.service_point_no, month.period, START, END, month.spans,
                       {1: meter(1, "M1", month.meters[1].profile, [after])})  # fmt: skip
    report = compute_month(month, ReactiveLimits())
    end_index = report.month_end_index["1.8.0"]
    assert end_index is not None and end_index.estimated and end_index.origin == "interpolated"
    # 1297.400 at END − 30 min, 1298.000 at END + 1 h: 0.2 per 30 min on that line
    assert end_index.decimal == Decimal("1297.600")
    assert report.estimated and "1.8.0" in report.estimated_registers
    assert report.to_json()["month_end_index"]["1.8.0"] == "1297.600"


def test_no_installation_means_no_numbers() -> None:
    month = MonthInput("SP", "2026-10", START, END, (), {})
    data = compute_month(month, ReactiveLimits()).to_json()
    assert data["segments"] == [] and data["consumption"]["1.8.0"] is None
    assert data["estimated"] is True and data["max_demand"] == {"1.6.0": None, "2.6.0": None}


def test_frozen_registers_of_older_resets_and_their_reset_time() -> None:
    """A readout in December holds October's closing freeze as ``*2``; one whose reset time
    (0.1.2*1) is another day is not taken for this month's."""
    from osos.mdm.indexes import index_at

    december = END + dt.timedelta(days=35)
    wrong_reset = END + dt.timedelta(days=2)
    month = _month([
        RegisterRead(wrong_reset, "0.1.2*1", Decimal(0), END + dt.timedelta(days=1)),
        RegisterRead(wrong_reset, "1.8.0*1", Decimal("9999.000")),
        RegisterRead(december, "1.8.0*2", Decimal("1297.700")),
        RegisterRead(december, "1.6.0*2", Decimal("0.400"), START + dt.timedelta(days=3)),
    ])  # fmt: skip
    value = index_at(month.meters[1], END, "1.8.0")
    assert value is not None and (value.origin, value.value) == ("frozen", 1_297_700)
    report = compute_month(month, ReactiveLimits())
    demand = report.max_demand["1.6.0"]
    assert demand is not None and (demand.origin, demand.value) == ("readout", Decimal("4.000"))

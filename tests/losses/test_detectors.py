"""Each detector finds its simulated fault (the meter's own readouts and P.01 records through
the codec's adapter), and a month of the demo's clean fleet gives no finding at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from osos.losses.detect import detect
from osos.losses.findings import Finding, Kind
from osos.settings import LossLimits
from osos.simulator import MeterSpec
from osos.simulator.faults import Fault
from osos.simulator.spec import CustomerKind
from osos.simulator.tamper import MAGNET_MINUTES
from osos.timeutil import local_midnight, month_bounds, month_start_before, period_of

from . import simdata

LIMITS = LossLimits()
HOUR = dt.timedelta(hours=1)


def _month(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The last whole month before ``now``."""
    return month_bounds(period_of(month_start_before(now, 1)))


def _faulty(
    family: str, low: dt.datetime, high: dt.datetime, *faults: Fault
) -> tuple[list[Finding], dt.datetime]:
    """A meter given ``faults`` in the middle of [low, high), its month's findings."""
    since = local_midnight((low + (high - low) / 2).date()) + dt.timedelta(hours=10, minutes=30)
    spec = MeterSpec("80221234" if family == "makel-c520" else "12345678", family=family,
                     kind=CustomerKind.INDUSTRY, seed=7, peak_w=20_000)  # fmt: skip
    sim = simdata.one_point("2000900001", spec, high)
    for fault in faults:
        sim.meter.model.tamper.begin(fault.value, since)
    data = simdata.inputs([sim], low - dt.timedelta(weeks=4, days=1), high, 6 * HOUR)
    return detect(data, low, high, LIMITS), since


def _kinds(findings: list[Finding]) -> dict[Kind, Finding]:
    return {f.kind: f for f in findings}


def test_each_tamper_fault_of_a_makel_meter_is_found(frozen_now: dt.datetime) -> None:
    low, high = _month(frozen_now)
    found, since = _faulty("makel-c520", low, high, Fault.COVER_OPEN, Fault.MAIN_COVER,
                           Fault.MAGNETIC, Fault.PHASE_LOSS, Fault.BYPASS)  # fmt: skip
    kinds = _kinds(found)
    assert set(kinds) == {
        Kind.TERMINAL_COVER, Kind.MAIN_COVER, Kind.MAGNETIC, Kind.PHASE_FAIL,
        Kind.VOLTAGE_MISSING, Kind.CONSUMPTION_DROP,
    }  # fmt: skip
    cover = kinds[Kind.TERMINAL_COVER]
    assert cover.start == since and cover.evidence["register"] == "96.71"
    assert cover.readout_id is not None and cover.meter == "80221234"
    magnet = kinds[Kind.MAGNETIC]
    assert (magnet.start, magnet.end) == (since, since + dt.timedelta(minutes=MAGNET_MINUTES))
    assert kinds[Kind.PHASE_FAIL].evidence["phase"] == "L3" and kinds[Kind.PHASE_FAIL].end is None
    missing = kinds[Kind.VOLTAGE_MISSING]
    assert missing.evidence["phase"] == "L3" and missing.evidence["L3_V"] == "0"
    assert since < missing.start <= since + 6 * HOUR  # the first readout after it
    drop = kinds[Kind.CONSUMPTION_DROP]
    assert since - dt.timedelta(days=1) < drop.start <= since + dt.timedelta(days=1)
    assert Decimal(drop.evidence["share"]) < Decimal("0.4")  # 30 % of the load is metered


def test_phase_loss_on_an_emh_meter_is_seen_in_its_profile(frozen_now: dt.datetime) -> None:
    low, high = _month(frozen_now)
    found, since = _faulty("emh-lzqj", low, high, Fault.PHASE_LOSS)
    missing = _kinds(found)[Kind.VOLTAGE_MISSING]
    assert missing.start == since.replace(minute=45)  # the first interval ending after it
    assert int(missing.evidence["samples"]) > 96  # every interval since, not one readout
    assert Kind.PHASE_FAIL not in _kinds(found)  # EMH keeps events in P.98, not the readout


def test_a_by_pass_alone_is_found_and_nothing_else(frozen_now: dt.datetime) -> None:
    low, high = _month(frozen_now)
    found, _ = _faulty("emh-lzqj", low, high, Fault.BYPASS)
    assert [f.kind for f in found] == [Kind.CONSUMPTION_DROP]


_CLEAN: dict[dt.datetime, tuple[list[Finding], int, int]] = {}  # month start → its run


@pytest.fixture(scope="module")
def clean_month(frozen_now: dt.datetime) -> tuple[list[Finding], int, int]:
    """The last whole month before now of the demo fleet, untouched (built once per month:
    two of the test clocks fall in the same one)."""
    low, high = _month(frozen_now)
    if low not in _CLEAN:
        fleet = simdata.demo_fleet(high)
        # two weeks before the month give the norm its two values per weekday and hour
        data = simdata.inputs(fleet, low - dt.timedelta(days=15), high, dt.timedelta(days=1))
        _CLEAN[low] = detect(data, low, high, LIMITS), len(fleet), len(data.samples)
    return _CLEAN[low]


def test_a_month_of_the_clean_demo_fleet_raises_no_alarm(
    clean_month: tuple[list[Finding], int, int],
) -> None:
    findings, points, samples = clean_month
    # the 59 of the issue, the tamper point, the four DLMS meters (the water meter is not simulated)
    assert points == 64 and samples > 64 * 96 * 28
    assert [f.as_json() for f in findings] == []

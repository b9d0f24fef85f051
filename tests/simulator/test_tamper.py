"""Tamper faults are the meter's state from a start time on: energy left uncounted exactly and
never decreasing, the phase values, the event registers; calls' faults are not affected."""

from __future__ import annotations

import datetime as dt

from osos.obis import normalize_obis
from osos.simulator import Fault, Fleet, MeterSpec
from osos.simulator.faults import TAMPERS, parse_fault_option
from osos.simulator.model import import_total
from osos.simulator.tamper import BYPASS_PERMILLE
from osos.timeutil import UTC, FixedClock

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SINCE = NOW - dt.timedelta(days=3)
HOUR = dt.timedelta(hours=1)


def _fleet(*faults: Fault) -> Fleet:
    fleet = Fleet([MeterSpec("80221000", family="makel-c520", seed=9, port=0, peak_w=20_000)],
                  clock=FixedClock(NOW))  # fmt: skip
    for fault in faults:
        fleet.set_fault("80221000", fault, since=SINCE)
    return fleet


def _texts(fleet: Fleet) -> dict[str, str]:
    return {
        normalize_obis(ds.address): ds.to_text()
        for ds in fleet.device("80221000").readout_data_sets()
    }


def test_a_by_pass_counts_its_share_exactly_from_its_start_and_never_falls() -> None:
    model = _fleet(Fault.BYPASS).meter("80221000")
    clean = _fleet().meter("80221000")
    assert model.registers_at(SINCE) == clean.registers_at(SINCE)
    later = SINCE + 30 * HOUR
    grown = import_total(clean.registers_at(later)) - import_total(clean.registers_at(SINCE))
    counted = import_total(model.registers_at(later)) - import_total(model.registers_at(SINCE))
    assert grown * BYPASS_PERMILLE // 1000 - 3 <= counted <= grown * BYPASS_PERMILLE // 1000
    values = [
        import_total(model.registers_at(SINCE + k * dt.timedelta(minutes=7))) for k in range(400)
    ]
    assert values == sorted(values)
    assert model.phase_values(NOW).amps[0] < clean.phase_values(NOW).amps[0]


def test_a_lost_phase_shows_no_voltage_and_current_and_its_share_goes_uncounted() -> None:
    model = _fleet(Fault.PHASE_LOSS).meter("80221000")
    clean = _fleet().meter("80221000")
    phases = model.phase_values(NOW)
    assert phases.volts[2] == 0 and phases.amps == clean.phase_values(NOW).amps
    assert model.phase_values(SINCE).volts == clean.phase_values(SINCE).volts  # not yet
    shares = model.phase_shares()
    grown = import_total(clean.registers_at(NOW)) - import_total(clean.registers_at(SINCE))
    counted = import_total(model.registers_at(NOW)) - import_total(model.registers_at(SINCE))
    expected = grown * (sum(shares) - shares[2]) // sum(shares)
    assert expected - 3 <= counted <= expected  # each of T1..T3 rounds down on its own


def test_the_event_registers_carry_the_openings_and_records() -> None:
    fleet = _fleet(*sorted(TAMPERS))
    texts = _texts(fleet)
    assert texts["96.70"] == "96.70(26-11-17,12:00)"  # meter clock, local
    assert texts["96.71"] == "96.71(26-11-17,12:00)(01)"
    assert texts["96.7.3"] == "96.7.3(01)"
    assert texts["96.77.3*1"] == "96.77.3*1(26-11-17,12:00,00-00-00,00:00)"  # still going
    assert texts["96.77.4*1"] == "96.77.4*1(26-11-17,12:00,26-11-17,12:45)"
    fleet.clear_fault("80221000")
    clean = _texts(fleet)
    assert clean["96.71"] == "96.71(00-00-00,00:00)(00)" and clean["96.77.4"] == "96.77.4(00)"


def test_tamper_faults_parse_and_are_never_drawn_at_random() -> None:
    assert parse_fault_option("80221000=cover_open,bypass") == [
        ("80221000", Fault.COVER_OPEN), ("80221000", Fault.BYPASS),
    ]  # fmt: skip
    fleet = Fleet([MeterSpec(f"8022{k:04d}", port=0) for k in range(200)], clock=FixedClock(NOW))
    drawn = set(fleet.random_faults(1.0, seed=3).values())
    assert drawn and not drawn & TAMPERS
    assert all(not fleet.meter(s).tamper.since for s in fleet.meters)

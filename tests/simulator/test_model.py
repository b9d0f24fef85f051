"""Invariants of the meter model: exact sums, tariff zones, billing resets, maximum demand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osos.obis import normalize_obis
from osos.protocol.iec62056_21.datasets import format_data_sets, parse_data_sets
from osos.simulator.consumption import (
    EXPORT,
    REGISTERS,
    T1,
    T2,
    T3,
    CustomerKind,
    MeterCharacter,
    build_pattern,
    day_best,
    day_totals,
    month_calendar,
    zone_of_slot,
)
from osos.simulator.families import (
    ELECTRICITY_FAMILIES,
    FAMILIES,
    render_readout,
    render_readout_text,
)
from osos.simulator.model import INTERVAL, MeterModel, import_total
from osos.simulator.spec import MeterSpec, specs_for
from osos.timeutil import local_midnight, month_start_before

UTC = dt.UTC
START = dt.datetime(2025, 3, 1, tzinfo=UTC)

kinds = st.sampled_from(list(CustomerKind))
families = st.sampled_from(sorted(ELECTRICITY_FAMILIES))
every_family = st.sampled_from(sorted(FAMILIES))  # water, gas and heat meters too
seeds = st.integers(min_value=0, max_value=2**31 - 1)
# Quarter hours in 2025-03 … 2026-10 (the meters below are installed in January 2025).
quarters = st.integers(min_value=0, max_value=600 * 96)


def model_for(kind: CustomerKind, seed: int, family: str = "makel-c520") -> MeterModel:
    return MeterSpec(
        "1", family=family, kind=kind, seed=seed, install_date=dt.date(2025, 1, 5)
    ).build_model()


def at(quarter: int) -> dt.datetime:
    return START + INTERVAL * quarter


@pytest.mark.parametrize(
    ("hour", "minute", "zone"),
    [
        (0, 0, T3),
        (5, 45, T3),
        (6, 0, T1),
        (16, 45, T1),
        (17, 0, T2),
        (21, 45, T2),
        (22, 0, T3),
        (23, 45, T3),
    ],
)
def test_tariff_zone_edges(hour: int, minute: int, zone: int) -> None:
    assert zone_of_slot((hour * 60 + minute) // 15) == zone
    # and the model books the interval starting there to that zone only
    model = model_for(CustomerKind.INDUSTRY, 7)
    start = local_midnight(dt.date(2025, 6, 4)) + dt.timedelta(hours=hour, minutes=minute)
    energy = model.interval_energy(start + INTERVAL)
    assert import_total(energy) > 0
    assert energy[zone] == import_total(energy)


@settings(max_examples=40, deadline=None)
@given(kinds, seeds, quarters, st.integers(min_value=1, max_value=3 * 96))
def test_interval_energies_sum_to_index_difference(
    kind: CustomerKind, seed: int, first: int, length: int
) -> None:
    model = model_for(kind, seed)
    low, high = at(first), at(first + length)
    total = [0] * REGISTERS
    for end in model.interval_ends(low + INTERVAL, high):
        for r, value in enumerate(model.interval_energy(end)):
            total[r] += value
    before, after = model.registers_at(low), model.registers_at(high)
    assert [b - a for a, b in zip(before, after, strict=True)] == total


@settings(max_examples=40, deadline=None)
@given(kinds, seeds, quarters, st.integers(min_value=0, max_value=10**6))
def test_registers_are_monotonic_also_inside_intervals(
    kind: CustomerKind, seed: int, first: int, seconds: int
) -> None:
    model = model_for(kind, seed)
    low = at(first) + dt.timedelta(seconds=seconds % 900)
    high = low + dt.timedelta(seconds=seconds)
    assert all(
        b >= a for a, b in zip(model.registers_at(low), model.registers_at(high), strict=True)
    )


@settings(max_examples=25, deadline=None)
@given(kinds, seeds, families, quarters)
def test_readout_total_is_sum_of_tariffs_and_matches_model(
    kind: CustomerKind, seed: int, family: str, quarter: int
) -> None:
    model = model_for(kind, seed, family)
    now = at(quarter) + dt.timedelta(seconds=quarter % 900)
    snap = model.snapshot(now)
    values = {
        normalize_obis(ds.address): ds.number for ds in render_readout(FAMILIES[family], snap, "1")
    }
    assert values["1.8.0"] == values["1.8.1"] + values["1.8.2"] + values["1.8.3"]
    assert values["1.8.0"] == Decimal(import_total(model.registers_at(now))).scaleb(-3)
    assert values["1.8.0*1"] == values["1.8.1*1"] + values["1.8.2*1"] + values["1.8.3*1"]
    assert values["2.8.0"] == Decimal(model.registers_at(now)[EXPORT]).scaleb(-3)


@settings(max_examples=25, deadline=None)
@given(kinds, seeds, quarters)
def test_billing_reset_freezes_the_index_at_local_midnight_of_day_one(
    kind: CustomerKind, seed: int, quarter: int
) -> None:
    model = model_for(kind, seed)
    now = at(quarter)
    last, before = model.snapshot(now).billing
    local = (last.time + dt.timedelta(hours=3)).replace(tzinfo=None)
    assert (local.day, local.hour, local.minute) == (1, 0, 0)
    assert last.time <= now < month_start_before(last.time + dt.timedelta(days=40))
    assert last.registers == model.registers_at(last.time)
    assert before.registers == model.registers_at(before.time)
    assert model.reset_count(now) == model.reset_count(last.time)
    assert model.reset_count(now) == model.reset_count(before.time) + 1


@settings(max_examples=15, deadline=None)
@given(kinds, seeds, st.integers(min_value=0, max_value=400), st.integers(0, 95))
def test_max_demand_is_the_largest_quarter_hour_since_reset(
    kind: CustomerKind, seed: int, day: int, slot: int
) -> None:
    model = model_for(kind, seed)
    now = at(day * 96 + slot) + dt.timedelta(minutes=7)
    start = month_start_before(now)
    best_imp: tuple[int, dt.datetime | None] = (0, None)
    best_exp: tuple[int, dt.datetime | None] = (0, None)
    for end in model.interval_ends(start + INTERVAL, now):
        energy = model.interval_energy(end)
        if import_total(energy) * 4 > best_imp[0]:
            best_imp = (import_total(energy) * 4, end)
        if energy[EXPORT] * 4 > best_exp[0]:
            best_exp = (energy[EXPORT] * 4, end)
    snap = model.snapshot(now)
    assert (snap.import_demand.watts, snap.import_demand.time) == best_imp
    assert (snap.export_demand.watts, snap.export_demand.time) == best_exp


def test_generation_exports_in_daylight_and_imports_at_night() -> None:
    model = model_for(CustomerKind.GENERATION, 11)
    midday = local_midnight(dt.date(2025, 6, 10)) + dt.timedelta(hours=13)
    night = local_midnight(dt.date(2025, 6, 10)) + dt.timedelta(hours=2)
    assert model.interval_energy(midday)[EXPORT] > 0
    assert import_total(model.interval_energy(midday)) == 0
    assert model.interval_energy(night)[EXPORT] == 0
    assert 0 < import_total(model.interval_energy(night)) < model.interval_energy(midday)[EXPORT]


def test_lighting_burns_only_at_night() -> None:
    model = model_for(CustomerKind.LIGHTING, 3)
    day = local_midnight(dt.date(2025, 12, 10))
    assert import_total(model.interval_energy(day + dt.timedelta(hours=12))) == 0
    assert import_total(model.interval_energy(day + dt.timedelta(hours=23))) > 0


def test_industry_weekends_are_low() -> None:
    model = model_for(CustomerKind.INDUSTRY, 5)
    wednesday = local_midnight(dt.date(2025, 6, 11))
    sunday = local_midnight(dt.date(2025, 6, 15))
    week = import_total(model.registers_at(wednesday + dt.timedelta(days=1))) - import_total(
        model.registers_at(wednesday)
    )
    rest = import_total(model.registers_at(sunday + dt.timedelta(days=1))) - import_total(
        model.registers_at(sunday)
    )
    assert rest * 3 < week


def test_fleet_has_meters_above_and_below_the_reactive_limits() -> None:
    chars = [MeterCharacter.from_seed(CustomerKind.INDUSTRY, s) for s in range(200)]
    above = [c for c in chars if c.inductive > 200 or c.capacitive > 150]
    assert 0 < len(above) < len(chars) // 2


def test_patterns_are_exact_integer_sums() -> None:
    char = MeterCharacter.from_seed(CustomerKind.COMMERCE, 99)
    pattern = build_pattern(char, (0, 0, 3))
    for r in range(REGISTERS):
        assert pattern.prefix[r][-1] == sum(pattern.energy[r])


def test_before_installation_the_registers_are_the_initial_ones() -> None:
    spec = MeterSpec("1", install_date=dt.date(2025, 6, 1), initial_wh=1_234_567)
    model = spec.build_model()
    assert import_total(model.registers_at(dt.datetime(2025, 1, 1, tzinfo=UTC))) == 1_234_567
    assert (
        model.snapshot(dt.datetime(2025, 6, 1, 10, tzinfo=UTC)).billing[1].import_demand.time
        is None
    )


def test_phase_values_follow_the_power() -> None:
    model = model_for(CustomerKind.INDUSTRY, 21)
    end = local_midnight(dt.date(2025, 6, 11)) + dt.timedelta(hours=10)
    watts = import_total(model.interval_energy(end)) * 4
    phases = model.phase_values(end)
    assert all(220_000 <= v <= 240_000 for v in phases.volts)
    apparent = sum(v * a for v, a in zip(phases.volts, phases.amps, strict=True)) // 10**6
    pf = model.character.power_factor
    assert abs(apparent * pf // 1000 - watts) <= watts // 50 + 10


def test_clock_set_and_profile_stamps() -> None:
    model = model_for(CustomerKind.COMMERCE, 4)
    now = dt.datetime(2025, 6, 11, 9, 3, tzinfo=UTC)
    model.set_clock(now - dt.timedelta(days=1), now - dt.timedelta(days=1, seconds=-600))
    assert model.meter_time(now) == now + dt.timedelta(seconds=600)
    records = model.profile(now - dt.timedelta(hours=2), None, now)
    stamps = [r[0] for r in records]
    assert stamps[-1] == dt.datetime(2025, 6, 11, 9, 0, tzinfo=UTC)
    # a stamp written 10 minutes early holds the index of its true time
    assert records[-1][1] == model.registers_at(stamps[-1] - dt.timedelta(seconds=600))
    model.set_clock(now, now)
    assert model.meter_time(now + dt.timedelta(hours=1)) == now + dt.timedelta(hours=1)
    # history written before the clock was set is unchanged
    assert model.profile(now - dt.timedelta(hours=2), None, now)[:-1] == records[:-1]


def test_mixed_fleet_is_deterministic_and_varied() -> None:
    specs = specs_for(30, 41000, seed=3)
    assert specs == specs_for(30, 41000, seed=3)
    assert {s.family for s in specs} == set(ELECTRICITY_FAMILIES) - {"metcom-mcs301"}
    assert {s.kind for s in specs} == set(CustomerKind)
    assert len({s.serial for s in specs}) == 30
    assert [s.port for s in specs] == list(range(41000, 41030))


@settings(max_examples=30, deadline=None)
@given(kinds, seeds, st.integers(1, 12), st.integers(0, 2), st.integers(0, 7))
def test_day_totals_shortcut_equals_the_full_pattern(
    kind: CustomerKind, seed: int, month: int, dtype: int, level: int
) -> None:
    char = MeterCharacter.from_seed(kind, seed)
    key = (month, dtype, level)
    assert day_totals(char, key) == build_pattern(char, key).totals


@settings(max_examples=20, deadline=None)
@given(kinds, seeds, every_family, quarters, st.integers(-5000, 5000))
def test_every_readout_parses_strictly_with_exact_energy(
    kind: CustomerKind, seed: int, family: str, quarter: int, drift: int
) -> None:
    spec = MeterSpec("42", family=family, kind=kind, seed=seed, drift_s=drift)
    model = spec.build_model()
    now = at(quarter)
    text = format_data_sets(render_readout(FAMILIES[family], model.snapshot(now), "42"))
    parsed = parse_data_sets(text)
    assert len(parsed) == len(FAMILIES[family].readout)
    for data_set in parsed:
        if data_set.unit in ("kWh", "kVArh", "kvarh", "kW", "m3", "GJ"):
            assert len(data_set.first.text.split(".")[1]) == 3, data_set
    clock = next(ds for ds in parsed if normalize_obis(ds.address) == "0.9.1")
    shown = (now + dt.timedelta(seconds=drift, hours=3)).strftime(FAMILIES[family].time_format)
    assert clock.value == shown


@settings(max_examples=60, deadline=None)
@given(kinds, seeds, st.integers(1, 12), st.integers(0, 2), st.integers(0, 7), st.integers(0, 96))
def test_day_best_shortcut_equals_the_full_pattern(
    kind: CustomerKind, seed: int, month: int, dtype: int, level: int, slots: int
) -> None:
    """The largest interval from the shared ranking is the pattern's, ties to the earliest."""
    char = MeterCharacter.from_seed(kind, seed)
    key = (month, dtype, level)
    pattern = build_pattern(char, key)
    for export in (False, True):
        assert day_best(char, key, export, slots) == pattern.best(export, slots)


@settings(max_examples=40, deadline=None)
@given(kinds, seeds, st.dates(dt.date(2016, 9, 8), dt.date(2040, 12, 1)), st.integers(0, 31))
def test_month_counts_are_the_pattern_keys_of_those_days(
    kind: CustomerKind, seed: int, day: dt.date, span: int
) -> None:
    """The walk's day counts (shared calendar, inline levels) are pattern_key's, day by day."""
    char = MeterCharacter.from_seed(kind, seed)
    first = day.toordinal()
    month_end = month_calendar(day.year, day.month)
    last = min(first + span, month_end[0] + len(month_end[1]))
    expected: dict[tuple[int, int, int], int] = {}
    for ordinal in range(first, last):
        key = char.pattern_key(dt.date.fromordinal(ordinal))
        expected[key] = expected.get(key, 0) + 1
    assert char.month_counts(first, last) == expected


@settings(max_examples=20, deadline=None)
@given(kinds, seeds, families, quarters)
def test_the_readout_text_is_what_its_data_sets_format_to(
    kind: CustomerKind, seed: int, family: str, quarter: int
) -> None:
    """The meter sends ``readout_text`` (written from integers, no data set objects); its
    data sets, formatted back, give the same bytes, and its energy is the model's."""
    model = MeterSpec("42", family=family, kind=kind, seed=seed).build_model()
    snap = model.snapshot(at(quarter))
    text = render_readout_text(FAMILIES[family], snap, "42")
    assert text.endswith("\r\n!\r\n")
    assert format_data_sets(parse_data_sets(text)) == text
    numbers = {normalize_obis(ds.address): ds.number for ds in parse_data_sets(text)}
    if "1.8.0" in numbers:
        assert numbers["1.8.0"] == Decimal(import_total(snap.registers)).scaleb(-3)

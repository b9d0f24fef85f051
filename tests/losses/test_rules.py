"""The detectors on small hand-built data: what each one calls a finding and what it does not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from osos.losses.detect import detect
from osos.losses.drops import drop_findings
from osos.losses.events import cover_counts, parse_event
from osos.losses.findings import Kind
from osos.losses.inputs import QUARTER, Inputs, Point, Read, Sample, Swap
from osos.settings import LossLimits
from osos.timeutil import month_bounds, parse_local

LIMITS = LossLimits()
LOW, HIGH = month_bounds("2026-11")
T = parse_local("2026-11-10T12:00")


def _read(at: dt.datetime, rid: int, **numbers: str) -> Read:
    values = {k.replace("_", "."): D(v) for k, v in numbers.items()}
    return Read(rid, "P1", "M1", at, at, {k: str(v) for k, v in values.items()}, values)


def _sample(
    at: dt.datetime, amps: tuple[str, str, str], volts: tuple[str, str, str] = ("230", "231", "229")
) -> Sample:
    return Sample(
        "P1", "M1", at, 9, volts=tuple(D(v) for v in volts), amps=tuple(D(a) for a in amps)
    )


def _kinds(inputs: Inputs) -> list[Kind]:
    return [f.kind for f in detect(inputs, LOW, HIGH, LIMITS)]


def test_event_registers_parse_as_the_meter_writes_them() -> None:
    event = parse_event("96.77.1*1", "26-11-03,03:46,26-11-03,03:49")
    assert event is not None and event.kind is Kind.PHASE_FAIL and event.phase == "L1"
    assert event.end is not None and event.end - event.start == dt.timedelta(minutes=3)
    assert parse_event("96.77.0*2", "00-00-00,00:00,00-00-00,00:00") is None  # never happened
    assert parse_event("96.77.4", "01") is None  # the counter, not a record
    assert parse_event("96.71", "garbage") is None
    assert cover_counts(b"96.70(26-11-03,10:30)\r\n96.71(26-11-03,10:30)(04)\r\n") == {
        "96.71": "04"
    }


def test_a_power_failure_in_the_period_is_one_finding_however_often_it_is_read() -> None:
    text = "26-11-03,03:46,26-11-03,05:10"
    reads = [
        Read(k, "P1", "M1", T + k * QUARTER, T + k * QUARTER, {"96.77.0*1": text})
        for k in range(1, 5)
    ]
    (finding,) = detect(Inputs(reads=tuple(reads)), LOW, HIGH, LIMITS)
    assert finding.kind is Kind.POWER_FAIL and finding.readout_id == 1  # the first that showed it
    outside = [Read(1, "P1", "M1", T, T, {"96.77.0*1": "26-09-03,03:46,26-09-03,05:10"})]
    assert _kinds(Inputs(reads=tuple(outside))) == []


def test_phase_imbalance_needs_an_hour_of_it() -> None:
    skewed = [_sample(T + k * QUARTER, ("10", "9.5", "2")) for k in range(4)]
    balanced = [_sample(T + k * QUARTER, ("10", "9", "7")) for k in range(4, 8)]
    (finding,) = detect(Inputs(samples=(*skewed, *balanced)), LOW, HIGH, LIMITS)
    assert finding.kind is Kind.PHASE_IMBALANCE and finding.evidence["spread"] == "0.8"
    assert (finding.start, finding.end) == (T, T + 3 * QUARTER)
    short = [_sample(T + k * QUARTER, ("10", "9.5", "2")) for k in range(3)]
    assert _kinds(Inputs(samples=tuple(short))) == []
    tiny = [_sample(T + k * QUARTER, ("0.3", "0.2", "0.01")) for k in range(8)]  # no load
    assert _kinds(Inputs(samples=tuple(tiny))) == []


def test_a_phase_without_voltage_counts_only_while_its_current_flows() -> None:
    flowing = _sample(T, ("4", "4", "4"), ("231", "230", "0"))
    assert _kinds(Inputs(samples=(flowing,))) == [Kind.VOLTAGE_MISSING]
    outage = _sample(T, ("4", "4", "0"), ("231", "230", "0"))
    dead = _sample(T, ("0", "0", "0"), ("0", "0", "0"))
    assert _kinds(Inputs(samples=(outage, dead))) == []


def test_export_on_a_consumer_but_not_on_a_generator() -> None:
    reads = (
        _read(T, 1, **{"2_8_0": "10.000"}),
        _read(T + dt.timedelta(days=2), 2, **{"2_8_0": "12.500"}),
    )
    (finding,) = detect(Inputs(points=(Point("P1"),), reads=reads), LOW, HIGH, LIMITS)
    assert finding.kind is Kind.REVERSE_ENERGY and finding.evidence["export_kwh"] == "2.5"
    generator = (Point("P1", consumer=False),)
    assert _kinds(Inputs(points=generator, reads=reads)) == []


def test_a_register_that_falls_and_a_clock_behind_true_time() -> None:
    falls = (_read(T, 1, **{"1_8_0": "100.000"}), _read(T + QUARTER, 2, **{"1_8_0": "99.990"}))
    (finding,) = detect(Inputs(reads=falls), LOW, HIGH, LIMITS)
    assert finding.kind is Kind.REGISTER_BACK and finding.readout_id == 2
    assert (finding.evidence["before"], finding.evidence["after"]) == ("100", "99.99")
    behind = Read(3, "P1", "M1", T, T - dt.timedelta(minutes=40), {}, {})
    slightly = Read(4, "P1", "M1", T + QUARTER, T + QUARTER - dt.timedelta(minutes=2), {}, {})
    (clock,) = detect(Inputs(reads=(behind, slightly)), LOW, HIGH, LIMITS)
    assert clock.kind is Kind.CLOCK_BACK and clock.evidence["behind_minutes"] == "40"


def test_a_meter_replaced_without_its_removal_index() -> None:
    swap = Swap("P1", "OLD1", "NEW1", T, None, 5, D("1234.5"))
    (finding,) = detect(Inputs(swaps=(swap,)), LOW, HIGH, LIMITS)
    assert (
        finding.kind is Kind.REPLACED_NO_INDEX and finding.evidence["last_read_index"] == "1234.5"
    )
    noted = Swap("P1", "OLD1", "NEW1", T, '{"1.8.0": "1240.000"}')
    removed = Swap("P1", "OLD1", None, T, None)  # the point closed: nothing replaced
    assert _kinds(Inputs(swaps=(noted, removed))) == []


def _profile(
    point: str, days: int, start: dt.datetime, low_from: dt.datetime | None, share: D = D("0.2")
) -> list[Sample]:
    """A flat 1 kWh per quarter, ``share`` of it from ``low_from`` on."""
    out, index = [], D(0)
    for k in range(days * 96 + 1):
        at = start + k * QUARTER
        out.append(Sample(point, point + "M", at, None, index))
        index += share if low_from is not None and at >= low_from else D(1)
    return out


def test_a_drop_shared_by_the_similar_points_is_no_by_pass() -> None:
    start = LOW - dt.timedelta(weeks=4)
    points = tuple(Point(f"P{k}", "industry", D("400")) for k in range(5))
    drop = parse_local("2026-11-12T00:00")
    alone = [
        *_profile("P0", 45, start, drop),
        *(s for k in range(1, 5) for s in _profile(f"P{k}", 45, start, None)),
    ]
    (finding,) = drop_findings(points, alone, LOW, HIGH, LIMITS)
    assert finding.service_point == "P0" and finding.start == drop
    assert finding.evidence["share"] == "0.2" and finding.evidence["peer_share"] == "1"
    together = [s for k in range(5) for s in _profile(f"P{k}", 45, start, drop)]
    assert drop_findings(points, together, LOW, HIGH, LIMITS) == []

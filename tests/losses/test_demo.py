"""The demo's tampered point: its meter is in the registry, read by dial-out, and what the demo
fleet is told to do to it shows in that month's worklist."""

from __future__ import annotations

import csv
import datetime as dt

from osos.cli.demo import DEMO_FAULTS
from osos.losses.detect import detect
from osos.losses.findings import Kind
from osos.settings import LossLimits
from osos.simulator import Fleet
from osos.simulator.faults import parse_fault_option, tamper_start
from osos.timeutil import month_bounds, period_of

from . import simdata


def test_the_demo_fleet_config_tampers_with_the_registry_s_last_point(
    frozen_now: dt.datetime,
) -> None:
    rows = list(csv.DictReader(simdata.REGISTRY.open(encoding="utf-8"), delimiter=";"))
    pairs = parse_fault_option(DEMO_FAULTS)
    (serial,) = {s for s, _ in pairs}
    assert rows[-1]["meter_serial"] == serial and rows[-1]["address"].startswith("127.0.0.1:")
    sim = next(p for p in simdata.demo_fleet(frozen_now) if p.meter.serial == serial)
    fleet = Fleet([sim.meter.spec], clock=sim.clock)
    for _, fault in pairs:
        fleet.set_fault(serial, fault)  # as ``osos demo`` does: a week before now
    sim.meter.model.tamper = fleet.meter(serial).tamper
    since = tamper_start(frozen_now)
    low, high = month_bounds(period_of(since))
    data = simdata.inputs([sim], low - dt.timedelta(weeks=4), frozen_now, dt.timedelta(hours=6))
    kinds = {f.kind for f in detect(data, low, high, LossLimits())}
    assert kinds == {Kind.TERMINAL_COVER, Kind.MAGNETIC, Kind.CONSUMPTION_DROP}

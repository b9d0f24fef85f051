"""What a virtual meter shows at one instant: its registers, demands, billing resets and phase
values, as plain frozen values (the model computes them, the families write them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

Registers = tuple[int, ...]  # T1, T2, T3, export, Q1..Q4 (Wh / varh), see consumption.py


@dataclass(frozen=True)
class Demand:
    """Maximum 15-minute average power (W) and the meter-clock end of its interval."""

    watts: int = 0
    time: dt.datetime | None = None


@dataclass(frozen=True)
class PhaseValues:
    """Voltages (mV) and currents (mA) per phase; one entry per phase the meter has."""

    volts: tuple[int, ...]
    amps: tuple[int, ...]


@dataclass(frozen=True)
class BillingPeriod:
    """A frozen billing reset: its time, the registers then, and the demand of the period."""

    time: dt.datetime
    registers: Registers
    import_demand: Demand
    export_demand: Demand


@dataclass(frozen=True)
class Snapshot:
    """Everything a readout shows at one instant (``true_time``; ``meter_time`` on its clock)."""

    true_time: dt.datetime
    meter_time: dt.datetime
    registers: Registers
    import_demand: Demand
    export_demand: Demand
    reset_count: int
    billing: tuple[BillingPeriod, ...]  # [0] = last reset (*1), [1] = the one before (*2)
    phases: PhaseValues
    events: Mapping[str, tuple[dt.datetime, dt.datetime | None]] = field(default_factory=dict)

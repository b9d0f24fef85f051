"""What the detectors look at, as frozen values the loaders build from the store (or a test
builds from the simulator): service points, readouts, profile samples and meter swaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

QUARTER = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Point:
    """A service point as the comparisons need it; ``consumer``: it has no generation."""

    no: str
    tariff_group: str | None = None
    contract_kw: Decimal | None = None
    consumer: bool = True


@dataclass(frozen=True)
class Read:
    """One readout of a meter while installed at ``point``: exact texts and numbers by OBIS
    (``96.71*1``), the meter's clock as it said, the multiplier (CT × VT) of the installation."""

    readout_id: int
    point: str
    meter: str
    read_at: dt.datetime
    meter_time: dt.datetime | None
    texts: Mapping[str, str] = field(default_factory=dict)
    numbers: Mapping[str, Decimal] = field(default_factory=dict)
    multiplier: Decimal = Decimal(1)


@dataclass(frozen=True)
class Sample:
    """One 15-minute profile interval (or a readout's instantaneous values): the energy
    indexes it carries (kWh, meter side) and the phase voltages/currents where present."""

    point: str
    meter: str
    end: dt.datetime
    readout_id: int | None = None
    import_index: Decimal | None = None  # 1.8.0
    export_index: Decimal | None = None  # 2.8.0
    volts: tuple[Decimal | None, ...] = ()
    amps: tuple[Decimal | None, ...] = ()
    multiplier: Decimal = Decimal(1)
    profile: bool = True  # False: instantaneous values of a readout


@dataclass(frozen=True)
class Swap:
    """An installation that ended: the meter removed, the one after it, and the index noted."""

    point: str
    old_meter: str
    new_meter: str | None
    removed_at: dt.datetime
    removal_index: str | None
    last_readout_id: int | None = None
    last_index: Decimal | None = None


@dataclass(frozen=True)
class Inputs:
    """Everything one run looks at, sorted by time within each meter."""

    points: tuple[Point, ...] = ()
    reads: tuple[Read, ...] = ()
    samples: tuple[Sample, ...] = ()
    swaps: tuple[Swap, ...] = ()

"""The demo fleet's data as the head-end would take it from the simulator: each registry row a
virtual meter, its P.01 records and readouts turned into domain values by the codec's own
adapter, then into the detectors' inputs (or stored through the real ingest)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from osos.domain import ReadSource
from osos.losses.inputs import Inputs, Point, Read, Sample
from osos.losses.loading import readout_samples
from osos.protocol.iec62056_21.adapter import interval_records, meter_clock, read_values
from osos.readings import IntervalRecord, ReadValue
from osos.simulator import MeterSpec, specs_from_meters
from osos.simulator.fromdb import meter_side_peak_w
from osos.simulator.meter import VirtualMeter
from osos.store.ingest import store_readout
from osos.store.intervals import store_profile
from osos.timeutil import FixedClock, parse_local

REGISTRY = Path(__file__).resolve().parents[2] / "examples" / "registry.csv"
PHASES_V = ("32.7.0", "52.7.0", "72.7.0")
PHASES_A = ("31.7.0", "51.7.0", "71.7.0")


def _ratio(text: str) -> Decimal:
    top, _, bottom = text.partition("/")
    return Decimal(top) / Decimal(bottom or "1")


@dataclass
class SimPoint:
    point: Point
    meter: VirtualMeter
    multiplier: Decimal
    clock: FixedClock


def demo_fleet(now: dt.datetime) -> list[SimPoint]:
    """The registry's current electricity meters (the last row of each point), with a clock each."""
    rows = list(csv.DictReader(REGISTRY.open(encoding="utf-8"), delimiter=";"))
    rows = [r for r in rows if r["meter_kind"] in ("", "electricity")]
    last = {r["service_point_no"]: r for r in rows}
    out = []
    for no, r in last.items():
        multiplier = _ratio(r["ct_ratio"]) * _ratio(r["vt_ratio"])
        kw = Decimal(r["contract_power_kw"]) if r["contract_power_kw"] else None
        spec_row = {
            "serial": r["meter_serial"], "flag": r["flag"], "model": r["model"],
            "tariff_group": r["tariff_group"], "generation": r["generation"],
            "balancing_unit": r["balancing_unit"] == "evet", "port": None,
            "install_date": dt.date(2025, 1, 1), "peak_w": meter_side_peak_w(kw, multiplier),
        }  # fmt: skip
        (spec,) = specs_from_meters([spec_row])
        clock = FixedClock(now)
        point = Point(no, r["tariff_group"] or None, kw, r["generation"] == "none")
        out.append(SimPoint(point, VirtualMeter(spec, clock), multiplier, clock))
    return out


def one_point(
    no: str, spec: MeterSpec, now: dt.datetime, multiplier: Decimal = Decimal(1)
) -> SimPoint:
    clock = FixedClock(now)
    return SimPoint(
        Point(no, "industry", Decimal("500")), VirtualMeter(spec, clock), multiplier, clock
    )


def records(sim: SimPoint, start: dt.datetime, end: dt.datetime) -> tuple[IntervalRecord, ...]:
    """The P.01 records of [start, end] as the meter answers them at ``end``."""
    sim.clock.set(end)
    return interval_records(sim.meter.profile(start, end))


def readout(
    sim: SimPoint, at: dt.datetime
) -> tuple[tuple[ReadValue, ...], bytes, dt.datetime | None]:
    """A readout at ``at``: the values, the bytes as sent, the meter's clock as it says."""
    sim.clock.set(at)
    data_sets = sim.meter.readout_data_sets()
    values = read_values(data_sets)
    raw = "\r\n".join(ds.to_text() for ds in data_sets).encode("ascii") + b"\r\n!\r\n"
    return values, raw, meter_clock(values, sim.meter.family.protocol)


def read_times(start: dt.datetime, end: dt.datetime, every: dt.timedelta) -> Iterator[dt.datetime]:
    at = start + dt.timedelta(minutes=7)
    while at < end:
        yield at
        at += every


def to_sample(sim: SimPoint, record: IntervalRecord, readout_id: int | None = None) -> Sample:
    v = record.values
    return Sample(
        sim.point.no, sim.meter.serial, record.end_at, readout_id, v.get("1.8.0"), v.get("2.8.0"),
        tuple(v[o] for o in PHASES_V) if PHASES_V[0] in v else (),
        tuple(v[o] for o in PHASES_A) if PHASES_A[0] in v else (),
        sim.multiplier,
    )  # fmt: skip


def inputs(
    fleet: Sequence[SimPoint], start: dt.datetime, end: dt.datetime, every: dt.timedelta
) -> Inputs:
    """Profiles over [start, end] and readouts every ``every``, as detector inputs."""
    reads: list[Read] = []
    samples: list[Sample] = []
    rid = 0
    for sim in fleet:
        samples.extend(to_sample(sim, r) for r in records(sim, start, end))
        for at in read_times(start, end, every):
            rid += 1
            values, _, meter_time = readout(sim, at)
            texts = {v.obis: v.value for v in values}
            numbers = {v.obis: v.number for v in values if v.number is not None}
            reads.append(
                Read(
                    rid,
                    sim.point.no,
                    sim.meter.serial,
                    at,
                    meter_time,
                    texts,
                    numbers,
                    sim.multiplier,
                )
            )
    samples.extend(readout_samples(reads))
    return Inputs(tuple(s.point for s in fleet), tuple(reads), tuple(samples))


@dataclass(frozen=True)
class Captured:
    """What the head-end would take from a meter over a range: readouts with their bytes, then
    the profile (simulated once, stored by any number of tests)."""

    readouts: tuple[tuple[dt.datetime, tuple[ReadValue, ...], bytes, dt.datetime | None], ...]
    records: tuple[IntervalRecord, ...]


def capture(sim: SimPoint, start: dt.datetime, end: dt.datetime, every: dt.timedelta) -> Captured:
    reads = tuple((at, *readout(sim, at)) for at in read_times(start, end, every))
    return Captured(reads, records(sim, start, end))


def store(session: Session, meter_id: int, captured: Captured) -> None:
    """The capture through the real ingest."""
    for at, values, raw, meter_time in captured.readouts:
        store_readout(
            session, meter_id=meter_id, read_at=at, raw=raw, values=values,
            source=ReadSource.HEADEND, identification=None, meter_time=meter_time,
        )  # fmt: skip
    store_profile(session, meter_id=meter_id, records=list(captured.records), readout_id=None)
    session.flush()


def local(text: str) -> dt.datetime:
    return parse_local(text)

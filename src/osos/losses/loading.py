"""The detectors' inputs from the store, in bulk: service points, readouts (only the registers
the detectors read), actual profile intervals and ended installations of a window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from osos.domain import DataSource, Generation
from osos.settings import LossLimits
from osos.store.models import Installation, Meter, Readout, ReadoutValue, ServicePoint
from osos.store.models import profile_intervals as pi

from .energy import MONOTONE
from .inputs import Inputs, Point, Read, Sample, Swap

PHASE_OBIS = ("32.7.0", "52.7.0", "72.7.0", "31.7.0", "51.7.0", "71.7.0")
READ_MARGIN = dt.timedelta(days=2)  # readouts after the period still tell of events in it


@dataclass(frozen=True)
class Placement:
    """A meter at a point for a time (an installation)."""

    meter_id: int
    serial: str
    point: str
    start: dt.datetime
    end: dt.datetime | None
    multiplier: Decimal

    def holds(self, at: dt.datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


def placements(session: Session) -> dict[int, list[Placement]]:
    query = (
        select(Installation, Meter.serial, ServicePoint.no)
        .join(Meter, Meter.id == Installation.meter_id)
        .join(ServicePoint, ServicePoint.id == Installation.service_point_id)
    )
    out: dict[int, list[Placement]] = {}
    for inst, serial, no in session.execute(query):
        out.setdefault(inst.meter_id, []).append(
            Placement(
                inst.meter_id, serial, no, inst.installed_at, inst.removed_at, inst.multiplier
            )
        )
    return out


def _where(places: dict[int, list[Placement]], meter_id: int, at: dt.datetime) -> Placement | None:
    return next((p for p in places.get(meter_id, ()) if p.holds(at)), None)


def load_points(session: Session) -> tuple[Point, ...]:
    rows = session.execute(
        select(ServicePoint.no, ServicePoint.tariff_group, ServicePoint.contract_power_kw,
               ServicePoint.generation).order_by(ServicePoint.no)
    )  # fmt: skip
    return tuple(
        Point(no, None if group is None else str(group.value), kw, generation is Generation.NONE)
        for no, group, kw, generation in rows
    )


def load_reads(
    session: Session, places: dict[int, list[Placement]], low: dt.datetime, high: dt.datetime
) -> tuple[Read, ...]:
    codes = (*MONOTONE, *PHASE_OBIS)
    query = (
        select(Readout.id, Readout.meter_id, Readout.read_at, Readout.meter_time,
               ReadoutValue.obis, ReadoutValue.value, ReadoutValue.number)
        .join(ReadoutValue, ReadoutValue.readout_id == Readout.id)
        .where(Readout.read_at >= low - READ_MARGIN, Readout.read_at < high + READ_MARGIN)
        .where(or_(ReadoutValue.obis.in_(codes), ReadoutValue.obis.like("96.7%"),
                   ReadoutValue.obis.like("P.98*%")))  # the event log's entries
        .order_by(Readout.read_at, Readout.id)
    )  # fmt: skip
    grouped: dict[
        int, tuple[Placement, dt.datetime, dt.datetime | None, dict[str, str], dict[str, Decimal]]
    ] = {}
    for rid, meter_id, read_at, meter_time, obis, value, number in session.execute(query):
        if rid not in grouped:
            place = _where(places, meter_id, read_at)
            if place is None:
                continue
            grouped[rid] = (place, read_at, meter_time, {}, {})
        grouped[rid][3][obis] = value
        if number is not None:
            grouped[rid][4][obis] = number
    return tuple(
        Read(rid, place.point, place.serial, read_at, meter_time, texts, numbers, place.multiplier)
        for rid, (place, read_at, meter_time, texts, numbers) in grouped.items()
    )


def _milli(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-3)


def load_samples(
    session: Session, places: dict[int, list[Placement]], low: dt.datetime, high: dt.datetime
) -> list[Sample]:
    c = pi.c
    phase_columns = [c.r32_7_0, c.r52_7_0, c.r72_7_0, c.r31_7_0, c.r51_7_0, c.r71_7_0]
    query = (
        select(c.meter_id, c.end_at, c.readout_id, c.r1_8_0, c.r2_8_0, *phase_columns)
        .where(c.end_at >= low, c.end_at < high, c.source == DataSource.ACTUAL.value)
        .order_by(c.meter_id, c.end_at)
    )
    out = []
    for meter_id, end, rid, imp, exp, *phases in session.execute(query):
        place = _where(places, meter_id, end)
        if place is None:
            continue
        volts = tuple(_milli(v) for v in phases[:3])
        amps = tuple(_milli(a) for a in phases[3:])
        out.append(
            Sample(
                place.point, place.serial, end, rid, _milli(imp), _milli(exp),
                volts if any(v is not None for v in volts) else (),
                amps if any(a is not None for a in amps) else (),
                place.multiplier,
            )
        )  # fmt: skip
    return out


def readout_samples(reads: Sequence[Read]) -> list[Sample]:
    """The instantaneous voltages and currents of readouts, as samples at their read time."""
    out = []
    for r in reads:
        volts = tuple(r.numbers.get(o) for o in PHASE_OBIS[:3])
        amps = tuple(r.numbers.get(o) for o in PHASE_OBIS[3:])
        if all(a is not None for a in amps) and all(v is not None for v in volts):
            out.append(
                Sample(r.point, r.meter, r.read_at, r.readout_id, volts=volts, amps=amps,
                       multiplier=r.multiplier, profile=False)
            )  # fmt: skip
    return out


def load_swaps(
    session: Session, places: dict[int, list[Placement]], low: dt.datetime, high: dt.datetime
) -> tuple[Swap, ...]:
    ended = (
        select(Installation, Meter.serial, ServicePoint.no)
        .join(Meter, Meter.id == Installation.meter_id)
        .join(ServicePoint, ServicePoint.id == Installation.service_point_id)
        .where(Installation.removed_at >= low, Installation.removed_at < high)
    )
    out = []
    for inst, serial, no in session.execute(ended):
        assert inst.removed_at is not None
        after = [
            p
            for ps in places.values()
            for p in ps
            if p.point == no
            and p.start >= inst.removed_at - dt.timedelta(days=1)
            and p.meter_id != inst.meter_id
        ]
        last = session.execute(
            select(Readout.id, ReadoutValue.number)
            .join(ReadoutValue, ReadoutValue.readout_id == Readout.id)
            .where(Readout.meter_id == inst.meter_id, Readout.read_at <= inst.removed_at,
                   ReadoutValue.obis == "1.8.0")
            .order_by(Readout.read_at.desc()).limit(1)
        ).first()  # fmt: skip
        out.append(
            Swap(no, serial, after[0].serial if after else None, inst.removed_at,
                 inst.removal_index, last[0] if last else None, last[1] if last else None)
        )  # fmt: skip
    return tuple(out)


def load_inputs(
    session: Session, low: dt.datetime, high: dt.datetime, limits: LossLimits
) -> Inputs:
    """What one run over [low, high) looks at, with the weeks of history the norms need."""
    places = placements(session)
    history = low - dt.timedelta(weeks=limits.drop_history_weeks, days=1)
    reads = load_reads(session, places, low, high)
    samples = [*load_samples(session, places, history, high), *readout_samples(reads)]
    return Inputs(
        load_points(session), reads, tuple(samples), load_swaps(session, places, low, high)
    )

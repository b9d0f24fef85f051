"""A stored past for service points, without the wire: 15-minute profile rows and daily
readouts as the head-end would have stored them, from a seeded generator.

The panel's tests build their worlds with it and the panel benchmark its month of data, so both
measure the same rows; the simulated fleet (:mod:`osos.simulator.fleet`) is the one that speaks
the protocol.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import DataSource, ReadSource
from osos.errors import NotFound
from osos.readings import IntervalRecord, ReadValue
from osos.store.ingest import store_readout
from osos.store.intervals import store_profile
from osos.store.models import Installation, Meter, ServicePoint
from osos.timeutil import QUARTER, UTC, quarter_floor, zone_of

MILLI = Decimal("0.001")


def meter_of(session: Session, no: str) -> Meter:
    """The meter installed last at service point ``no``."""
    meter = session.scalar(
        select(Meter)
        .join(Installation, Installation.meter_id == Meter.id)
        .join(ServicePoint, ServicePoint.id == Installation.service_point_id)
        .where(ServicePoint.no == no)
        .order_by(Installation.installed_at.desc())
    )
    if meter is None:
        raise NotFound(f"no meter installed at service point {no}")
    return meter


def generate(
    session: Session,
    no: str,
    *,
    days: int,
    end: dt.datetime,
    seed: int = 1,
    gaps: tuple[int, ...] = (),
    estimated: tuple[int, ...] = (),
) -> dt.datetime:
    """``days`` of 15-minute rows up to the quarter of ``end``, with a daily readout; returns end.

    ``gaps`` are interval numbers (from the end, 1 = last) left out; ``estimated`` ones are
    stored as estimates.
    """
    rng = random.Random(seed)
    meter = meter_of(session, no)
    end = quarter_floor(end)
    count = days * 96
    start = end - QUARTER * count
    idx = {o: Decimal(rng.randint(1000, 90000)) for o in ("1.8.0", "2.8.0", "5.8.0", "8.8.0")}
    tariffs = {"1.8.1": idx["1.8.0"] * Decimal("0.5"), "1.8.2": idx["1.8.0"] * Decimal("0.2")}
    tariffs["1.8.3"] = idx["1.8.0"] - tariffs["1.8.1"] - tariffs["1.8.2"]
    actual: list[IntervalRecord] = []
    estimates: list[IntervalRecord] = []
    readouts: list[tuple[dt.datetime, dict[str, Decimal]]] = []
    for k in range(count + 1):
        at = start + QUARTER * k
        if k:
            hour = (at.hour + 3) % 24
            active = Decimal(rng.randint(20, 120) if 6 <= hour < 22 else rng.randint(5, 40))
            active = (active * MILLI).quantize(MILLI)
            idx["1.8.0"] += active
            tariffs[zone_of(at - QUARTER)] += active
            idx["2.8.0"] += Decimal(rng.randint(0, 2)) * MILLI
            idx["5.8.0"] += (active * Decimal(rng.randint(5, 30)) / 100).quantize(MILLI)
            idx["8.8.0"] += (active * Decimal(rng.randint(0, 12)) / 100).quantize(MILLI)
        values = {**idx, **tariffs}
        values["1.6.0"] = Decimal(rng.randint(50, 480)) * MILLI
        for obis, base in (("32.7.0", 230), ("52.7.0", 231), ("72.7.0", 229)):
            values[obis] = Decimal(base) + Decimal(rng.randint(-300, 300)) / 100
        for obis in ("31.7.0", "51.7.0", "71.7.0"):
            values[obis] = Decimal(rng.randint(50, 900)) / 100
        from_end = count - k + 1
        if from_end in gaps:
            continue
        record = IntervalRecord(at, dict(values), status="00")
        (estimates if from_end in estimated else actual).append(record)
        if (at.astimezone(UTC).hour == 4 and at.minute == 0) or k == count:
            readouts.append((at + dt.timedelta(minutes=3), dict(values)))
    store_profile(session, meter_id=meter.id, records=actual, readout_id=None)
    if estimates:
        store_profile(
            session,
            meter_id=meter.id,
            records=estimates,
            readout_id=None,
            source=DataSource.ESTIMATED,
        )
    for read_at, values in readouts:
        lines = [
            ReadValue(address="0.0.0", value=meter.serial),
            *(
                ReadValue(address=o, value=f"{values[o]:.3f}", number=values[o], unit=u)
                for o, u in (
                    ("1.8.0", "kWh"),
                    ("1.8.1", "kWh"),
                    ("1.8.2", "kWh"),
                    ("1.8.3", "kWh"),
                    ("2.8.0", "kWh"),
                    ("5.8.0", "kvarh"),
                    ("8.8.0", "kvarh"),
                )
            ),
            ReadValue(
                address="1.6.0",
                value=f"{values['1.6.0']:.3f}",
                number=values["1.6.0"],
                unit="kW",
                value_time=read_at - dt.timedelta(hours=5),
            ),
            # an event register that only looks like a number (as Makel meters send it)
            ReadValue(
                address="96.50",
                value="06001700220099999999999999999999",
                number=Decimal("6001700220099999999999999999999"),
            ),
        ]
        raw = "\r\n".join(f"{v.address}({v.value})" for v in lines).encode()
        store_readout(
            session,
            meter_id=meter.id,
            read_at=read_at,
            raw=raw,
            values=lines,
            source=ReadSource.HEADEND,
            identification=f"/{meter.flag}5{meter.serial}",
        )
    session.flush()
    return end

"""Estimates for the intervals not yet read when a delivery's deadline comes.

A delivery goes out only complete, so one unread meter would make it late. Before the deadline
the missing intervals at the end of the data are estimated — each interval as the point's own
earlier weeks had it (same weekday and time), else as similar points (same tariff group,
contract power within a band) consume at that time, scaled by contract power — stored with
``source=estimated`` and flagged wherever they are shown. An actual read replaces them later
(the store keeps the estimate in the history), which queues a correction of the delivery.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import audit
from osos.domain import DataSource
from osos.mdm import loading
from osos.mdm.determinants import mark_dirty
from osos.mdm.estimate import SHAPE_WEEKS, WEEK, extrapolate, slot_increment
from osos.mdm.model import INTERVAL, REGISTERS, ProfileSeries
from osos.readings import IntervalRecord
from osos.store.intervals import store_profile
from osos.store.models import Installation, Meter, ServicePoint
from osos.timeutil import quarter_floor

SIMILAR_POINTS = 20
POWER_BAND = Decimal("0.5")  # similar: contract power within ±50 %


def _last_actual(series: ProfileSeries, obis: str, until: dt.datetime) -> tuple[dt.datetime, int]:
    """The newest actual (or edited) value of ``obis`` at or before ``until``."""
    column = series.columns.get(obis)
    if column is None:
        raise LookupError(obis)
    for i in range(len(series) - 1, -1, -1):
        value = column[i]
        if series.ends[i] <= until and value is not None and series.sources[i] != "estimated":
            return series.ends[i], value
    raise LookupError(obis)


def _similar_meters(session: Session, sp: ServicePoint, meter_id: int) -> list[tuple[int, Decimal]]:
    """Meters of service points like this one, with their contract power."""
    if sp.tariff_group is None or not sp.contract_power_kw:
        return []
    low, high = sp.contract_power_kw * (1 - POWER_BAND), sp.contract_power_kw * (1 + POWER_BAND)
    rows = session.execute(
        select(Installation.meter_id, ServicePoint.contract_power_kw)
        .join(ServicePoint, ServicePoint.id == Installation.service_point_id)
        .where(
            ServicePoint.tariff_group == sp.tariff_group,
            ServicePoint.id != sp.id,
            Installation.removed_at.is_(None),
            Installation.meter_id != meter_id,
        )
        .limit(SIMILAR_POINTS * 5)
    ).all()
    found = [(m, p) for m, p in rows if p is not None and low <= p <= high]
    return found[:SIMILAR_POINTS]


def similar_consumption(
    session: Session, sp: ServicePoint, meter_id: int, ends: list[dt.datetime]
) -> dict[dt.datetime, int] | None:
    """1.8.0 per interval end as similar points consumed then (or in their earlier weeks),
    scaled by this point's contract power; None when there are no similar points."""
    similar = _similar_meters(session, sp, meter_id)
    if not similar or not ends or not sp.contract_power_kw:
        return None
    start = ends[0] - SHAPE_WEEKS * WEEK - INTERVAL
    series = loading.profile_series(session, [m for m, _ in similar], start, ends[-1])
    result: dict[dt.datetime, int] = {}
    for end in ends:
        per_kw: list[Decimal] = []
        for other, power in similar:
            s = series[other]
            i, j = s.position(end), s.position(end - INTERVAL)
            col = s.columns.get("1.8.0")
            a = col[i] if col is not None and i is not None else None
            b = col[j] if col is not None and j is not None else None
            step = a - b if a is not None and b is not None else slot_increment(s, "1.8.0", end)
            if step is not None and step >= 0:
                per_kw.append(Decimal(step) / power)
        if per_kw:
            result[end] = int(sum(per_kw, Decimal(0)) / len(per_kw) * sp.contract_power_kw)
    return result or None


def _records(
    session: Session, sp: ServicePoint, meter_id: int, until: dt.datetime
) -> list[IntervalRecord]:
    series = loading.profile_series(session, [meter_id], until - (SHAPE_WEEKS + 1) * WEEK, until)[
        meter_id
    ]
    try:
        last_end, _ = _last_actual(series, "1.8.0", until)
    except LookupError:
        return []
    ends = []
    t = last_end + INTERVAL
    while t <= until:
        ends.append(t)
        t += INTERVAL
    if not ends:
        return []
    values: dict[dt.datetime, dict[str, Decimal]] = {e: {} for e in ends}
    for obis in REGISTERS:
        try:
            end0, value0 = _last_actual(series, obis, until)
        except LookupError:
            continue
        if end0 != last_end:
            continue  # this register's data ends elsewhere: left alone
        similar = similar_consumption(session, sp, meter_id, ends) if obis == "1.8.0" else None
        column = extrapolate(series, obis, value0, ends, similar)
        if column is None:
            if obis == "1.8.0":
                return []  # without the active energy there is nothing to deliver
            continue
        for end, value in zip(ends, column, strict=True):
            values[end][obis] = Decimal(value).scaleb(-3)
    return [IntervalRecord(end, values[end]) for end in ends]


def estimate_until(
    session: Session,
    service_point_id: int,
    until: dt.datetime,
    *,
    actor: str = "delivery-estimate",
) -> int:
    """Estimate the unread intervals of the service point's current meter up to ``until``;
    returns how many were stored."""
    sp = session.get(ServicePoint, service_point_id)
    if sp is None:
        return 0
    until = quarter_floor(until)
    stored = 0
    for inst in sp.installations:
        if inst.removed_at is not None and inst.removed_at < until:
            continue
        meter = session.get(Meter, inst.meter_id)
        records = _records(session, sp, inst.meter_id, until)
        if meter is None or not records:
            continue
        result = store_profile(
            session,
            meter_id=inst.meter_id,
            records=records,
            readout_id=None,
            source=DataSource.ESTIMATED,
            actor=actor,
        )
        stored += result.inserted
        mark_dirty(session, inst.meter_id, records[0].end_at - INTERVAL, records[-1].end_at)
        audit.record(
            session,
            actor=actor,
            action="mdm.estimate",
            object_type="meter",
            object_id=meter.serial,
            detail={
                "intervals": result.inserted,
                "from": records[0].end_at.isoformat(),
                "to": records[-1].end_at.isoformat(),
                "reason": "delivery deadline",
            },
        )
    return stored

"""Month-end indexes (the value at 00:00 on day 1, shown as the last day 23:59:59) and the
latest read, with the consumption between them (Endeks Bilgileri)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.mdm import loading
from osos.mdm.billing import segment_tariffs
from osos.mdm.indexes import index_at
from osos.mdm.model import (
    INTERVAL,
    REGISTERS,
    TARIFF_REGISTERS,
    InstallationSpan,
    MeterData,
    sum_or_none,
)
from osos.mdm.months import meters_of, service_point
from osos.mdm.segments import build_segments
from osos.store.models import ReadoutValue, profile_intervals
from osos.timeutil import local_iso, month_start_before, next_month_start, period_of


@dataclass(frozen=True)
class MonthEndIndex:
    """A month-end (shown as the last day 23:59:59) or the latest read, per register.

    ``consumption`` is since the previous entry, after the multiplier (None for the first);
    ``meter_changed`` says a meter or multiplier change lies between them.
    """

    kind: Literal["month_end", "latest"]
    at: dt.datetime
    label: str
    period: str | None
    meter_serial: str | None
    multiplier: Decimal | None
    indexes: Mapping[str, Decimal | None]
    estimated: frozenset[str]
    origins: Mapping[str, str]
    consumption: Mapping[str, Decimal | None]
    meter_changed: bool

    @property
    def is_estimate(self) -> bool:
        return bool(self.estimated)


def _latest_read(
    session: Session, meter_ids: Sequence[int], now: dt.datetime
) -> dt.datetime | None:
    table = profile_intervals
    profile = session.execute(
        select(func.max(table.c.end_at)).where(
            table.c.meter_id.in_(meter_ids), table.c.end_at <= now, table.c.source != "estimated"
        )
    ).scalar_one_or_none()
    readout = session.execute(
        select(func.max(ReadoutValue.read_at)).where(
            ReadoutValue.meter_id.in_(meter_ids),
            ReadoutValue.read_at <= now,
            ReadoutValue.obis == "1.8.0",
        )
    ).scalar_one_or_none()
    times = [t for t in (loading.as_utc(profile), loading.as_utc(readout)) if t is not None]
    return max(times, default=None)


def month_end_indexes(
    session: Session, service_point_id: int, months: int = 3, *, now: dt.datetime
) -> list[MonthEndIndex]:
    """The last ``months`` month-ends and the latest read, oldest first."""
    service_point(session, service_point_id)
    instants = [month_start_before(now, k) for k in range(months - 1, -1, -1)]
    first = instants[0]
    spans = loading.installation_spans(session, [service_point_id], first, now)[service_point_id]
    meter_ids = sorted(meters_of(spans))
    latest = _latest_read(session, meter_ids, now) if meter_ids else None
    points: list[tuple[Literal["month_end", "latest"], dt.datetime]] = [
        ("month_end", t) for t in instants
    ]
    if latest is not None and latest > instants[-1]:
        points.append(("latest", latest))
    window_end = max(now, next_month_start(instants[-1]))
    meters = loading.meter_data(session, meters_of(spans), first, window_end)
    result: list[MonthEndIndex] = []
    previous: dt.datetime | None = None
    for kind, at in points:
        span = _span_at(spans, at)
        indexes, origins, estimated = _indexes(span, meters, at)
        consumption, changed = _consumption(spans, meters, previous, at)
        label = local_iso(at - dt.timedelta(seconds=1) if kind == "month_end" else at)
        assert label is not None
        result.append(
            MonthEndIndex(
                kind=kind,
                at=at,
                label=label,
                period=period_of(month_start_before(at - INTERVAL))
                if kind == "month_end"
                else None,
                meter_serial=None if span is None else span.meter_serial,
                multiplier=None if span is None else span.multiplier,
                indexes=indexes,
                estimated=frozenset(estimated),
                origins=origins,
                consumption=consumption,
                meter_changed=changed,
            )
        )
        previous = at
    return result


def _span_at(spans: Sequence[InstallationSpan], at: dt.datetime) -> InstallationSpan | None:
    """The installation whose meter shows the index at ``at`` (a removal index belongs to the
    meter removed then)."""
    return next(
        (s for s in spans if s.installed_at < at and (s.removed_at is None or s.removed_at >= at)),
        None,
    )


def _indexes(
    span: InstallationSpan | None, meters: Mapping[int, MeterData], at: dt.datetime
) -> tuple[dict[str, Decimal | None], dict[str, str], set[str]]:
    """Each register's index at ``at``, where it came from, and which are estimates."""
    indexes: dict[str, Decimal | None] = dict.fromkeys(REGISTERS)
    origins: dict[str, str] = {}
    estimated: set[str] = set()
    if span is None:
        return indexes, origins, estimated
    meter = meters[span.meter_id]
    for obis in REGISTERS:
        if span.removed_at == at and obis in span.removal_index:
            indexes[obis] = Decimal(span.removal_index[obis]).scaleb(-3)
            origins[obis] = "removal"
            continue
        value = index_at(meter, at, obis)
        if value is not None:
            indexes[obis] = value.decimal
            origins[obis] = value.origin
            if value.estimated:
                estimated.add(obis)
    return indexes, origins, estimated


def _consumption(
    spans: Sequence[InstallationSpan],
    meters: Mapping[int, MeterData],
    previous: dt.datetime | None,
    at: dt.datetime,
) -> tuple[dict[str, Decimal | None], bool]:
    """Consumption per register since the previous point (by segment), and whether a meter or
    multiplier changed in between."""
    consumption: dict[str, Decimal | None] = dict.fromkeys(REGISTERS)
    if previous is None:
        return consumption, False
    segments = build_segments(spans, meters, previous, at, REGISTERS)
    for obis in REGISTERS:
        if obis not in TARIFF_REGISTERS:
            consumption[obis] = sum_or_none([s.consumption(obis) for s in segments])
    tariffs = [segment_tariffs(s, meters[s.span.meter_id])[0] for s in segments]
    for obis in TARIFF_REGISTERS:
        consumption[obis] = sum_or_none([None if t is None else t[obis] for t in tariffs])
    return consumption, len(segments) > 1

"""What the panel, the sharing layer and the CLI ask the MDM: load in bulk, compute purely.

Each function reads what it needs with one query per table (see :mod:`osos.mdm.loading`) and
hands frozen values to the pure modules (billing, segments, tariff, reactive, demand).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.domain import TariffGroup
from osos.errors import InvalidInput, NotFound
from osos.mdm import loading
from osos.mdm.billing import MonthInput, MonthlyReport, compute_month, segment_tariffs
from osos.mdm.indexes import index_at
from osos.mdm.model import (
    INTERVAL,
    REGISTERS,
    TARIFF_REGISTERS,
    InstallationSpan,
    MeterData,
    month_start_before,
    next_month_start,
    period_of,
)
from osos.mdm.segments import build_segments, spans_in
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.store.models import ReadoutValue, ServicePoint, profile_intervals
from osos.timeutil import local_iso, month_bounds

__all__ = [
    "ConsumptionInterval",
    "MonthEndIndex",
    "MonthlyReport",
    "interval_consumption",
    "month_end_indexes",
    "monthly_all",
    "monthly_history",
    "monthly_report",
    "parse_period",
]

EXEMPT_POWER_KW = Decimal("9")


def parse_period(period: str) -> tuple[dt.datetime, dt.datetime]:
    """'YYYY-MM' → (start, end) UTC; ValueError naming the bad text otherwise."""
    text = period.strip()
    if len(text) != 7 or text[4] != "-":
        raise InvalidInput(f"period must be YYYY-MM, got {period!r}")
    start, end = month_bounds(text)
    return start, end


def reactive_exempt(sp: ServicePoint) -> bool:
    """Residential and lighting tariffs and connections up to 9 kW are exempt (DOMAIN.md)."""
    if sp.tariff_group in (TariffGroup.RESIDENCE, TariffGroup.LIGHTING):
        return True
    return sp.contract_power_kw is not None and sp.contract_power_kw <= EXEMPT_POWER_KW


def service_point_by_no(session: Session, no: str) -> ServicePoint:
    sp = session.execute(select(ServicePoint).where(ServicePoint.no == no)).scalar_one_or_none()
    if sp is None:
        raise NotFound(f"unknown service point {no!r}")
    return sp


def _service_point(session: Session, service_point_id: int) -> ServicePoint:
    sp = session.get(ServicePoint, service_point_id)
    if sp is None:
        raise NotFound(f"unknown service point id {service_point_id}")
    return sp


def _meters(spans: Sequence[InstallationSpan]) -> dict[int, str]:
    return {s.meter_id: s.meter_serial for s in spans}


def month_input(
    sp: ServicePoint,
    period: str,
    start: dt.datetime,
    end: dt.datetime,
    spans: Sequence[InstallationSpan],
    meters: Mapping[int, MeterData],
) -> MonthInput:
    return MonthInput(
        service_point_no=sp.no,
        period=period,
        start=start,
        end=end,
        spans=tuple(spans),
        meters=meters,
        installed_power_kva=sp.installed_power_kva,
        reactive_exempt=reactive_exempt(sp),
    )


def compute_for(
    session: Session, sp: ServicePoint, period: str, settings: Settings
) -> MonthlyReport:
    start, end = parse_period(period)
    spans = loading.installation_spans(session, [sp.id], start, end)[sp.id]
    meters = loading.meter_data(session, _meters(spans), start, end)
    return compute_month(month_input(sp, period, start, end, spans, meters), settings.reactive)


def monthly_report(
    session: Session, service_point_no: str, period: str, settings: Settings
) -> MonthlyReport:
    """The billing determinants of one service point and month (stored as a side effect).

    Raises NotFound for an unknown service point and ValueError for a bad period.
    """
    from osos.mdm import determinants

    parse_period(period)
    sp = service_point_by_no(session, service_point_no)
    report = compute_for(session, sp, period, settings)
    determinants.store(session, sp.id, report)
    return report


def monthly_history(
    session: Session,
    service_point_id: int,
    months: int,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
) -> list[MonthlyReport]:
    """The last ``months`` complete months, oldest first (ratios and max demand per month)."""
    sp = _service_point(session, service_point_id)
    now = now or db_now(session)
    periods = [period_of(month_start_before(now, k)) for k in range(months, 0, -1)]
    return [compute_for(session, sp, p, settings) for p in periods]


# --------------------------------------------------------------------------------------------
# Interval consumption (YKP Listesi, settlement deliveries)


@dataclass(frozen=True)
class ConsumptionInterval:
    """One interval of a service point: consumption after the multiplier, raw indexes at its
    end, and where the values came from. Missing intervals have None values."""

    start: dt.datetime
    end: dt.datetime
    withdrawal_kwh: Decimal | None
    supply_kwh: Decimal | None
    inductive_kvarh: Decimal | None
    capacitive_kvarh: Decimal | None
    indexes: Mapping[str, Decimal]
    multiplier: Decimal
    meter_serial: str
    source: Literal["actual", "estimated", "edited", "missing"]


FLOWS: tuple[tuple[str, str], ...] = (
    ("withdrawal_kwh", "1.8.0"),
    ("supply_kwh", "2.8.0"),
    ("inductive_kvarh", "5.8.0"),
    ("capacitive_kvarh", "8.8.0"),
)
_RANK = {"actual": 0, "edited": 1, "estimated": 2, "missing": 3}


def _worst(sources: Sequence[str]) -> Literal["actual", "estimated", "edited", "missing"]:
    worst = max(sources, key=_RANK.__getitem__)
    assert worst in ("actual", "estimated", "edited", "missing")
    return worst  # type: ignore[return-value]


def quarter_intervals(
    spans: Sequence[InstallationSpan],
    meters: Mapping[int, MeterData],
    start: dt.datetime,
    end: dt.datetime,
) -> list[ConsumptionInterval]:
    """Every 15-minute interval of ``[start, end)`` (pure): each uses its own meter's rows."""
    result: list[ConsumptionInterval] = []
    parts = spans_in(spans, start, end)
    t = start
    k = 0
    while t < end:
        e = t + INTERVAL
        while k < len(parts) and parts[k][2] <= t:
            k += 1
        if k >= len(parts) or parts[k][1] > t:
            result.append(
                ConsumptionInterval(t, e, None, None, None, None, {}, Decimal(0), "", "missing")
            )
            t = e
            continue
        span = parts[k][0]
        meter = meters[span.meter_id]
        profile = meter.profile
        i = profile.position(e)
        j = profile.position(t)
        indexes: dict[str, Decimal] = {}
        values: dict[str, Decimal | None] = {}
        sources = ["missing"] if i is None else [profile.sources[i]]
        if i is not None:
            for obis in REGISTERS:
                column = profile.columns.get(obis)
                v = None if column is None else column[i]
                if v is not None:
                    indexes[obis] = Decimal(v).scaleb(-3)
        for name, obis in FLOWS:
            column = profile.columns.get(obis)
            cur = None if column is None or i is None else column[i]
            prev: int | None = None
            if t == span.installed_at and obis in span.install_index:
                prev = span.install_index[obis]
            elif column is not None and j is not None:
                prev = column[j]
                sources.append(profile.sources[j])
            values[name] = (
                None
                if cur is None or prev is None
                else Decimal(cur - prev).scaleb(-3) * span.multiplier
            )
        source = "missing" if values["withdrawal_kwh"] is None else _worst(sources)
        if source == "missing":
            values = dict.fromkeys(values)
        result.append(
            ConsumptionInterval(
                t,
                e,
                values["withdrawal_kwh"],
                values["supply_kwh"],
                values["inductive_kvarh"],
                values["capacitive_kvarh"],
                indexes,
                span.multiplier,
                span.meter_serial,
                _worst([source]),
            )
        )
        t = e
    return result


def _sum_or_none(values: Sequence[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def aggregate(quarters: Sequence[ConsumptionInterval], size: int) -> list[ConsumptionInterval]:
    """Groups of ``size`` quarters: estimated if any quarter is, missing if all are."""
    result = []
    for k in range(0, len(quarters), size):
        group = quarters[k : k + size]
        present = [q for q in group if q.source != "missing"]
        last = group[-1]
        if not present:
            result.append(
                ConsumptionInterval(
                    group[0].start, last.end, None, None, None, None, {}, last.multiplier,
                    last.meter_serial, "missing",
                )
            )  # fmt: skip
            continue
        complete = len(present) == len(group)
        sums = {
            name: (_sum_or_none([getattr(q, name) for q in group]) if complete else None)
            for name, _ in FLOWS
        }
        # A partly missing group has no honest total: its values stay None, marked missing.
        source = _worst([q.source for q in present]) if complete else "missing"
        tail = present[-1]
        result.append(
            ConsumptionInterval(
                group[0].start,
                last.end,
                sums["withdrawal_kwh"],
                sums["supply_kwh"],
                sums["inductive_kvarh"],
                sums["capacitive_kvarh"],
                last.indexes or tail.indexes,
                tail.multiplier,
                tail.meter_serial,
                source,
            )
        )
    return result


def interval_consumption(
    session: Session,
    service_point_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    minutes: int = 15,
) -> list[ConsumptionInterval]:
    """Every interval of ``[start, end)`` (gaps as ``source="missing"``), after the multiplier,
    across meter changes; ``minutes`` a multiple of 15 aggregates quarters (e.g. 60: hourly)."""
    if minutes % 15 or minutes <= 0:
        raise InvalidInput(f"minutes must be a positive multiple of 15, got {minutes}")
    _service_point(session, service_point_id)
    spans = loading.installation_spans(session, [service_point_id], start, end)[service_point_id]
    profiles = loading.profile_series(session, _meters(spans), start - INTERVAL, end)
    meters = {
        m: MeterData(m, serial, profiles.get(m) or MeterData(m, serial).profile)
        for m, serial in _meters(spans).items()
    }
    quarters = quarter_intervals(spans, meters, start, end)
    return quarters if minutes == 15 else aggregate(quarters, minutes // 15)


# --------------------------------------------------------------------------------------------
# Month-end indexes (Endeks Bilgileri)


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
    _service_point(session, service_point_id)
    instants = [month_start_before(now, k) for k in range(months - 1, -1, -1)]
    first = instants[0]
    spans = loading.installation_spans(session, [service_point_id], first, now)[service_point_id]
    meter_ids = sorted(_meters(spans))
    latest = _latest_read(session, meter_ids, now) if meter_ids else None
    points: list[tuple[Literal["month_end", "latest"], dt.datetime]] = [
        ("month_end", t) for t in instants
    ]
    if latest is not None and latest > instants[-1]:
        points.append(("latest", latest))
    window_end = max(now, next_month_start(instants[-1]))
    meters = loading.meter_data(session, _meters(spans), first, window_end)
    result: list[MonthEndIndex] = []
    previous: dt.datetime | None = None
    for kind, at in points:
        span = next(
            (
                s
                for s in spans
                if s.installed_at < at and (s.removed_at is None or s.removed_at >= at)
            ),
            None,
        )
        indexes: dict[str, Decimal | None] = dict.fromkeys(REGISTERS)
        origins: dict[str, str] = {}
        estimated: set[str] = set()
        if span is not None:
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
        consumption: dict[str, Decimal | None] = dict.fromkeys(REGISTERS)
        changed = False
        if previous is not None:
            segments = build_segments(spans, meters, previous, at, REGISTERS)
            changed = len(segments) > 1
            for obis in REGISTERS:
                if obis in TARIFF_REGISTERS:
                    continue
                consumption[obis] = _sum_or_none([s.consumption(obis) for s in segments])
            tariffs = [segment_tariffs(s, meters[s.span.meter_id])[0] for s in segments]
            for obis in TARIFF_REGISTERS:
                consumption[obis] = _sum_or_none([None if t is None else t[obis] for t in tariffs])
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


def monthly_all(
    session: Session,
    period: str,
    settings: Settings,
    *,
    chunk: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[MonthlyReport]:
    """Every service point's month, read in bulk per chunk of service points (one query per
    table per chunk) so memory stays bounded while the database does few round trips."""
    start, end = parse_period(period)
    sps = list(session.execute(select(ServicePoint).order_by(ServicePoint.no)).scalars())
    for k in range(0, len(sps), chunk):
        part = sps[k : k + chunk]
        spans = loading.installation_spans(session, [sp.id for sp in part], start, end)
        serials: dict[int, str] = {}
        for sp_spans in spans.values():
            serials.update(_meters(sp_spans))
        meters = loading.meter_data(session, serials, start, end)
        for sp in part:
            yield compute_month(
                month_input(sp, period, start, end, spans[sp.id], meters),
                settings.reactive,
            )
        if progress is not None:
            progress(min(k + chunk, len(sps)), len(sps))

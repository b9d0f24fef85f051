"""Consumption per interval of a service point (YKP Listesi, settlement deliveries): quarters
from the profile after the multiplier, aggregated to hours or days with the worst source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from osos.errors import InvalidInput
from osos.mdm import loading
from osos.mdm.model import (
    INTERVAL,
    REGISTERS,
    InstallationSpan,
    MeterData,
    ProfileSeries,
    sum_or_none,
)
from osos.mdm.months import meters_of, service_point
from osos.mdm.segments import spans_in


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
        result.append(_quarter(span, meters[span.meter_id], t, e))
        t = e
    return result


def _quarter(
    span: InstallationSpan, meter: MeterData, t: dt.datetime, e: dt.datetime
) -> ConsumptionInterval:
    """The interval ``[t, e)`` of one installation: index differences × its multiplier (from
    its installation index in its first interval), the worst source of the two rows used."""
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
    return ConsumptionInterval(
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
            name: (sum_or_none([getattr(q, name) for q in group]) if complete else None)
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


def withdrawal_total(
    spans: Sequence[InstallationSpan],
    meters: Mapping[int, MeterData],
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[Decimal, int]:
    """The withdrawal of ``[start, end)`` and the number of quarters that have one (pure): the
    same figures as ``totals(quarter_intervals(…))`` without an interval object per quarter."""
    total, count = Decimal(0), 0
    parts = spans_in(spans, start, end)
    t = start
    k = 0
    while t < end:
        e = t + INTERVAL
        while k < len(parts) and parts[k][2] <= t:
            k += 1
        if k < len(parts) and parts[k][1] <= t:
            value = _withdrawal(parts[k][0], meters[parts[k][0].meter_id].profile, t, e)
            if value is not None:
                total += value or Decimal(0)
                count += 1
        t = e
    return total, count


def _withdrawal(
    span: InstallationSpan, profile: ProfileSeries, t: dt.datetime, e: dt.datetime
) -> Decimal | None:
    """The withdrawal of ``[t, e)`` exactly as :func:`_quarter` computes it."""
    obis = "1.8.0"
    column = profile.columns.get(obis)
    if column is None:
        return None
    i = profile.position(e)
    cur = None if i is None else column[i]
    if cur is None:
        return None
    prev: int | None = None
    if t == span.installed_at and obis in span.install_index:
        prev = span.install_index[obis]
    else:
        j = profile.position(t)
        prev = None if j is None else column[j]
    return None if prev is None else Decimal(cur - prev).scaleb(-3) * span.multiplier


def check_minutes(minutes: int) -> None:
    if minutes % 15 or minutes <= 0:
        raise InvalidInput(f"minutes must be a positive multiple of 15, got {minutes}")


def consumption_of(
    spans: Sequence[InstallationSpan],
    meters: Mapping[int, MeterData],
    start: dt.datetime,
    end: dt.datetime,
    minutes: int = 15,
) -> list[ConsumptionInterval]:
    """:func:`interval_consumption` over loaded installations and profiles (pure)."""
    check_minutes(minutes)
    quarters = quarter_intervals(spans, meters, start, end)
    return quarters if minutes == 15 else aggregate(quarters, minutes // 15)


def point_data(
    session: Session, service_point_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[list[InstallationSpan], dict[int, MeterData]]:
    """The installations of ``[start, end]`` and their meters' profiles (one query each): what
    :func:`consumption_of` and :func:`withdrawal_total` need for any range inside it."""
    spans = loading.installation_spans(session, [service_point_id], start, end)[service_point_id]
    return spans, meter_profiles(session, spans, start, end)


def meter_profiles(
    session: Session, spans: Sequence[InstallationSpan], start: dt.datetime, end: dt.datetime
) -> dict[int, MeterData]:
    """The profiles of the installations' meters for the intervals of ``[start, end)``."""
    profiles = loading.profile_series(session, meters_of(spans), start - INTERVAL, end)
    return {
        m: MeterData(m, serial, profiles.get(m) or MeterData(m, serial).profile)
        for m, serial in meters_of(spans).items()
    }


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
    check_minutes(minutes)
    service_point(session, service_point_id)
    spans, meters = point_data(session, service_point_id, start, end)
    return consumption_of(spans, meters, start, end, minutes)


# --------------------------------------------------------------------------------------------
# Month-end indexes (Endeks Bilgileri)

"""Billing determinants of one service point and month, from frozen inputs only.

Consumption per register is the sum over segments of (end index − start index) × multiplier.
T1/T2/T3 come from the meter's tariff registers when both ends were read, else from the
15-minute profile summed by tariff zone (anchored at the segment's 1.8.0 indexes, so the zones
add up to the total exactly). Every estimated input makes the month ``estimated``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from osos.mdm import demand, reactive, tariff
from osos.mdm.estimate import distribute, interval_deltas
from osos.mdm.model import (
    REGISTERS,
    TARIFF_REGISTERS,
    Demand,
    IndexValue,
    InstallationSpan,
    MeterData,
    plain,
)
from osos.mdm.segments import Segment, build_segments
from osos.settings import ReactiveLimits
from osos.timeutil import ZONES, local_iso

SECOND = dt.timedelta(seconds=1)

#: (consumption per tariff register after the multiplier, origin, estimated) of one segment.
TariffSplit = tuple[dict[str, Decimal] | None, str, bool]
SegmentTariffs = Callable[["Segment", MeterData], TariffSplit]
#: The raw demand of one meter over ``[start, end)`` of the period ending at the last argument.
SegmentDemand = Callable[
    [MeterData, str, dt.datetime, dt.datetime, dt.datetime], "demand.RawDemand | None"
]


@dataclass(frozen=True)
class MonthInput:
    service_point_no: str
    period: str
    start: dt.datetime
    end: dt.datetime
    spans: tuple[InstallationSpan, ...]
    meters: Mapping[int, MeterData]
    installed_power_kva: Decimal | None = None
    reactive_exempt: bool = False


@dataclass(frozen=True)
class MonthlyReport:
    """The determinants of a month; :meth:`to_json` is the documented interchange shape."""

    service_point: str
    period: str
    start: dt.datetime
    end: dt.datetime
    estimated: bool
    segments: tuple[Segment, ...]
    month_end_index: Mapping[str, IndexValue | None]
    consumption: Mapping[str, Decimal | None]
    tariff_origin: str  # registers | profile | mixed | none
    reactive: reactive.ReactiveResult
    max_demand: Mapping[str, Demand | None]
    estimated_registers: frozenset[str] = field(default_factory=frozenset)

    @property
    def month_end_label(self) -> str | None:
        """The month-end instant as users see it: the last day 23:59:59 local."""
        return local_iso(self.end - SECOND)

    def to_json(self) -> dict[str, Any]:
        r = self.reactive
        return {
            "service_point": self.service_point,
            "period": self.period,
            "estimated": self.estimated,
            "segments": [
                {
                    "meter_serial": s.meter_serial,
                    "multiplier": plain(s.multiplier),
                    "from": local_iso(s.start),
                    "to": local_iso(s.end),
                    "start_index": {o: _text(s.start_index.get(o)) for o in REGISTERS},
                    "end_index": {o: _text(s.end_index.get(o)) for o in REGISTERS},
                }
                for s in self.segments
            ],
            "month_end_index": {o: _text(self.month_end_index.get(o)) for o in REGISTERS},
            "consumption": {o: _dec(self.consumption.get(o)) for o in REGISTERS},
            "inductive_ratio": _dec(r.inductive_ratio),
            "capacitive_ratio": _dec(r.capacitive_ratio),
            "inductive_limit": _dec(r.inductive_limit),
            "capacitive_limit": _dec(r.capacitive_limit),
            "inductive_exceeded": r.inductive_exceeded,
            "capacitive_exceeded": r.capacitive_exceeded,
            "max_demand": {
                o: (None if d is None else d.to_json()) for o, d in self.max_demand.items()
            },
        }


def _text(value: IndexValue | None) -> str | None:
    return None if value is None else plain(value.decimal)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _sum(parts: list[Decimal | None]) -> Decimal | None:
    if not parts or any(p is None for p in parts):
        return None
    return sum((p for p in parts if p is not None), Decimal(0))


def profile_tariffs(segment: Segment, meter: MeterData) -> tuple[dict[str, int], bool] | None:
    """T1/T2/T3 of a segment (milli-units, raw) from its profile by tariff zone.

    The split is anchored at the segment's 1.8.0 indexes so the zones add up to the total.
    When those (a frozen register, a removal index) disagree with the profile so much that an
    edge interval would go negative, the profile's own split is kept and the difference shared
    over the zones in proportion — and the split is marked estimated.
    """
    first, last = segment.start_index.get("1.8.0"), segment.end_index.get("1.8.0")
    if first is None or last is None:
        return None
    profile = meter.profile
    deltas = interval_deltas(profile, "1.8.0", segment.start, segment.end, first.value, last.value)
    if deltas is not None:
        return tariff.split_by_zone(deltas.starts, deltas.values), deltas.estimated
    own_first = profile.value("1.8.0", segment.start)
    own_last = profile.value("1.8.0", segment.end)
    if own_first is None or own_last is None or last.value < first.value:
        return None
    own = interval_deltas(profile, "1.8.0", segment.start, segment.end, own_first[0], own_last[0])
    if own is None:
        return None
    zones = tariff.split_by_zone(own.starts, own.values)
    remainder = (last.value - first.value) - sum(zones.values())
    shares = distribute(remainder, [zones[z] for z in ZONES])
    return {z: zones[z] + d for z, d in zip(ZONES, shares, strict=True)}, True


def register_tariffs(segment: Segment) -> TariffSplit | None:
    """The split from the meter's own tariff registers, when both ends of all three were read."""
    deltas = {o: segment.raw_delta(o) for o in TARIFF_REGISTERS}
    if all(d is not None for d in deltas.values()):
        estimated = any(
            v.estimated
            for o in TARIFF_REGISTERS
            for v in (segment.start_index[o], segment.end_index[o])
        )
        return (
            {
                o: Decimal(d).scaleb(-3) * segment.multiplier
                for o, d in deltas.items()
                if d is not None
            },
            "registers",
            estimated,
        )
    return None


def zone_split(segment: Segment, split: tuple[dict[str, int], bool] | None) -> TariffSplit:
    """A profile split (milli-units per zone, estimated) after the multiplier."""
    if split is None:
        return None, "none", False
    zones, estimated = split
    total = segment.start_index["1.8.0"].estimated or segment.end_index["1.8.0"].estimated
    return (
        {o: Decimal(v).scaleb(-3) * segment.multiplier for o, v in zones.items()},
        "profile",
        estimated or total,
    )


def segment_tariffs(segment: Segment, meter: MeterData) -> TariffSplit:
    """(consumption per tariff register after the multiplier, origin, estimated)."""
    own = register_tariffs(segment)
    if own is not None:
        return own
    return zone_split(segment, profile_tariffs(segment, meter))


def period_demand(
    segments: list[Segment],
    meters: Mapping[int, MeterData],
    obis: str,
    period_end: dt.datetime,
    of_segment: SegmentDemand = demand.segment_demand,
) -> Demand | None:
    best: Demand | None = None
    for s in segments:
        meter = meters.get(s.span.meter_id) or MeterData(s.span.meter_id, s.meter_serial)
        raw = of_segment(meter, obis, s.start, s.end, period_end)
        if raw is None:
            continue
        candidate = Demand(raw.value * s.multiplier, raw.time, raw.origin, raw.estimated)
        if best is None or candidate.value > best.value:
            best = candidate
    if best is not None and best.value == 0 and obis == "2.6.0":
        return None  # nothing exported: no export demand to show
    return best


def _tariff_consumption(
    month: MonthInput,
    segments: list[Segment],
    tariffs: SegmentTariffs,
    consumption: dict[str, Decimal | None],
    estimated_registers: set[str],
) -> str:
    """T1/T2/T3 into ``consumption`` (and ``estimated_registers``); returns their origin."""
    origins = set()
    per_tariff: dict[str, list[Decimal | None]] = {o: [] for o in TARIFF_REGISTERS}
    for s in segments:
        meter = month.meters.get(s.span.meter_id) or MeterData(s.span.meter_id, s.meter_serial)
        values, origin, estimated = tariffs(s, meter)
        origins.add(origin)
        for o in TARIFF_REGISTERS:
            per_tariff[o].append(None if values is None else values[o])
        if estimated:
            estimated_registers.update(TARIFF_REGISTERS)
    for o in TARIFF_REGISTERS:
        consumption[o] = _sum(per_tariff[o])
    return origins.pop() if len(origins) == 1 else ("mixed" if origins else "none")


def _register_consumption(
    segments: Sequence[Segment],
) -> tuple[dict[str, Decimal | None], set[str]]:
    """Each non-tariff register's consumption over the segments, and the registers whose
    indexes at a segment's edge were estimated."""
    consumption: dict[str, Decimal | None] = {}
    estimated: set[str] = set()
    for obis in REGISTERS:
        if obis in TARIFF_REGISTERS:
            continue
        consumption[obis] = _sum([s.consumption(obis) for s in segments])
        edges = (v for s in segments for v in (s.start_index.get(obis), s.end_index.get(obis)))
        if any(v is not None and v.estimated for v in edges):
            estimated.add(obis)
    return consumption, estimated


def compute_month(
    month: MonthInput,
    limits: ReactiveLimits,
    *,
    tariffs: SegmentTariffs = segment_tariffs,
    demands: SegmentDemand = demand.segment_demand,
) -> MonthlyReport:
    """The determinants of one service point and month (pure: everything comes in ``month``).

    ``tariffs`` and ``demands`` are the per-segment steps over the load profile; the set-based
    run (:mod:`osos.mdm.bulk`) passes its column-wise results in their place.
    """
    segments = build_segments(month.spans, month.meters, month.start, month.end, REGISTERS)
    consumption, estimated_registers = _register_consumption(segments)
    tariff_origin = _tariff_consumption(month, segments, tariffs, consumption, estimated_registers)

    closing = next((s for s in segments if s.end == month.end), None)
    month_end: dict[str, IndexValue | None] = {
        o: (None if closing is None else closing.end_index.get(o)) for o in REGISTERS
    }
    if any(v is not None and v.estimated for v in month_end.values()):
        estimated_registers.update(o for o, v in month_end.items() if v is not None and v.estimated)

    result = reactive.assess(
        consumption["1.8.0"],
        consumption["5.8.0"],
        consumption["8.8.0"],
        month.installed_power_kva,
        limits,
        exempt=month.reactive_exempt,
    )
    demand_of = {
        o: period_demand(segments, month.meters, o, month.end, demands) for o in ("1.6.0", "2.6.0")
    }
    ordered = {o: consumption[o] for o in REGISTERS}
    return MonthlyReport(
        service_point=month.service_point_no,
        period=month.period,
        start=month.start,
        end=month.end,
        estimated=bool(estimated_registers) or not segments,
        segments=tuple(segments),
        month_end_index=month_end,
        consumption=ordered,
        tariff_origin=tariff_origin,
        reactive=result,
        max_demand=demand_of,
        estimated_registers=frozenset(estimated_registers),
    )

"""Energy registers and the clock: registers that go backwards, export on a consumer's meter,
a clock set behind true time, and a meter replaced without its removal index.

Registers are compared per meter and per source in time order (readouts with readouts, the
profile with the profile: a profile is stamped by the meter's clock, a readout by ours, so
mixing them would call a slow clock a register going back); a new meter starts its own
series. Amounts are kWh on the primary side (meter value × CT × VT) where a limit applies.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from osos.settings import LossLimits

from .findings import Finding, Kind
from .inputs import Point, Read, Sample, Swap
from .spans import overlaps, text

#: Registers that only ever grow on a working meter.
MONOTONE: Final = ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "6.8.0", "7.8.0", "8.8.0")


@dataclass(frozen=True)
class Value:
    at: dt.datetime
    value: Decimal
    point: str
    meter: str
    readout_id: int | None
    multiplier: Decimal


def series(
    reads: Iterable[Read], samples: Iterable[Sample]
) -> dict[tuple[str, str, str], list[Value]]:
    """(meter, source, register) → its values in time order."""
    out: dict[tuple[str, str, str], list[Value]] = {}
    for r in reads:
        for code in MONOTONE:
            if (number := r.numbers.get(code)) is not None:
                value = Value(r.read_at, number, r.point, r.meter, r.readout_id, r.multiplier)
                out.setdefault((r.meter, "readout", code), []).append(value)
    for s in samples:
        if not s.profile:
            continue
        for code, number in (("1.8.0", s.import_index), ("2.8.0", s.export_index)):
            if number is not None:
                value = Value(s.end, number, s.point, s.meter, s.readout_id, s.multiplier)
                out.setdefault((s.meter, "profile", code), []).append(value)
    for values in out.values():
        values.sort(key=lambda v: v.at)
    return out


def _pairs(values: list[Value]) -> Iterator[tuple[Value, Value]]:
    return itertools.pairwise(values)


def register_back(
    all_series: dict[tuple[str, str, str], list[Value]], low: dt.datetime, high: dt.datetime
) -> list[Finding]:
    """A register lower than the one before it on the same meter: one finding per meter and
    start (the first fall seen), whatever register fell."""
    found: dict[tuple[str, dt.datetime], Finding] = {}
    for (_meter, source, code), values in all_series.items():
        for before, after in _pairs(values):
            if after.value >= before.value or not low <= after.at < high:
                continue
            key = (after.point, after.at)
            if key in found:
                continue
            evidence = {
                "register": code, "source": source, "before": text(before.value),
                "after": text(after.value), "before_at": before.at.isoformat(),
            }  # fmt: skip
            found[key] = Finding(
                after.point, Kind.REGISTER_BACK, before.at, after.at, evidence, after.meter,
                after.readout_id if after.readout_id is not None else before.readout_id,
            )  # fmt: skip
    return list(found.values())


def reverse_energy(
    all_series: dict[tuple[str, str, str], list[Value]],
    points: Iterable[Point],
    low: dt.datetime,
    high: dt.datetime,
    limits: LossLimits,
) -> list[Finding]:
    """Export (2.8.0) that grew by ``reverse_min_kwh`` (primary) within the period on a
    consumer's meter: from the first growth to the last one, by the readouts or the profile."""
    consumers = {p.no for p in points if p.consumer}
    found: dict[tuple[str, str], Finding] = {}
    for (meter, source, code), values in sorted(all_series.items()):
        inside = [v for v in values if low <= v.at < high]
        if code != "2.8.0" or len(inside) < 2 or inside[0].point not in consumers:
            continue
        grew = [after for before, after in _pairs(inside) if after.value > before.value]
        total = (inside[-1].value - inside[0].value) * inside[0].multiplier
        if not grew or total < limits.reverse_min_kwh or (inside[0].point, meter) in found:
            continue
        evidence = {"export_kwh": text(total), "source": source, "from": text(inside[0].value),
                    "to": text(inside[-1].value)}  # fmt: skip
        source_id = next((v.readout_id for v in grew if v.readout_id is not None), None)
        found[(inside[0].point, meter)] = Finding(
            inside[0].point, Kind.REVERSE_ENERGY, grew[0].at, grew[-1].at, evidence, meter,
            source_id,
        )  # fmt: skip
    return list(found.values())


def clock_back(
    reads: Iterable[Read], limits: LossLimits, low: dt.datetime, high: dt.datetime
) -> list[Finding]:
    """Readouts whose meter clock stood ``clock_back_minutes`` or more behind the time we read
    it (a clock set back moves consumption into cheaper hours and out of the month); a run of
    such readouts of one meter is one finding."""
    limit = dt.timedelta(minutes=limits.clock_back_minutes)
    out: list[Finding] = []
    behind: dict[str, list[Read]] = {}
    for read in sorted(reads, key=lambda r: r.read_at):
        if read.meter_time is None or not low <= read.read_at < high:
            continue
        run = behind.setdefault(read.meter, [])
        if read.read_at - read.meter_time >= limit:
            run.append(read)
        elif run:
            out.append(_clock_finding(run))
            behind[read.meter] = []
    out.extend(_clock_finding(run) for run in behind.values() if run)
    return out


def _clock_finding(run: list[Read]) -> Finding:
    first, worst = run[0], max(run, key=lambda r: r.read_at - (r.meter_time or r.read_at))
    assert worst.meter_time is not None
    minutes = int((worst.read_at - worst.meter_time).total_seconds() // 60)
    evidence = {"behind_minutes": str(minutes), "meter_time": worst.meter_time.isoformat(),
                "read_at": worst.read_at.isoformat(), "readouts": str(len(run))}  # fmt: skip
    return Finding(
        first.point, Kind.CLOCK_BACK, first.read_at, run[-1].read_at, evidence, first.meter,
        first.readout_id,
    )  # fmt: skip


def replaced_without_index(
    swaps: Iterable[Swap], low: dt.datetime, high: dt.datetime
) -> list[Finding]:
    """A meter removed (and another put in its place) without the index it was removed at:
    whatever it registered since its last read is lost to the bill."""
    out = []
    for swap in swaps:
        if swap.new_meter is None or (swap.removal_index or "").strip():
            continue
        if not overlaps(swap.removed_at, swap.removed_at, low, high):
            continue
        evidence = {"old_meter": swap.old_meter, "new_meter": swap.new_meter or ""}
        if swap.last_index is not None:
            evidence["last_read_index"] = text(swap.last_index)
        out.append(
            Finding(
                swap.point,
                Kind.REPLACED_NO_INDEX,
                swap.removed_at,
                swap.removed_at,
                evidence,
                swap.old_meter,
                swap.last_readout_id,
            )
        )
    return out

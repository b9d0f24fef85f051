"""The three delivery rules, their deadlines and the market operator's data shape: pure functions.

A delivery is one service point and one period: an hour (rule 1, balancing units), a local day
(rule 2, generation that is not a balancing unit) or a month (rule 3, every other OSOS service
point). Its JSON is the pre-settlement shape: per metering point (EIC) and month, each
settlement period with its supply (injection) and withdrawal, exact decimals with 3 places.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum
from typing import Any

from osos import exports
from osos.exports import Cell, Column, Table
from osos.readmodel.intervals import IntervalLike
from osos.settings import SharingConfig
from osos.timeutil import (
    DAY,
    QUARTER,
    floor_to,
    local_date,
    local_midnight,
    month_start_before,
    next_month_start,
    to_local,
)

THOUSANDTH = Decimal("0.001")
HOUR = dt.timedelta(hours=1)


class Rule(IntEnum):
    BALANCING_UNIT = 1  # 15-minute values of each hour, 2 hours after the hour
    GENERATION = 2  # the day's 15-minute production, 2 hours after the end of the day
    SETTLEMENT = 3  # settlement-period values of the month, by the calendar's last day

    @property
    def minutes(self) -> int:
        return 60 if self is Rule.SETTLEMENT else 15

    @property
    def label(self) -> str:
        return {1: "balancing unit (hourly)", 2: "generation (daily)", 3: "settlement (monthly)"}[
            self.value
        ]


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC


def period_of(rule: Rule, at: dt.datetime) -> Period:
    """The period of ``rule`` that contains the instant ``at``."""
    if rule is Rule.BALANCING_UNIT:
        start = floor_to(at, HOUR)
        return Period(start, start + HOUR)
    if rule is Rule.GENERATION:
        day = local_date(at)
        return Period(local_midnight(day), local_midnight(day + DAY))
    start = month_start_before(at)
    return Period(start, next_month_start(start))


def periods_ending(rule: Rule, after: dt.datetime, until: dt.datetime) -> list[Period]:
    """Every period of ``rule`` whose end lies in (after, until]."""
    found: list[Period] = []
    period = period_of(rule, until)
    while True:
        if period.end <= until:
            if period.end <= after:
                break
            found.append(period)
        period = period_of(rule, period.start - dt.timedelta(seconds=1))
    return list(reversed(found))


def settlement_last_day(period_start: dt.datetime, config: SharingConfig) -> dt.date:
    """The default last day of a month's settlement calendar: a day of the next month."""
    return local_date(next_month_start(period_start)).replace(day=config.settlement_default_day)


def due_at(
    rule: Rule, period: Period, config: SharingConfig, calendar_last_day: dt.date | None = None
) -> dt.datetime:
    """The deadline of a delivery: data received after it is late."""
    if rule is Rule.BALANCING_UNIT:
        return period.end + config.balancing_delay
    if rule is Rule.GENERATION:
        return period.end + config.generation_delay
    last_day = calendar_last_day or settlement_last_day(period.start, config)
    return local_midnight(last_day + DAY)  # by the end of that local day


@dataclass(frozen=True)
class Completeness:
    expected: int
    present: int
    estimated: int

    @property
    def complete(self) -> bool:
        return self.present >= self.expected

    @property
    def missing(self) -> int:
        return max(0, self.expected - self.present)


def _has_value(interval: IntervalLike) -> bool:
    return interval.source != "missing" and (
        interval.withdrawal_kwh is not None or interval.supply_kwh is not None
    )


def completeness(rule: Rule, period: Period, intervals: Sequence[IntervalLike]) -> Completeness:
    step = dt.timedelta(minutes=rule.minutes)
    expected = int((period.end - period.start) / step)
    present = {i.start for i in intervals if _has_value(i) and period.start <= i.start < period.end}
    estimated = sum(1 for i in intervals if i.source == "estimated" and i.start in present)
    return Completeness(expected, len(present), estimated)


def kwh_text(value: Decimal | None) -> str:
    """Exact decimal text with three places (the operator's shape); no value is zero."""
    if value is None:
        return "0.000"
    return str(value.quantize(THOUSANDTH, rounding=ROUND_HALF_UP))


def build_meter(
    rule: Rule, eic: str, period: Period, intervals: Sequence[IntervalLike]
) -> dict[str, Any]:
    """One metering point's entry: outer period the month's first day; hour of the month
    (1..744) for rule 3, quarter hour of the local day (1..96) with its ``day`` otherwise."""
    month = month_start_before(period.start)
    datas: list[dict[str, Any]] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if not (period.start <= interval.start < period.end) or not _has_value(interval):
            continue
        entry: dict[str, Any]
        if rule is Rule.SETTLEMENT:
            index = int((interval.start - month) / HOUR) + 1
            entry = {"period": index}
        else:
            day = local_date(interval.start)
            index = int((interval.start - local_midnight(day)) / QUARTER) + 1
            entry = {"day": day.isoformat(), "period": index}
        entry["supply"] = kwh_text(interval.supply_kwh)
        entry["withdrawal"] = kwh_text(interval.withdrawal_kwh)
        entry["estimated"] = interval.source == "estimated"
        datas.append(entry)
    return {"eic": eic, "period": local_date(month).isoformat(), "datas": datas}


def build_payload(rule: Rule, meters: list[dict[str, Any]], created: dt.datetime) -> dict[str, Any]:
    return {
        "rule": int(rule),
        "created": to_local(created).isoformat(timespec="seconds"),
        "meters": meters,
    }


def canonical(value: Any) -> bytes:
    """The canonical JSON whose sha256 the ledger keeps: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_hash(payload: dict[str, Any]) -> str:
    """Hash of the values only (not of when the file was made): detects changed data."""
    return sha256(canonical(payload["meters"]))


XLSX_HEADERS = (
    Column("ETSO Kodu"),
    Column("Dönem"),
    Column("Gün"),
    Column("Periyot"),
    Column("Veriş (kWh)", 3),
    Column("Çekiş (kWh)", 3),
    Column("Tahmini"),
)


def template_rows(payload: dict[str, Any]) -> Iterator[list[Cell]]:
    """One row per metering point and period: the days are dates, the kWh exact numbers."""
    for meter in payload["meters"]:
        month = dt.date.fromisoformat(meter["period"])
        for data in meter["datas"]:
            day = data.get("day")
            yield [
                meter["eic"],
                month,
                dt.date.fromisoformat(day) if day else None,
                data["period"],
                Decimal(data["supply"]),
                Decimal(data["withdrawal"]),
                "E" if data["estimated"] else "H",
            ]


def to_xlsx(payload: dict[str, Any]) -> bytes:
    """The payload in the upload template's shape (through :mod:`osos.exports`)."""
    out = io.BytesIO()
    exports.write_xlsx(Table("Veriler", XLSX_HEADERS, template_rows(payload), banner=False), out)
    return out.getvalue()

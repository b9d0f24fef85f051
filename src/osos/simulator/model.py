"""One virtual meter's state as a function of time: registers, demand, billing, clock.

Energy accrues in true time (what the consumer really drew); the meter's clock may run off
by a drift that changes when the clock is set, and every time stamp the meter writes (clock,
profile record, demand time) is in the meter's clock. Everything is exact integers in the
register's resolution (Wh, varh, W, mV, mA); :mod:`.families` turns them into text.

Local time is UTC+3 (Turkey since September 2016), so a local day always has 96 intervals;
install dates before 2016-09-08 are refused.
"""

from __future__ import annotations

import bisect
import datetime as dt
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from osos.errors import InvalidInput
from osos.timeutil import UTC, local_midnight, month_start_before, quarter_floor

from .consumption import (
    EXPORT,
    Q1,
    Q2,
    Q3,
    Q4,
    REGISTERS,
    SLOT_MINUTES,
    SLOTS,
    T1,
    T2,
    T3,
    DayPattern,
    MeterCharacter,
    build_pattern,
    day_totals,
    mix,
)
from .tamper import Tampering

LOCAL_OFFSET = dt.timedelta(hours=3)
INTERVAL = dt.timedelta(minutes=SLOT_MINUTES)
FIRST_DAY = dt.date(2016, 9, 8)  # Turkey on UTC+3 all year from here on

Registers = tuple[int, ...]  # T1, T2, T3, export, Q1..Q4 (Wh / varh), see consumption.py
_Best = tuple[int, dt.datetime | None]  # (interval energy, true end time of the interval)


def local_naive(when: dt.datetime) -> dt.datetime:
    """Aware time → naive local wall-clock (UTC+3)."""
    return (when.astimezone(UTC) + LOCAL_OFFSET).replace(tzinfo=None)


def import_total(registers: Registers) -> int:
    """1.8.0 = T1 + T2 + T3, by construction."""
    return registers[T1] + registers[T2] + registers[T3]


@dataclass(frozen=True)
class Demand:
    """Maximum 15-minute average power (W) and the meter-clock end of its interval."""

    watts: int = 0
    time: dt.datetime | None = None


@dataclass(frozen=True)
class PhaseValues:
    """Voltages (mV) and currents (mA) per phase; one entry per phase the meter has."""

    volts: tuple[int, ...]
    amps: tuple[int, ...]


@dataclass(frozen=True)
class BillingPeriod:
    """A frozen billing reset: its time, the registers then, and the demand of the period."""

    time: dt.datetime
    registers: Registers
    import_demand: Demand
    export_demand: Demand


@dataclass(frozen=True)
class Snapshot:
    """Everything a readout shows at one instant (``true_time``; ``meter_time`` on its clock)."""

    true_time: dt.datetime
    meter_time: dt.datetime
    registers: Registers
    import_demand: Demand
    export_demand: Demand
    reset_count: int
    billing: tuple[BillingPeriod, ...]  # [0] = last reset (*1), [1] = the one before (*2)
    phases: PhaseValues
    events: Mapping[str, tuple[dt.datetime, dt.datetime | None]] = field(default_factory=dict)


@dataclass
class ClockLine:
    """The meter clock's offset from true time, as segments (true time from, offset)."""

    starts: list[dt.datetime] = field(default_factory=list)
    offsets: list[dt.timedelta] = field(default_factory=list)

    @classmethod
    def fixed(cls, offset: dt.timedelta) -> ClockLine:
        return cls([dt.datetime.min.replace(tzinfo=UTC)], [offset])

    def offset_at(self, true_time: dt.datetime) -> dt.timedelta:
        return self.offsets[bisect.bisect_right(self.starts, true_time) - 1]

    def meter_time(self, true_time: dt.datetime) -> dt.datetime:
        return true_time + self.offset_at(true_time)

    def set(self, true_time: dt.datetime, meter_time: dt.datetime) -> None:
        """The clock is set to ``meter_time`` at ``true_time`` (later segments are dropped)."""
        keep = bisect.bisect_right(self.starts, true_time)
        del self.starts[keep:], self.offsets[keep:]
        self.starts.append(true_time)
        self.offsets.append(meter_time - true_time)

    def true_time(self, meter_time: dt.datetime) -> dt.datetime | None:
        """When the meter clock showed ``meter_time`` (the latest such moment), or None if it
        jumped over it."""
        for k in range(len(self.starts) - 1, -1, -1):
            candidate = meter_time - self.offsets[k]
            end = self.starts[k + 1] if k + 1 < len(self.starts) else None
            if candidate >= self.starts[k] and (end is None or candidate < end):
                return candidate
        return None


class MeterModel:
    """A meter's registers at any time, from its character, install day and initial registers.

    Day-start registers are cached incrementally from the install day; day patterns are cached
    per key, so a year of history costs a few hundred small additions.
    """

    def __init__(
        self,
        character: MeterCharacter,
        *,
        install_date: dt.date,
        initial: Registers,
        reset_base: int = 0,
        phases: int = 3,
        drift: dt.timedelta = dt.timedelta(0),
    ) -> None:
        if install_date < FIRST_DAY:
            raise InvalidInput(f"install date {install_date} is before {FIRST_DAY} (UTC+3 only)")
        if len(initial) != REGISTERS or any(v < 0 for v in initial):
            raise InvalidInput(f"initial registers must be {REGISTERS} non-negative integers")
        self.character = character
        self.install_date = install_date
        self.installed_at = local_midnight(install_date)
        self.initial = tuple(initial)
        self.reset_base = reset_base
        self.phases = phases
        self.clock = ClockLine.fixed(drift)
        self.tamper = Tampering()
        seed = character.seed
        self._shares = tuple(1000 + mix(seed, 20, k) % 300 for k in range(phases))
        self._base_volts = tuple(225_000 + mix(seed, 21, k) % 6000 for k in range(phases))
        self._patterns: dict[tuple[int, int, int], DayPattern] = {}
        self._day_starts: list[Registers] = [self.initial]
        self._totals: dict[tuple[int, int, int], Registers] = {}
        self._best_cache: dict[dt.date, tuple[_Best, _Best]] = {}

    # --- energy -----------------------------------------------------------------------------

    def pattern(self, day: dt.date) -> DayPattern:
        key = self.character.pattern_key(day)
        found = self._patterns.get(key)
        if found is None:
            found = self._patterns[key] = build_pattern(self.character, key)
        return found

    def day_start(self, day: dt.date) -> Registers:
        """Registers at 00:00 local of ``day`` (the initial ones before installation)."""
        offset = (day - self.install_date).days
        if offset <= 0:
            return self.initial
        starts = self._day_starts
        while len(starts) <= offset:
            current = self.install_date + dt.timedelta(days=len(starts) - 1)
            key = self.character.pattern_key(current)
            totals = self._totals.get(key)
            if totals is None:
                known = self._patterns.get(key)
                totals = known.totals if known else day_totals(self.character, key)
                self._totals[key] = totals
            starts.append(tuple(map(operator.add, starts[-1], totals)))
        return starts[offset]

    def registers_at(self, when: dt.datetime) -> Registers:
        """Registers as the meter counts them at true time ``when`` (a by-pass or a lost
        phase voltage leaves part of the energy out, see :mod:`.tamper`)."""
        if not self.tamper.since:
            return self._registers_at(when)
        return self.tamper.metered(when.astimezone(UTC), self._registers_at, self.phase_shares())

    def _registers_at(self, when: dt.datetime) -> Registers:
        """Registers at true time ``when``; inside an interval its energy accrues pro rata."""
        when = when.astimezone(UTC)
        if when <= self.installed_at:
            return self.initial
        local = local_naive(when)
        day = local.date()
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        slot, into = divmod(seconds, SLOT_MINUTES * 60)
        start = self.day_start(day)
        pattern = self.pattern(day)
        out = []
        for r in range(REGISTERS):
            value = start[r] + pattern.prefix[r][slot]
            if into and slot < SLOTS:
                value += pattern.energy[r][slot] * into // (SLOT_MINUTES * 60)
            out.append(value)
        return tuple(out)

    def interval_energy(self, end: dt.datetime) -> Registers:
        """Energy of the 15-minute interval ending at ``end`` (a quarter-hour boundary)."""
        if quarter_floor(end) != end.astimezone(UTC):
            raise InvalidInput(f"{end} is not a 15-minute boundary")
        if end <= self.installed_at:
            return (0,) * REGISTERS
        local = local_naive(end - INTERVAL)
        slot = (local.hour * 60 + local.minute) // SLOT_MINUTES
        pattern = self.pattern(local.date())
        return tuple(pattern.energy[r][slot] for r in range(REGISTERS))

    def interval_ends(self, start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
        """Quarter-hour boundaries in [start, end] (true time)."""
        current = quarter_floor(start)
        if current < start:
            current += INTERVAL
        while current <= end:
            yield current
            current += INTERVAL

    # --- demand and billing ----------------------------------------------------------------

    def max_demand(self, start: dt.datetime, end: dt.datetime) -> tuple[Demand, Demand]:
        """(import, export) maximum 15-minute average power over the whole intervals between
        ``start`` (a local midnight) and ``end``; the earliest interval wins a tie."""
        best_imp: _Best = (0, None)
        best_exp: _Best = (0, None)
        last_local = local_naive(quarter_floor(end))
        last_day = last_local.date()
        day = max(local_naive(start).date(), self.install_date)
        while day <= last_day:
            if day == last_day:
                slots = (last_local.hour * 60 + last_local.minute) // SLOT_MINUTES
                imp, exp = self._day_best(day, slots)
            else:
                found = self._best_cache.get(day)
                if found is None:
                    found = self._best_cache[day] = self._day_best(day, SLOTS)
                imp, exp = found
            if imp[0] > best_imp[0]:
                best_imp = imp
            if exp[0] > best_exp[0]:
                best_exp = exp
            day += dt.timedelta(days=1)
        return self._demand(best_imp), self._demand(best_exp)

    def _day_best(self, day: dt.date, slots: int) -> tuple[_Best, _Best]:
        if not slots:
            return (0, None), (0, None)
        pattern = self.pattern(day)
        midnight = local_midnight(day)
        out: list[_Best] = []
        for export in (False, True):
            energy, slot = pattern.best(export, slots)
            out.append((energy, midnight + INTERVAL * (slot + 1) if slot >= 0 else None))
        return out[0], out[1]

    def _demand(self, best: _Best) -> Demand:
        energy, when = best
        if when is None:
            return Demand()
        return Demand(energy * 4, self.clock.meter_time(when))

    def reset_count(self, when: dt.datetime) -> int:
        """0.1.0: billing resets so far — one at 00:00 local on day 1 of each month."""
        now, installed = local_naive(when), local_naive(self.installed_at)
        months = (now.year - installed.year) * 12 + now.month - installed.month
        return self.reset_base + max(months, 0)

    def billing_period(self, when: dt.datetime, back: int) -> BillingPeriod:
        """The ``back``-th last reset (1 = ``*1``) before true time ``when``."""
        reset = month_start_before(when, back - 1)
        previous = month_start_before(when, back)
        imp, exp = self.max_demand(previous, reset)
        return BillingPeriod(reset, self.registers_at(reset), imp, exp)

    # --- instantaneous values --------------------------------------------------------------

    def phase_values(self, end: dt.datetime) -> PhaseValues:
        """Voltages and currents over the interval ending at ``end``, consistent with its
        average power: I = P / (phases × U × cos φ) per phase, with a small imbalance."""
        energy = self.interval_energy(end)
        watts = max(import_total(energy), energy[EXPORT]) * 4
        stamp = int(end.timestamp()) // 900
        seed = self.character.seed
        volts = []
        amps = []
        shares = self.phase_shares()
        total_share = sum(shares)
        for k in range(self.phases):
            millivolts = self._base_volts[k] + mix(seed, 22, k, stamp) % 8000
            millivolts -= millivolts % 10
            phase_watts = watts * shares[k] // total_share
            milliamps = phase_watts * 1_000_000_000 // (millivolts * self.character.power_factor)
            volts.append(millivolts)
            amps.append(milliamps - milliamps % 10)
        if self.tamper.since:
            volts, amps = self.tamper.phases(end, volts, amps)
        return PhaseValues(tuple(volts), tuple(amps))

    def phase_shares(self) -> tuple[int, ...]:
        """Each phase's share of the load (weights fixed per meter by its seed)."""
        return self._shares

    # --- the meter as the wire sees it -----------------------------------------------------

    def meter_time(self, true_time: dt.datetime) -> dt.datetime:
        return self.clock.meter_time(true_time).replace(microsecond=0)

    def set_clock(self, true_time: dt.datetime, meter_time: dt.datetime) -> None:
        self.clock.set(true_time, meter_time)

    def snapshot(self, true_time: dt.datetime) -> Snapshot:
        true_time = true_time.astimezone(UTC)
        registers = self.registers_at(true_time)
        imp, exp = self.max_demand(month_start_before(true_time), true_time)
        current_end = quarter_floor(true_time) + INTERVAL
        return Snapshot(
            true_time=true_time,
            meter_time=self.meter_time(true_time),
            registers=registers,
            import_demand=imp,
            export_demand=exp,
            reset_count=self.reset_count(true_time),
            billing=(self.billing_period(true_time, 1), self.billing_period(true_time, 2)),
            phases=self.phase_values(current_end),
            events=self.tamper.events(true_time, self.meter_time),
        )

    def profile(
        self,
        start: dt.datetime | None,
        end: dt.datetime | None,
        true_now: dt.datetime,
        *,
        depth: dt.timedelta = dt.timedelta(days=60),
    ) -> list[tuple[dt.datetime, Registers, PhaseValues]]:
        """Profile records (meter-clock stamp, registers, phase values) with stamps in
        [start, end], no later than the meter's clock now and no older than ``depth``."""
        now_meter = self.meter_time(true_now)
        oldest = quarter_floor(now_meter) - depth
        low = max(start, oldest) if start is not None else oldest
        high = min(end, now_meter) if end is not None else now_meter
        records = []
        for stamp in self.interval_ends(low, high):
            when = self.clock.true_time(stamp)
            if when is None or when > true_now or when <= self.installed_at:
                continue
            records.append((stamp, self.registers_at(when), self.phase_values(quarter_floor(when))))
        return records


__all__ = [
    "EXPORT",
    "Q1",
    "Q2",
    "Q3",
    "Q4",
    "T1",
    "T2",
    "T3",
    "BillingPeriod",
    "ClockLine",
    "Demand",
    "MeterModel",
    "PhaseValues",
    "Registers",
    "Snapshot",
    "import_total",
]

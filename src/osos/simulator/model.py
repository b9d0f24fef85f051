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
from collections.abc import Iterator

from osos.errors import InvalidInput
from osos.timeutil import UTC, local_midnight, month_start_before, quarter_floor

from .clockline import ClockLine
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
    day_best,
    day_totals,
    mix,
    month_calendar,
    shared_pattern,
)
from .snapshot import BillingPeriod, Demand
from .snapshot import PhaseValues as PhaseValues
from .snapshot import Registers as Registers
from .snapshot import Snapshot as Snapshot
from .tamper import Tampering

LOCAL_OFFSET = dt.timedelta(hours=3)
INTERVAL = dt.timedelta(minutes=SLOT_MINUTES)
FIRST_DAY = dt.date(2016, 9, 8)  # Turkey on UTC+3 all year from here on

_Best = tuple[int, dt.datetime | None]  # (interval energy, true end time of the interval)
CHECKPOINTS = 4  # day-start checkpoints a meter keeps (today, month starts of the billing)
DEMAND_RANGES = 4  # day ranges whose maximum demand a meter remembers (this month, *1, *2)


def _year_month(ordinal: int) -> tuple[int, int]:
    day = dt.date.fromordinal(ordinal)
    return day.year, day.month


def _add_days(
    char: MeterCharacter,
    registers: Registers,
    counts: dict[tuple[int, int, int], int],
    totals: dict[tuple[int, int, int], Registers],
) -> Registers:
    """``registers`` plus ``counts[key]`` days of each kind of day (exact integers)."""
    out = list(registers)
    for key, days in counts.items():
        day = totals.get(key)
        if day is None:
            day = totals[key] = day_totals(char, key)
        for r in range(REGISTERS):
            out[r] += day[r] * days
    return tuple(out)


def local_naive(when: dt.datetime) -> dt.datetime:
    """Aware time → naive local wall-clock (UTC+3)."""
    return (when.astimezone(UTC) + LOCAL_OFFSET).replace(tzinfo=None)


def import_total(registers: Registers) -> int:
    """1.8.0 = T1 + T2 + T3, by construction."""
    return registers[T1] + registers[T2] + registers[T3]


class MeterModel:
    """A meter's registers at any time, from its character, install day and initial registers.

    What a meter keeps is bounded, whatever its history's length: a few day-start checkpoints
    (the registers at 00:00 local of the days last asked and of the month starts on the way
    there; another day is the nearest earlier checkpoint plus each day's totals) and the
    maximum demand of the last few day ranges. Day patterns are shared by every model of one
    character (:func:`~.consumption.shared_pattern`), and a day's largest interval comes from
    a ranking shared by every meter of one kind and variant (:func:`~.consumption.day_best`).
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
        self._checkpoints: list[tuple[int, Registers]] = []  # (day ordinal, registers), sorted
        self._full_days: dict[tuple[int, int], tuple[_Best, _Best]] = {}

    # --- energy -----------------------------------------------------------------------------

    def pattern(self, day: dt.date) -> DayPattern:
        return shared_pattern(self.character, self.character.pattern_key(day))

    def day_start(self, day: dt.date) -> Registers:
        """Registers at 00:00 local of ``day`` (the initial ones before installation)."""
        if day <= self.install_date:
            return self.initial
        target = day.toordinal()
        points = self._checkpoints
        at = bisect.bisect_right(points, target, key=operator.itemgetter(0))
        if at and points[at - 1][0] == target:
            return points[at - 1][1]
        start, registers = points[at - 1] if at else (self.install_date.toordinal(), self.initial)
        found = self._walk(start, registers, target)
        points[at:at] = found
        if len(points) > CHECKPOINTS:
            # Keep the days nearest the one asked: a profile read after a later readout walks
            # forward from its own recent days, not from the installation at every day.
            near = sorted(points, key=lambda p: abs(p[0] - target))[:CHECKPOINTS]
            points[:] = sorted(near)
        return found[-1][1]

    def _walk(self, start: int, registers: Registers, target: int) -> list[tuple[int, Registers]]:
        """Day-start registers from day ordinal ``start`` to ``target``, month by month: each
        kind of day's totals times its number of days; a checkpoint at every month start."""
        char = self.character
        totals: dict[tuple[int, int, int], Registers] = {}
        found: list[tuple[int, Registers]] = []
        ordinal = start
        while ordinal < target:
            first, types = month_calendar(*_year_month(ordinal))
            end = min(target, first + len(types))
            registers = _add_days(char, registers, char.month_counts(ordinal, end), totals)
            found.append((end, registers))
            ordinal = end
        return found

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
        if not seconds:
            return start  # 00:00: no interval of the day yet (a billing reset)
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
        last_local = local_naive(quarter_floor(end))
        last_day = last_local.date()
        first = max(local_naive(start).date(), self.install_date)
        if first > last_day:
            return Demand(), Demand()
        best_imp, best_exp = self._full_days_best(first.toordinal(), last_day.toordinal())
        slots = (last_local.hour * 60 + last_local.minute) // SLOT_MINUTES
        imp, exp = self._day_best(last_day, slots)
        if imp[0] > best_imp[0]:
            best_imp = imp
        if exp[0] > best_exp[0]:
            best_exp = exp
        return self._demand(best_imp), self._demand(best_exp)

    def _full_days_best(self, first: int, last: int) -> tuple[_Best, _Best]:
        """The largest intervals of the whole days ``first`` ≤ day < ``last`` (ordinals),
        extending a remembered range with the same first day (the month so far)."""
        memo = self._full_days
        found = memo.get((first, last))
        if found is not None:
            return found
        done = max((b for a, b in memo if a == first and b < last), default=first)
        best_imp, best_exp = memo.get((first, done), ((0, None), (0, None)))
        for ordinal in range(done, last):
            imp, exp = self._day_best(dt.date.fromordinal(ordinal), SLOTS)
            if imp[0] > best_imp[0]:
                best_imp = imp
            if exp[0] > best_exp[0]:
                best_exp = exp
        memo[(first, last)] = best_imp, best_exp
        if len(memo) > DEMAND_RANGES:
            del memo[next(iter(memo))]
        return best_imp, best_exp

    def _day_best(self, day: dt.date, slots: int) -> tuple[_Best, _Best]:
        if not slots:
            return (0, None), (0, None)
        key = self.character.pattern_key(day)
        midnight = local_midnight(day)
        out: list[_Best] = []
        for export in (False, True):
            energy, slot = day_best(self.character, key, export, slots)
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

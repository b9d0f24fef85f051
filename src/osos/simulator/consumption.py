"""Deterministic 15-minute energy per customer kind, in integer Wh — no floats, no I/O.

A meter's day is one of a small set of *day patterns* keyed by (month, day type, level):
the month matters only for kinds that follow the sun (generation, lighting), the day type is
weekday / Saturday / Sunday-or-holiday, and the level (one of :data:`LEVELS`) is drawn per day
from the meter's seed. A pattern holds the 96 interval energies of every channel and their
prefix sums and running maxima, so that an index at any time is a day-start value plus one
prefix — exact sums. Patterns are shared between the models of one character and bounded in
number (:func:`shared_pattern`); a day's totals and its largest interval have shortcuts that
need no pattern (:func:`day_totals`, :func:`day_best`), so a long history costs no memory.

Channels (registers the meter advances), in this order everywhere:
T1, T2, T3 (active import by tariff zone), 2.8.0 (export), 5.8.0, 6.8.0, 7.8.0, 8.8.0.
Tariff zones (EPDK 6561, local time): T1 06–17, T2 17–22, T3 22–06; an interval belongs to the
zone of its start, and 15-minute intervals never straddle a zone edge.
"""

from __future__ import annotations

import array
import datetime as dt
import functools
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from osos.timeutil import zone_of_hour

SLOTS: Final = 96  # 15-minute intervals per local day (Turkey keeps UTC+3 all year)
SLOT_MINUTES: Final = 15
LEVELS: Final = (880, 920, 960, 1000, 1000, 1040, 1080, 1120)  # day factor, permille (8)

# Register positions in every register tuple.
T1, T2, T3, EXPORT, Q1, Q2, Q3, Q4 = range(8)
REGISTERS: Final = 8
REGISTER_OBIS: Final = ("1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "6.8.0", "7.8.0", "8.8.0")

_MASK = (1 << 64) - 1


class CustomerKind(StrEnum):
    """What the load looks like over a day and a week."""

    INDUSTRY = "industry"  # two shifts, weekends low
    COMMERCE = "commerce"  # shop hours
    RESIDENCE = "residence"  # evening peak
    GENERATION = "generation"  # solar: export in daylight, small import at night
    LIGHTING = "lighting"  # public lighting: night only


# Public holidays with a fixed date (treated as Sundays).
HOLIDAYS: Final = frozenset({(1, 1), (4, 23), (5, 1), (5, 19), (7, 15), (8, 30), (10, 29)})

# Sunrise / sunset, minutes after local midnight, per month (Istanbul, UTC+3, rounded).
SUNRISE: Final = (507, 485, 445, 400, 360, 333, 345, 375, 405, 435, 470, 500)
SUNSET: Final = (1030, 1065, 1110, 1150, 1200, 1235, 1235, 1200, 1150, 1095, 1050, 1030)
# Solar yield of a clear day relative to June, permille.
SOLAR_AMPLITUDE: Final = (550, 620, 750, 850, 950, 1000, 1000, 950, 850, 720, 600, 520)


def mix(*parts: int) -> int:
    """A 64-bit hash of integers (splitmix64 steps): the simulator's only source of noise."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = (x ^ (part & _MASK)) & _MASK
        x = (x + 0x9E3779B97F4A7C15) & _MASK
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
        x ^= x >> 31
    return x


_POSITION: Final = {"1.8.1": T1, "1.8.2": T2, "1.8.3": T3}


def zone_of_slot(slot: int) -> int:
    """T1/T2/T3 register position of the interval starting at ``slot`` × 15 min local (the
    tariff zones of :mod:`osos.timeutil`)."""
    return _POSITION[zone_of_hour(slot * SLOT_MINUTES // 60)]


ZONES: Final = tuple(zone_of_slot(s) for s in range(SLOTS))


def day_type(day: dt.date) -> int:
    """0 weekday, 1 Saturday, 2 Sunday or public holiday."""
    if (day.month, day.day) in HOLIDAYS or day.weekday() == 6:
        return 2
    return 1 if day.weekday() == 5 else 0


def _between(minute: int, start_h: float, end_h: float) -> bool:
    return start_h * 60 <= minute < end_h * 60


def shape(kind: CustomerKind, month: int, dtype: int, slot: int) -> tuple[int, int]:
    """(import, export) permille of the meter's peak power for the interval starting at slot."""
    m = slot * SLOT_MINUTES
    if kind is CustomerKind.INDUSTRY:
        if dtype == 0:
            if not _between(m, 6, 22):
                return 160, 0
            if _between(m, 12, 12.5):
                return 650, 0
            if _between(m, 14, 14.25):
                return 720, 0
            return 920, 0
        if dtype == 1:
            return (560 if _between(m, 6, 14) else 160), 0
        return 120, 0
    if kind is CustomerKind.COMMERCE:
        opening = {0: (9, 21), 1: (10, 20), 2: (12, 19)}[dtype]
        if _between(m, opening[0], opening[1]):
            busy = 950 if _between(m, 14, 17) else 850
            return (busy if dtype < 2 else 520), 0
        if _between(m, opening[0] - 1, opening[0]) or _between(m, opening[1], opening[1] + 1):
            return 400, 0
        return 120, 0
    if kind is CustomerKind.RESIDENCE:
        if _between(m, 19, 22):
            return 1000, 0
        if _between(m, 17, 23):
            return 850, 0
        if _between(m, 6, 8):
            return 420, 0
        if _between(m, 8, 17):
            return (480 if dtype else 250), 0
        return 150, 0
    sunrise, sunset = SUNRISE[month - 1], SUNSET[month - 1]
    mid = m + SLOT_MINUTES // 2
    if kind is CustomerKind.LIGHTING:
        return (1000 if (mid < sunrise or mid >= sunset) else 0), 0
    # GENERATION: a parabola between sunrise and sunset scaled by the season.
    if sunrise < mid < sunset:
        span = sunset - sunrise
        curve = 4000 * (mid - sunrise) * (sunset - mid) // (span * span)
        return 0, curve * SOLAR_AMPLITUDE[month - 1] // 1000
    return 25, 0


@dataclass(frozen=True)
class MeterCharacter:
    """What stays fixed over a meter's life: load kind, size, reactive behaviour (permille)."""

    kind: CustomerKind
    seed: int
    peak_w: int  # import peak power (export peak for generation)
    inductive: int  # 5.8.0 / 1.8.0, permille
    capacitive: int  # 8.8.0 / 1.8.0, permille
    q2: int  # 6.8.0 / 2.8.0 (or of import when there is no export), permille
    q3: int  # 7.8.0 / 2.8.0, permille
    variant: int  # 0..15: picks the noise pattern, so meters of one kind differ
    power_factor: int  # permille, for currents

    @classmethod
    def from_seed(cls, kind: CustomerKind, seed: int, peak_w: int | None = None) -> MeterCharacter:
        h = mix(seed, 1)
        # Meter-side peak power: large sites are metered through current transformers, so
        # their meters see the secondary (a few kW; the head-end applies the multiplier).
        sizes = {
            CustomerKind.INDUSTRY: (1_500, 3_400),
            CustomerKind.COMMERCE: (4_000, 30_000),
            CustomerKind.RESIDENCE: (2_000, 8_000),
            CustomerKind.GENERATION: (1_500, 3_400),
            CustomerKind.LIGHTING: (2_000, 20_000),
        }[kind]
        if peak_w is None:
            low, high = sizes
            peak_w = low + h % (high - low) // 100 * 100
        # About one meter in five is above the reactive limits (20 % inductive, 15 % capacitive).
        above = mix(seed, 2) % 5 == 0
        if above:
            inductive = 220 + mix(seed, 3) % 200
            capacitive = 40 + mix(seed, 4) % 180
            if mix(seed, 5) % 2:
                inductive, capacitive = 40 + mix(seed, 3) % 120, 160 + mix(seed, 4) % 120
        else:
            inductive = 40 + mix(seed, 3) % 140
            capacitive = 5 + mix(seed, 4) % 120
        return cls(
            kind=kind,
            seed=seed,
            peak_w=peak_w,
            inductive=inductive,
            capacitive=capacitive,
            q2=mix(seed, 6) % 12,
            q3=mix(seed, 7) % 8,
            variant=mix(seed, 8) % 16,
            power_factor=900 + mix(seed, 9) % 90,
        )

    def level(self, day_number: int) -> int:
        """Index into :data:`LEVELS` for a day (day number = proleptic ordinal)."""
        # Fibonacci hashing of (day, salt): one multiplication, the top three bits (8 levels).
        return (((day_number + self.seed * 7919) * 0x9E3779B97F4A7C15) & _MASK) >> 61

    def pattern_key(self, day: dt.date) -> tuple[int, int, int]:
        if self.kind in (CustomerKind.GENERATION, CustomerKind.LIGHTING):
            return day.month, 0, self.level(day.toordinal())  # the sun ignores weekends
        return 0, day_type(day), self.level(day.toordinal())

    def month_counts(self, first: int, last: int) -> dict[tuple[int, int, int], int]:
        """How many days of each :meth:`pattern_key` there are from day ordinal ``first`` to
        ``last`` (excluded), both in one month: the calendar part is shared by every meter."""
        day = dt.date.fromordinal(first)
        start, types = month_calendar(day.year, day.month)
        salt = self.seed * 7919
        sun = self.kind in (CustomerKind.GENERATION, CustomerKind.LIGHTING)
        counts: dict[tuple[int, int, int], int] = {}
        for ordinal in range(first, last):
            level = (((ordinal + salt) * 0x9E3779B97F4A7C15) & _MASK) >> 61
            key = (day.month, 0, level) if sun else (0, types[ordinal - start], level)
            counts[key] = counts.get(key, 0) + 1
        return counts


@functools.cache
def month_calendar(year: int, month: int) -> tuple[int, bytes]:
    """(ordinal of the month's first day, :func:`day_type` of each of its days)."""
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    days = following.toordinal() - first.toordinal()
    return first.toordinal(), bytes(day_type(first + dt.timedelta(days=k)) for k in range(days))


@dataclass(frozen=True)
class DayPattern:
    """The 96 intervals of one kind of day, with prefix sums for O(1) indexes at any slot.

    ``energy[r][s]`` is register r's energy (Wh / varh) in slot s; ``prefix[r][s]`` the sum of
    slots < s; ``imports`` / ``exports`` the active energy per slot and ``import_max[s]`` /
    ``export_max[s]`` their running maximum over slots < s.
    """

    energy: tuple[Sequence[int], ...]
    prefix: tuple[Sequence[int], ...]
    imports: Sequence[int]
    exports: Sequence[int]
    import_max: Sequence[int]
    export_max: Sequence[int]
    totals: tuple[int, ...]  # the day's energy per register

    def best(self, export: bool, slots: int = SLOTS) -> tuple[int, int]:
        """(energy, slot) of the largest interval among the first ``slots``; the earliest wins
        a tie; (0, −1) when they are all zero."""
        value = (self.export_max if export else self.import_max)[slots]
        if value == 0:
            return 0, -1
        return value, (self.exports if export else self.imports).index(value)


@functools.cache
def base_shape(
    kind: CustomerKind, variant: int, key: tuple[int, int, int]
) -> tuple[Sequence[int], Sequence[int]]:
    """Import and export per slot as shape × day level × jitter (10^9 = the peak), shared by
    every meter of one kind and variant; a meter scales it by its peak power."""
    month, dtype, level = key
    factor = LEVELS[level]
    state = mix(list(CustomerKind).index(kind), variant, month, dtype, level)
    imports: list[int] = []
    exports: list[int] = []
    for slot in range(SLOTS):
        imp_shape, exp_shape = shape(kind, month or 1, dtype, slot)
        state = (state * 6364136223846793005 + 1442695040888963407) & _MASK  # LCG step
        scale = factor * (920 + (state >> 33) % 161)
        imports.append(scale * imp_shape)
        exports.append(scale * exp_shape)
    return _ints(imports), _ints(exports)


def _ints(values: Iterable[int]) -> Sequence[int]:
    """Integers as a machine array (8 bytes each instead of a Python int and a pointer): the
    shared shapes and patterns are most of the simulator's memory; every value fits 64 bits."""
    return array.array("q", values)


_ZONE_MASKS: Final = tuple(tuple(int(z == zone) for z in ZONES) for zone in (T1, T2, T3))
_NO_ENERGY: Final[Sequence[int]] = (0,) * SLOTS


def day_totals(char: MeterCharacter, key: tuple[int, int, int]) -> tuple[int, ...]:
    """The day's energy per register — what :func:`build_pattern` gives as ``totals``, for the
    many days of a long history whose intervals nobody asks for, at a fraction of the cost."""
    imp_base, exp_base = base_shape(char.kind, char.variant, key)
    peak = char.peak_w
    imports = [peak * b // 4_000_000_000 for b in imp_base]
    t1 = sum(imports[_T1_SLOTS])
    t2 = sum(imports[_T2_SLOTS])
    t3 = sum(imports) - t1 - t2
    q1 = sum([v * char.inductive // 1000 for v in imports])
    q4 = sum([v * char.capacitive // 1000 for v in imports])
    if not any(exp_base):
        return t1, t2, t3, 0, q1, sum([v * char.q2 // 1000 for v in imports]), 0, q4
    exports = [peak * b // 4_000_000_000 for b in exp_base]
    q2 = sum([(e or i) * char.q2 // 1000 for i, e in zip(imports, exports, strict=True)])
    q3 = sum([e * char.q3 // 1000 for e in exports])
    return t1, t2, t3, sum(exports), q1, q2, q3, q4


_T1_SLOTS: Final = slice(6 * 4, 17 * 4)
_T2_SLOTS: Final = slice(17 * 4, 22 * 4)


#: Day patterns kept at once, for every meter together (about 16 kB each): enough for the
#: patterns of the meters in session at once; the others are built again when next asked.
PATTERN_CACHE: Final = 2048


@functools.lru_cache(maxsize=PATTERN_CACHE)
def shared_pattern(char: MeterCharacter, key: tuple[int, int, int]) -> DayPattern:
    """:func:`build_pattern`, shared by every model of one character and bounded in number:
    a meter keeps no pattern of its own, so a fleet's memory does not grow with its days."""
    return build_pattern(char, key)


@functools.cache
def _ranking(kind: CustomerKind, variant: int, key: tuple[int, int, int], export: bool) -> bytes:
    """The day's slots with a non-zero base, largest base first, the earlier slot first among
    equals (one byte per slot); shared by every meter of one kind and variant."""
    values = base_shape(kind, variant, key)[int(export)]
    order: list[int] = sorted((s for s in range(SLOTS) if values[s]), key=lambda s: (-values[s], s))
    return bytes(order)


def day_best(
    char: MeterCharacter, key: tuple[int, int, int], export: bool, slots: int = SLOTS
) -> tuple[int, int]:
    """:meth:`DayPattern.best` of the meter's pattern without building it: the interval
    energy is ``peak × base // 4·10⁹``, which never decreases with the base, so the largest
    energy is the first slot (before ``slots``) in the shared ranking, and the earliest slot
    of that energy is among the few ranked right after it."""
    peak = char.peak_w
    values = base_shape(char.kind, char.variant, key)[int(export)]
    best, slot = 0, -1
    for s in _ranking(char.kind, char.variant, key, export):
        energy = peak * values[s] // 4_000_000_000
        if slot >= 0:
            if energy < best:
                break
            if s < slot:
                slot = s
        elif s < slots:
            if energy == 0:
                break
            best, slot = energy, s
    return best, slot


def build_pattern(char: MeterCharacter, key: tuple[int, int, int]) -> DayPattern:
    """One day pattern of one meter: integer arithmetic only, so every sum is exact."""
    imp_base, exp_base = base_shape(char.kind, char.variant, key)
    peak = char.peak_w
    # Wh in 15 minutes = W / 4; the base is in 10^-9 of the peak.
    imports = _ints([peak * b // 4_000_000_000 for b in imp_base])
    exports = _ints([peak * b // 4_000_000_000 for b in exp_base]) if any(exp_base) else _NO_ENERGY
    regs: list[Sequence[int]] = [
        *(_ints([v * m for v, m in zip(imports, mask, strict=True)]) for mask in _ZONE_MASKS),
        exports,
        _ints([v * char.inductive // 1000 for v in imports]),
        _ints([(e or i) * char.q2 // 1000 for i, e in zip(imports, exports, strict=True)]),
        _ints([e * char.q3 // 1000 for e in exports]),
        _ints([v * char.capacitive // 1000 for v in imports]),
    ]
    prefix = tuple(_ints(itertools.accumulate(r, initial=0)) for r in regs)
    return DayPattern(
        energy=tuple(regs),
        prefix=prefix,
        totals=tuple(p[SLOTS] for p in prefix),
        imports=imports,
        exports=exports,
        import_max=_ints(itertools.accumulate(imports, max, initial=0)),
        export_max=_ints(itertools.accumulate(exports, max, initial=0)),
    )

"""Pure scheduling arithmetic: plan due times, retry back-off, the load-profile gap to read.

No I/O here, so each rule can be tested on its own and explained in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from osos.domain import Generation, MeterKind
from osos.errors import InvalidInput
from osos.timeutil import LOCAL_TZ, UTC

BALANCING_UNIT = "balancing_unit"
GENERATION = "generation"
DEFAULT = "default"
SERVICE_CLASSES = (BALANCING_UNIT, GENERATION, DEFAULT)
PURPOSES = ("readout", "profile")


def purposes_for(kind: MeterKind) -> tuple[str, ...]:
    """What the plans read from a meter of ``kind``: an electricity meter its readout and its
    15-minute load profile; a water, gas or heat meter its readout only (the store's profile
    rows are electricity channels, so a medium's logger profile is not read)."""
    return PURPOSES if kind is MeterKind.ELECTRICITY else ("readout",)


def service_class(*, balancing_unit: bool, generation: Generation | str | None) -> str:
    """The plan class of a service point: balancing units first, then generation, else default."""
    if balancing_unit:
        return BALANCING_UNIT
    if generation is not None and Generation(generation) is not Generation.NONE:
        return GENERATION
    return DEFAULT


def due_slot(now: dt.datetime, every_minutes: int, offset_minutes: int = 0) -> dt.datetime:
    """The latest due time at or before ``now``: local midnight + offset + k × every (UTC).

    Slots are counted from local midnight so that "daily at 01:00" means 01:00 Turkish time.
    """
    if every_minutes <= 0:
        raise InvalidInput(f"a plan's interval must be positive, got {every_minutes} min")
    local = now.astimezone(LOCAL_TZ)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = (local - midnight) / dt.timedelta(minutes=1)
    k = (minutes - offset_minutes) // every_minutes
    slot = midnight + dt.timedelta(minutes=offset_minutes + k * every_minutes)
    return slot.astimezone(UTC)


def next_due(now: dt.datetime, every_minutes: int, offset_minutes: int = 0) -> dt.datetime:
    """The first due time strictly after ``now``."""
    return due_slot(now, every_minutes, offset_minutes) + dt.timedelta(minutes=every_minutes)


@dataclass(frozen=True)
class Backoff:
    """Retry delays: ``base × factor^(attempt-1)``, capped; attempts are bounded elsewhere.

    ``jitter`` shortens each delay by up to that fraction, spread by ``key`` (the job id), so
    that a thousand meters that failed together (an APN outage) do not all call again in the
    same second. Never longer than the nominal delay; ``key`` 0 gives the nominal delay.
    """

    base: dt.timedelta = dt.timedelta(minutes=1)
    factor: int = 2
    cap: dt.timedelta = dt.timedelta(hours=1)
    jitter: float = 0.2

    def delay(self, attempt: int, key: int = 0) -> dt.timedelta:
        """The wait after the ``attempt``-th failed attempt (1-based)."""
        if attempt < 1:
            raise InvalidInput(f"attempts count from 1, got {attempt}")
        exponent = min(attempt - 1, 30)  # beyond this the cap applies anyway
        delay: dt.timedelta = min(self.cap, self.base * self.factor**exponent)
        spread = (key * 2654435761 % 1000) / 1000  # Knuth's multiplicative hash, in [0, 1)
        return delay * (1 - self.jitter * spread)


def floor_to(when: dt.datetime, period: dt.timedelta) -> dt.datetime:
    """``when`` rounded down to the period grid (UTC epoch grid; 15 and 60 min match local)."""
    epoch = dt.datetime(2000, 1, 1, tzinfo=UTC)
    return when - (when - epoch) % period


def profile_gap(
    last_end: dt.datetime | None,
    now: dt.datetime,
    *,
    period: dt.timedelta = dt.timedelta(minutes=15),
    initial: dt.timedelta = dt.timedelta(days=1),
    max_backfill: dt.timedelta = dt.timedelta(days=40),
) -> tuple[dt.datetime, dt.datetime] | None:
    """The range of interval ends to ask for: after the newest stored one, up to the last
    closed interval; None when nothing is missing.

    The start is one minute after the last stored end (requests are inclusive and carry
    minutes), so nothing stored is asked again and nothing after it is skipped. A meter never
    read starts ``initial`` back; an outage back-fills at most ``max_backfill`` (what meters
    keep).
    """
    end = floor_to(now, period)
    start = end - initial if last_end is None else last_end + dt.timedelta(minutes=1)
    start = max(start, end - max_backfill)
    if start > end:
        return None
    return start, end


def session_reads(purposes: set[str], profile: bool | None, has_profile: bool) -> tuple[bool, bool]:
    """(profile, readout) this session reads. A water, gas or heat meter keeps no profile the
    store takes: a profile asked of it (a dial-in's gap, ``osos read --profile-from``) is its
    readout instead."""
    want_profile = "profile" in purposes if profile is None else profile
    if want_profile and not has_profile:
        return False, True
    return want_profile, "readout" in purposes

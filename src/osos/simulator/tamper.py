"""Tampering as the meter lives it: from a start time on, part of the energy goes uncounted
(a by-pass, a lost phase voltage), the phase values show it, and the event registers keep
the openings and the magnet. A function of time like the rest of the model, so every
readout and profile of any moment agrees with every other.

- ``bypass``: only :data:`BYPASS_PERMILLE` of the load passes the meter (its currents too).
- ``phase_loss``: L3 shows no voltage while its current flows; L3's share is not counted
  (96.77.3*1 records the voltage failure, still going).
- ``cover_open`` / ``main_cover``: 96.71 (with its counter) / 96.70 show the opening.
- ``magnetic``: 96.77.4*1 records a field of :data:`MAGNET_MINUTES` from the start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

BYPASS_PERMILLE: Final = 300
MAGNET_MINUTES: Final = 45
LOST_PHASE: Final = 2  # L3

Registers = tuple[int, ...]
Events = Mapping[str, tuple[dt.datetime, dt.datetime | None]]  # fault → (start, end), meter clock


@dataclass
class Tampering:
    """What was done to one meter and since when (true time), by fault name."""

    since: dict[str, dt.datetime] = field(default_factory=dict)
    # True registers at each reduction's start: asked for at every later interval, and far
    # behind the model's recent day checkpoints (a walk from installation each time otherwise).
    _at_start: dict[dt.datetime, Registers] = field(default_factory=dict, repr=False)

    def begin(self, fault: str, at: dt.datetime) -> None:
        self.since[fault] = at

    def clear(self, fault: str | None = None) -> None:
        if fault is None:
            self.since.clear()
        else:
            self.since.pop(fault, None)
        self._at_start.clear()

    def _reductions(self, shares: tuple[int, ...]) -> list[tuple[dt.datetime, int, int]]:
        """(start, numerator, denominator) of the counted share, by start."""
        out = []
        if "bypass" in self.since:
            out.append((self.since["bypass"], BYPASS_PERMILLE, 1000))
        if "phase_loss" in self.since and len(shares) > LOST_PHASE:
            total = sum(shares)
            out.append((self.since["phase_loss"], total - shares[LOST_PHASE], total))
        return sorted(out)

    def metered(
        self,
        when: dt.datetime,
        true_registers: Callable[[dt.datetime], Registers],
        shares: tuple[int, ...],
    ) -> Registers:
        """Registers as counted: up to the first start the true ones, then each segment's
        growth times the shares counted since (exact integers, floor, so never decreasing)."""
        reductions = self._reductions(shares)
        if not reductions or when <= reductions[0][0]:
            return true_registers(when)
        starts = self._at_start
        for start, _, _ in reductions:
            if start not in starts:
                starts[start] = true_registers(start)
        values = list(starts[reductions[0][0]])
        num, den = 1, 1
        for k, (start, n, d) in enumerate(reductions):
            if when <= start:
                break
            num, den = num * n, den * d
            upto = min(when, reductions[k + 1][0]) if k + 1 < len(reductions) else when
            low = starts[start]
            high = starts[upto] if upto in starts else true_registers(upto)
            values = [v + (b - a) * num // den for v, a, b in zip(values, low, high, strict=True)]
        return tuple(values)

    def phases(
        self, end: dt.datetime, volts: list[int], amps: list[int]
    ) -> tuple[list[int], list[int]]:
        """Phase values of the interval ending at ``end`` as the meter measures them."""
        bypass = self.since.get("bypass")
        if bypass is not None and end > bypass:
            amps = [a * BYPASS_PERMILLE // 1000 // 10 * 10 for a in amps]
        lost = self.since.get("phase_loss")
        if lost is not None and end > lost and len(volts) > LOST_PHASE:
            volts = [0 if k == LOST_PHASE else v for k, v in enumerate(volts)]
        return volts, amps

    def events(
        self, now: dt.datetime, meter_time: Callable[[dt.datetime], dt.datetime]
    ) -> dict[str, tuple[dt.datetime, dt.datetime | None]]:
        """The events a readout at ``now`` shows (started by then; an end once it is past),
        stamped by the meter's clock."""
        out: dict[str, tuple[dt.datetime, dt.datetime | None]] = {}
        for fault in ("cover_open", "main_cover", "phase_loss", "magnetic"):
            start = self.since.get(fault)
            if start is None or start > now:
                continue
            end: dt.datetime | None = start
            if fault == "phase_loss":
                end = None
            elif fault == "magnetic":
                over = start + dt.timedelta(minutes=MAGNET_MINUTES)
                end = over if over <= now else None
            out[fault] = (meter_time(start), None if end is None else meter_time(end))
        return out


def event_value(address: str, events: Events, stamp: Callable[[dt.datetime | None], str]) -> str:
    """The text of an event register (``96.71``, ``96.77.4*1``…) for a readout's events;
    ``stamp`` writes a meter-clock time in the family's format (None: the null stamp)."""

    def pair(fault: str) -> str:
        start, end = events.get(fault, (None, None))
        return f"{stamp(start)},{stamp(end)}"

    def counter(fault: str) -> str:
        return "01" if fault in events else "00"

    texts: dict[str, Callable[[], str]] = {
        "96.70": lambda: stamp(events.get("main_cover", (None, None))[0]),
        "96.71": lambda: (
            f"{stamp(events.get('cover_open', (None, None))[0])})({counter('cover_open')}"
        ),
        "96.7.3": lambda: counter("phase_loss"),
        "96.77.3*1": lambda: pair("phase_loss"),
        "96.77.4": lambda: counter("magnetic"),
        "96.77.4*1": lambda: pair("magnetic"),
    }
    return texts[address]()

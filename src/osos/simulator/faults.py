"""Faults a virtual meter (or its modem) can be told to have, per meter, on demand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from osos.errors import InvalidInput
from osos.timeutil import local_date, local_midnight


class Fault(StrEnum):
    NO_ANSWER = "no_answer"  # the modem accepts the call, the meter never replies
    DROP = "drop"  # the connection drops halfway through the first long block
    BAD_BCC = "bad_bcc"  # every data block carries a wrong BCC (repeats are wrong too)
    WRONG_PASSWORD = "wrong_password"  # the meter rejects every password, the right one too
    GARBAGE = "garbage"  # line noise instead of every answer
    NOISE = "noise"  # line noise before every answer (the answer itself is intact)
    SLOW_BAUD = "slow_baud"  # bytes paced as at 300 Bd, whatever was negotiated
    CLOCK_OFF = "clock_off"  # the clock jumps far off (until the head-end sets it)
    # Tampering (see tamper.py): the meter's state from a start time on, not per call.
    COVER_OPEN = "cover_open"  # terminal cover opened (96.71 stamp and counter)
    MAIN_COVER = "main_cover"  # main cover opened (96.70)
    MAGNETIC = "magnetic"  # a magnet held on the meter for a while (96.77.4*1 record)
    PHASE_LOSS = "phase_loss"  # L3 voltage link opened: no voltage, current flows, unmetered
    BYPASS = "bypass"  # most of the load bypasses the meter


#: Faults of the meter itself rather than of a call (never drawn by ``random_faults``).
TAMPERS = frozenset(
    {Fault.COVER_OPEN, Fault.MAIN_COVER, Fault.MAGNETIC, Fault.PHASE_LOSS, Fault.BYPASS}
)


def tamper_start(now: dt.datetime) -> dt.datetime:
    """When a tamper fault set without a time began: 10:30 local, seven days before ``now``."""
    return local_midnight(local_date(now) - dt.timedelta(days=7)) + dt.timedelta(
        hours=10, minutes=30
    )


#: How far CLOCK_OFF moves the clock, seconds.
CLOCK_OFF_SECONDS = 2 * 3600 + 17 * 60


@dataclass
class FaultState:
    """Active faults of one meter: fault → sessions left (None = until cleared)."""

    active: dict[Fault, int | None] = field(default_factory=dict)

    def set(self, fault: Fault, count: int | None = None) -> None:
        if count is not None and count < 1:
            raise InvalidInput(f"fault count must be at least 1 or None, got {count}")
        self.active[fault] = count

    def clear(self, fault: Fault | None = None) -> None:
        if fault is None:
            self.active.clear()
        else:
            self.active.pop(fault, None)

    def begin_session(self) -> frozenset[Fault]:
        """The faults of the session starting now; counted ones lose one session."""
        current = frozenset(self.active)
        for fault, left in list(self.active.items()):
            if left is None:
                continue
            if left <= 1:
                del self.active[fault]
            else:
                self.active[fault] = left - 1
        return current


def parse_fault_option(text: str) -> list[tuple[str, Fault]]:
    """``SERIAL=kind[,kind…]`` (several separated by ``;`` or spaces) → (serial, fault) pairs.

    Raises ValueError naming the bad part.
    """
    pairs: list[tuple[str, Fault]] = []
    for part in text.replace(";", " ").split():
        serial, eq, kinds = part.partition("=")
        if not eq or not serial or not kinds:
            raise InvalidInput(f"fault option {part!r} must be SERIAL=kind[,kind…]")
        for kind in kinds.split(","):
            try:
                pairs.append((serial, Fault(kind.strip().lower().replace("-", "_"))))
            except ValueError:
                names = ", ".join(f.value for f in Fault)
                raise InvalidInput(f"unknown fault {kind!r} for {serial}; known: {names}") from None
    return pairs

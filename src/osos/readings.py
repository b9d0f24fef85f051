"""What a meter read gives, as domain values: the vocabulary between a protocol's adapter and
the store.

Each protocol (IEC 62056-21, DLMS/COSEM) has an adapter that turns its frames into these values
with every time already resolved to aware UTC; the store stores them, and nothing above the
store asks the codec again what a value meant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from osos.errors import InvalidInput
from osos.obis import normalize_obis
from osos.timeutil import UTC


def aware_utc(value: dt.datetime, what: str) -> dt.datetime:
    """``value`` in UTC; a naive time is refused (its zone would be a guess)."""
    if value.tzinfo is None:
        raise InvalidInput(f"{what} {value!r} is naive: osos stores aware UTC times only")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class ClockCheck:
    """The meter's clock against the head-end's at one read, and the set that followed (any
    protocol)."""

    meter_time: dt.datetime
    head_end_time: dt.datetime
    drift: dt.timedelta
    set_to: dt.datetime | None = None
    accepted: bool | None = None


#: How far before the first interval end wanted an event-log read starts. The previous session
#: read events up to its own moment but stored intervals only to the quarter before it: events
#: between that moment and the next quarter end would fall between two reads. Events read twice
#: are one finding (a finding is its point, kind and start).
EVENT_LOG_LEAD: Final = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class ReadValue:
    """One register of a readout: the address as written, its normalised OBIS, the exact text,
    the number when it is one, and the time the meter stamped on it (a demand peak, a freeze,
    a reset time written as the value itself) — resolved once, by the protocol's adapter."""

    address: str
    obis: str = ""
    value: str = ""
    number: Decimal | None = None
    unit: str | None = None
    value_time: dt.datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "obis", normalize_obis(self.obis or self.address))
        if self.value_time is not None:
            object.__setattr__(self, "value_time", aware_utc(self.value_time, "value_time"))


@dataclass(frozen=True)
class IntervalRecord:
    """One load-profile interval, named by its END (as meters stamp it), values by OBIS."""

    end_at: dt.datetime
    values: Mapping[str, Decimal] = field(default_factory=dict)
    status: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "end_at", aware_utc(self.end_at, "end_at"))


@dataclass(frozen=True)
class CaptureReadings:
    """What one captured response held (a readout, a load profile, or both), as domain values:
    what a hand-held terminal or a file brings in without a call."""

    values: tuple[ReadValue, ...]
    records: tuple[IntervalRecord, ...]
    identification: str | None
    meter_time: dt.datetime | None
    warnings: tuple[str, ...] = ()

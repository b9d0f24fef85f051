"""A meter clock's offset from true time, as segments: set, drifting, jumping over times."""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field

from osos.timeutil import UTC


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

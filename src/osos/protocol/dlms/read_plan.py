"""What one DLMS session is asked to read (:class:`ReadPlan`) and what it gave
(:class:`ReadResult`): the reader's inputs and outputs, kept apart from its transitions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from osos.readings import ClockCheck, IntervalRecord, ReadValue


@dataclass(frozen=True)
class ReadPlan:
    """What to read in one session. ``registers``: osos codes (None: the profile's whole
    table); ``profile_from``: the last stored interval end (rows after it are read)."""

    registers: tuple[str, ...] | None = None
    clock: bool = True
    max_drift: dt.timedelta | None = None  # set the clock when the drift exceeds this
    profile_from: dt.datetime | None = None
    profile_to: dt.datetime | None = None
    profile_chunk: dt.timedelta | None = None  # one range GET per chunk (None: one for all)


@dataclass
class ReadResult:
    values: list[ReadValue] = field(default_factory=list)
    records: list[IntervalRecord] = field(default_factory=list)
    clock: ClockCheck | None = None
    errors: list[str] = field(default_factory=list)
    transcript: list[tuple[str, bytes]] = field(default_factory=list)
    invocation_counter: int | None = None  # the last one the client used (None: unciphered)
    events: list[tuple[dt.datetime, str]] = field(default_factory=list)  # the event logs'
    event_logs_read: int = 0  # event-log buffers that answered (their events are in events)
    event_frames: tuple[int, int] | None = None  # transcript[a:b]: the event-log exchanges

    @property
    def event_log_raw(self) -> bytes:
        """The frames of the event-log reads, in wire order (what is stored with them)."""
        if self.event_frames is None:
            return b""
        first, last = self.event_frames
        return b"".join(frame for _direction, frame in self.transcript[first:last])

"""Where a reading session's results wait: in memory, prepared as rows, until the session's
record goes to the write-behind queue (:mod:`osos.headend.writer`), which stores many
sessions in one transaction through the one ingest path. The scheduler's own database work
(planning, claiming) runs in worker threads behind a gate, keeping the event loop free for
thousands of slow modem sessions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from osos.domain import ReadSource
from osos.headend.flush import ProfilePart
from osos.headend.readplan import EventLogData, ProfileChunk, ReadoutData
from osos.readings import ClockCheck, ReadValue
from osos.store.ingest import PreparedReadout, prepare_values
from osos.store.intervals import interval_tuple
from osos.timeutil import Clock, to_local

log = logging.getLogger(__name__)
T = TypeVar("T")


def _local(when: dt.datetime) -> str:
    return to_local(when).strftime("%Y-%m-%d %H:%M")


class Database:
    """Run a unit of work in a thread, in its own transaction, behind a concurrency gate."""

    def __init__(self, sessions: sessionmaker[Session], *, parallel: int) -> None:
        self.sessions = sessions
        self._gate = asyncio.Semaphore(parallel)

    async def run(self, work: Callable[[Session], T]) -> T:
        async with self._gate:
            return await asyncio.to_thread(self._transaction, work)

    def _transaction(self, work: Callable[[Session], T]) -> T:
        with self.sessions.begin() as session:
            return work(session)


class MemorySink:
    """A :class:`~osos.headend.reading.ReadSink` that keeps what a session read, prepared as
    rows (values checked now, so the store's refusal fails the step that read them), until
    the session's record goes to the write-behind queue in one piece."""

    def __init__(
        self,
        *,
        meter_id: int,
        serial: str,
        clock: Clock,
        source: ReadSource = ReadSource.HEADEND,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.progress = progress
        self.meter_id = meter_id
        self.serial = serial
        self._clock = clock
        self.source = source
        self.values: tuple[ReadValue, ...] = ()
        self.readout_data: PreparedReadout | None = None
        self.profiles: list[ProfilePart] = []
        self.last_end: dt.datetime | None = None
        self.clock_check: ClockCheck | None = None

    async def readout(self, data: ReadoutData) -> None:
        self.readout_data = PreparedReadout(
            meter_id=self.meter_id,
            read_at=self._clock.now(),
            raw=data.raw,
            kind="readout",
            source=self.source,
            identification=data.identification[:64] or None,
            meter_time=data.meter_time,
            values=prepare_values(data.values),
        )
        self.values = data.values
        self.say(f"readout: {len(data.values)} values read")

    async def profile(self, chunk: ProfileChunk) -> None:
        rows = tuple(interval_tuple(self.meter_id, r) for r in chunk.records)
        raw = PreparedReadout(
            meter_id=self.meter_id,
            read_at=self._clock.now(),
            raw=chunk.raw,
            kind="profile",
            source=self.source,
            identification=chunk.identification[:64] or None,
            meter_time=None,
        )
        self.profiles.append(ProfilePart(raw, rows))
        self.say(
            f"load profile {_local(chunk.requested_from)} … {_local(chunk.requested_to)}: "
            f"{len(chunk.records)} intervals"
            + ("" if chunk.complete else ", line dropped: kept what arrived whole")
        )
        ends = [record.end_at for record in chunk.records]
        if ends and (self.last_end is None or max(ends) > self.last_end):
            self.last_end = max(ends)

    async def event_log(self, data: EventLogData) -> None:
        """Kept as a response of kind ``event_log`` (its bytes, its events as ``P.98*k``
        values), written with the session's profile responses."""
        raw = PreparedReadout(
            meter_id=self.meter_id,
            read_at=self._clock.now(),
            raw=data.raw,
            kind="event_log",
            source=self.source,
            identification=data.identification[:64] or None,
            meter_time=None,
            values=prepare_values(data.values),
        )
        self.profiles.append(ProfilePart(raw, ()))
        self.say(f"event log: {len(data.values)} event(s)")

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(f"{self.serial}: {text}")

    async def clock(self, check: ClockCheck) -> None:
        self.clock_check = check
        self.say(f"meter clock {round(check.drift.total_seconds()):+d} s off")
        if check.set_to is not None:
            log.info(
                "meter %s: clock drift %+.0f s, set to %s (%s)",
                self.serial,
                check.drift.total_seconds(),
                check.set_to.isoformat(),
                "accepted" if check.accepted else "rejected",
            )

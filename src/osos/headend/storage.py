"""Where a reading session's results go: the store, through the one ingest path.

Database work is synchronous SQLAlchemy, so it runs in worker threads behind a gate (one at a
time on SQLite, which has one writer; a few on PostgreSQL), keeping the event loop free for
thousands of slow modem sessions. Each readout or profile chunk is one transaction with the
rows it produced: a drop later in the session never undoes what was stored complete.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from osos import audit
from osos.domain import DataSource, ReadSource
from osos.headend.readplan import ClockCheck, ProfileChunk, ReadoutData
from osos.readings import ReadValue
from osos.store.ingest import store_readout
from osos.store.intervals import ProfileIngestResult, store_profile
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


class StoreSink:
    """A :class:`~osos.headend.reading.ReadSink` that stores into the database as data arrives."""

    def __init__(
        self,
        db: Database,
        *,
        meter_id: int,
        serial: str,
        clock: Clock,
        comm_log_id: int | None,
        source: ReadSource = ReadSource.HEADEND,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.progress = progress
        self.meter_id = meter_id
        self.serial = serial
        self._clock = clock
        self.comm_log_id = comm_log_id
        self.source = source
        self.values: tuple[ReadValue, ...] = ()
        self.readout_id: int | None = None
        self.ingested = ProfileIngestResult()
        self.last_end: dt.datetime | None = None
        self.clock_check: ClockCheck | None = None

    async def readout(self, data: ReadoutData) -> None:
        read_at = self._clock.now()

        def work(session: Session) -> int:
            return store_readout(
                session,
                meter_id=self.meter_id,
                read_at=read_at,
                raw=data.raw,
                values=data.values,
                source=self.source,
                kind="readout",
                identification=data.identification[:64] or None,
                meter_time=data.meter_time,
                comm_log_id=self.comm_log_id,
            ).readout_id

        self.readout_id = await self.db.run(work)
        self.values = data.values
        self._say(f"readout: {len(data.values)} values stored")

    async def profile(self, chunk: ProfileChunk) -> None:
        read_at = self._clock.now()

        def work(session: Session) -> ProfileIngestResult:
            stored = store_readout(
                session,
                meter_id=self.meter_id,
                read_at=read_at,
                raw=chunk.raw,
                values=(),
                source=self.source,
                kind="profile",
                identification=chunk.identification[:64] or None,
                comm_log_id=self.comm_log_id,
            )
            return store_profile(
                session,
                meter_id=self.meter_id,
                records=chunk.records,
                readout_id=stored.readout_id,
                source=DataSource.ACTUAL,
                actor="headend",
            )

        result = await self.db.run(work)
        self.ingested = self.ingested + result
        self._say(
            f"load profile {_local(chunk.requested_from)} … {_local(chunk.requested_to)}: "
            f"{len(chunk.records)} intervals ({result.inserted} new)"
            + ("" if chunk.complete else ", line dropped: kept what arrived whole")
        )
        ends = [record.end_at for record in chunk.records]
        if ends and (self.last_end is None or max(ends) > self.last_end):
            self.last_end = max(ends)

    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(f"{self.serial}: {text}")

    async def clock(self, check: ClockCheck) -> None:
        self.clock_check = check
        self._say(f"meter clock {round(check.drift.total_seconds()):+d} s off")
        if check.set_to is None:
            return
        log.info(
            "meter %s: clock drift %+.0f s, set to %s (%s)",
            self.serial,
            check.drift.total_seconds(),
            check.set_to.isoformat(),
            "accepted" if check.accepted else "rejected",
        )

        def work(session: Session) -> None:
            audit.record(
                session,
                actor="headend",
                action="meter.time_set",
                object_type="meter",
                object_id=self.meter_id,
                detail={
                    "serial": self.serial,
                    "meter_time": check.meter_time.isoformat(),
                    "set_to": check.set_to.isoformat() if check.set_to else None,
                    "drift_s": check.drift.total_seconds(),
                },
                outcome="ok" if check.accepted else "failed",
            )

        await self.db.run(work)

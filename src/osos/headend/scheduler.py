"""The head-end loop: plans → jobs → sessions (bounded, one per modem) → store and log.

Each tick (one transaction: heartbeat, plan, claim, the claimed meters' targets and newest
stored intervals) creates the jobs whose plan slot has come, claims due jobs up to the free
capacity and starts one task per meter (all of a meter's due jobs in one session). Sessions run
under a semaphore (``concurrency``) and a lock per modem — across processes too, through
:mod:`osos.headend.locks` on PostgreSQL. A session touches no database: what it reads waits in
memory and goes, as one record, to the write-behind queue (:mod:`osos.headend.writer`), which
stores many sessions per transaction off the event loop and rides out a database outage. A
failed attempt is retried after an exponential back-off, a bounded number of times; a
load-profile read always asks for what is missing since the newest stored interval, so an
outage is back-filled and a line dropped mid-profile resumes where the stored data ends.
Dead workers are found and their jobs returned by :mod:`osos.headend.workers`.

Hooks: ``run_headend(after_tick=…)`` are called after every tick with ``(runtime, now)``; sync
hooks run in a worker thread, async ones are awaited. The composition root (:mod:`osos.app`)
passes the upkeep and delivery hooks, so nothing here knows the layers above.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.headend import frame_counters, jobs, workers
from osos.headend.config import (
    Connector,
    HeadendConfig,
    MeterReadReport,
    read_request,
    tcp_connector,
)
from osos.headend.flush import Released, SessionRecord, SessionStored, Started, flush_items
from osos.headend.jobs import JobView, MeterTarget
from osos.headend.locks import AdvisoryLocks, LocalLocks
from osos.headend.plans import profile_gap, session_reads
from osos.headend.readplan import ReadOutcome, ReadRequest
from osos.headend.records import prepare_dial_in, prepare_read_now
from osos.headend.session_run import Crashed, deferred, first_line, report, run_link
from osos.headend.storage import Database, MemorySink
from osos.headend.writer import WriteBehind, WriterConfig, transient
from osos.runtime import Runtime
from osos.store.intervals import last_profile_end, last_profile_ends
from osos.timeutil import Clock, SystemClock
from osos.transport.base import Transport, loop_time

log = logging.getLogger(__name__)


class Scheduler:
    """Plans, claims and runs read jobs; see the module text."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        clock: Clock | None = None,
        config: HeadendConfig | None = None,
        connector: Connector = tcp_connector,
        writer: WriterConfig | None = None,
    ) -> None:
        self.runtime = runtime
        self.clock = clock or SystemClock()
        self.config = config or HeadendConfig()
        self.connector = connector
        sqlite = runtime.is_sqlite
        self.db = Database(runtime.sessions, parallel=1 if sqlite else 4)
        self.locks: LocalLocks = LocalLocks() if sqlite else AdvisoryLocks(runtime.engine)
        backoff = self.config.backoff
        self.writer = WriteBehind(
            runtime.sessions, lambda session, items: flush_items(session, items, backoff), writer
        )
        self._sessions = asyncio.Semaphore(self.config.concurrency)
        self._modems: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task[MeterReadReport | None]] = set()
        # Reports since the last drain (for --once, osos read and tests); run_headend turns this
        # off so that a long-running head-end keeps no history in memory.
        self.keep_reports = True
        # Progress lines for a person watching (``osos read``); None in the loop.
        self.progress: Callable[[str], None] | None = None
        self.reports: list[MeterReadReport] = []
        self._planned_at: dt.datetime | None = None
        self._purged_at: dt.datetime | None = None
        self._started = False

    # -- the loop

    def _due(self, last: dt.datetime | None, now: dt.datetime, every: dt.timedelta) -> bool:
        return last is None or now - last >= every or now < last

    async def tick(self) -> int:
        """Create due jobs, claim what fits, start sessions; returns meters started. While the
        database is away or the write-behind queue is backed up, nothing new starts."""
        now = self.clock.now()
        plan = self._due(self._planned_at, now, self.config.plan_every)
        try:
            if not self._started or plan:
                await self._recover(now)
            if self.writer.backed_up:
                return 0
            created, claimed, targets, last_ends = await self.db.run(
                lambda session: self._plan_and_claim(session, now, plan)
            )
        except Exception as exc:
            if not transient(exc):
                raise
            log.error("tick %s: database unavailable (%s)", now.isoformat(), first_line(exc))
            return 0
        if plan:
            self._planned_at = now
        by_meter: defaultdict[int, list[JobView]] = defaultdict(list)
        for job in claimed:
            by_meter[job.meter_id].append(job)
        for target in targets:
            last = last_ends.get(target.meter_id)
            self._start(self.read_meter(target, by_meter[target.meter_id], last_end=(last,)))
        if created or claimed:
            log.info(
                "tick %s: %d job(s) planned, %d claimed, %d meter session(s) running",
                now.isoformat(timespec="seconds"),
                created,
                len(claimed),
                len(self._tasks),
            )
        return len(targets)

    def _plan_and_claim(
        self, session: Session, now: dt.datetime, plan: bool
    ) -> tuple[int, list[JobView], list[MeterTarget], dict[int, dt.datetime]]:
        config = self.config
        created = 0
        workers.heartbeat(session, config.worker, now)
        if self._due(self._purged_at, now, dt.timedelta(hours=1)):
            jobs.purge_finished(session, now - config.job_retention)
            self._purged_at = now
        if plan:
            jobs.release_stale(session, now, config.stale_after)
            created = jobs.create_due_jobs(session, now, max_attempts=config.max_attempts)
        free = max(0, 2 * config.concurrency - len(self._tasks))
        claimed = jobs.claim_jobs(session, now, worker=config.worker, limit=free) if free else []
        meter_ids = sorted({job.meter_id for job in claimed})
        targets = jobs.meter_targets(session, meter_ids)
        wanted = [m for m in meter_ids if any(j.purpose == "profile" for j in claimed)]
        return created, claimed, targets, last_profile_ends(session, wanted, until=now)

    async def _recover(self, now: dt.datetime) -> None:
        """Take this worker's liveness lock (first tick), then bury the workers that died."""
        if not self._started:
            await self.locks.start(self.config.worker)
            self._started = True
        worker = self.config.worker
        views = await self.db.run(lambda session: workers.others(session, worker))
        dead = await workers.find_dead(views, self.locks, now, self.config.dead_after)

        def bury(session: Session) -> int:
            returned = sum(workers.bury(session, view, now) for view in dead)
            return returned + workers.close_orphan_attempts(session, now)

        if await self.db.run(bury) or dead:
            names = ", ".join(v.worker for v in dead) or "an earlier head-end"
            log.warning("recovered the jobs and attempts of %s", names)

    def _start(self, work: Awaitable[MeterReadReport | None]) -> None:
        task: asyncio.Task[MeterReadReport | None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[MeterReadReport | None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("meter session crashed: %r", exc, exc_info=exc)
            return
        report = task.result()
        if report is not None and self.keep_reports:
            self.reports.append(report)

    async def drain(self) -> list[MeterReadReport]:
        """Wait for every running session (and its write); returns (and forgets) reports."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.writer.close()
        reports, self.reports = self.reports, []
        return reports

    async def run_once(self) -> list[MeterReadReport]:
        """Read every meter that is due now (ticks until nothing due is left), then return."""
        reports: list[MeterReadReport] = []
        try:
            while await self.tick():
                reports += await self.drain()
            return reports + await self.drain()
        finally:
            await self.close()

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.close()

    async def close(self) -> None:
        """Write what is waiting and free this worker's locks (a next tick takes them again)."""
        await self.writer.close()
        await self.locks.close()
        self._started = False

    # -- one meter

    async def read_meter(
        self,
        target: MeterTarget,
        job_list: Sequence[JobView],
        *,
        link: Transport | None = None,
        profile: bool | None = None,
        last_end: tuple[dt.datetime | None] | None = None,
    ) -> MeterReadReport:
        """One session for a meter's jobs (or, with no jobs, the profile gap: dial-in).
        ``last_end``: the newest stored interval when the caller knows it (the tick does)."""
        async with self._modems[target.modem], self._sessions:
            if link is None and not await self._take_modem(target):
                await self.writer.submit(Released(tuple(j.id for j in job_list), self.clock.now()))
                return deferred(target)
            try:
                record, sink, request = await self._run_session(
                    target, job_list, link, profile, last_end
                )
            finally:
                if link is None:
                    await self.locks.release(target.modem)
        stored: SessionStored = await self.writer.submit(record)
        if isinstance(record.outcome, Crashed):
            raise record.outcome.exc
        return report(target, record, sink, request, stored)

    async def _take_modem(self, target: MeterTarget) -> bool:
        """The modem, across processes; waits (bounded) while another head-end holds it."""
        deadline = loop_time() + self.config.modem_wait.total_seconds()
        while not await self.locks.acquire(target.modem):
            if loop_time() >= deadline:
                return False
            await asyncio.sleep(0.2)
        return True

    async def _run_session(
        self,
        target: MeterTarget,
        job_list: Sequence[JobView],
        link: Transport | None,
        profile: bool | None,
        last_end: tuple[dt.datetime | None] | None,
    ) -> tuple[SessionRecord, MemorySink | None, ReadRequest]:
        purposes = {job.purpose for job in job_list}
        want_profile, readout = session_reads(purposes, profile, target.load_profile)
        explicit = next(
            (j for j in job_list if j.purpose == "profile" and j.resume_from is not None), None
        )
        now = self.clock.now()
        profile_range = await self._profile_range(target, now, want_profile, explicit, last_end)
        request = read_request(
            target,
            profile_range,
            self.config,
            readout=readout,
            clock_check=any(job.clock_check for job in job_list),
            secrets=self.runtime.meter_secrets,
            dial_in=link is not None,
        )
        record = SessionRecord(
            meter_id=target.meter_id,
            job_list=job_list,
            outcome=ReadOutcome(),
            ended_at=now,
            profile_done=True,
            called=False,
            serial=target.serial,
        )
        if link is None and not request.needs_call:
            return record, None, request  # nothing missing since the last read: no call
        if job_list:
            self.writer.post(Started(tuple(j.id for j in job_list), now))
        record.called = True
        record.started_at = now
        record.direction = CommMode.DIAL_IN if link is not None else CommMode.DIAL_OUT
        record.purpose = ",".join(sorted(purposes)) or "dial_in"
        record.peer = link.peer if link is not None else f"{target.host}:{target.port}"
        sink = self._sink(target, record)
        try:
            counter = await frame_counters.reserve_for(self.db, target.meter_id, request)
            outcome, sent, received, transcript = await run_link(
                target, request, sink, link, self.config, self.connector, self.clock, counter
            )
        except Exception as exc:
            # A bug must not leave the jobs held: record it, let the jobs retry after the
            # back-off, then let the task report the crash.
            outcome, sent, received, transcript = Crashed(exc), 0, 0, b""
        record.outcome, record.traffic = outcome, (sent, received, transcript)
        record.ended_at = self.clock.now()
        record.profile_done = request.profile_from is None or outcome.profile_ok
        record.readout, record.profiles = sink.readout_data, sink.profiles
        record.last_end, record.clock = sink.last_end, sink.clock_check
        return record, sink, request

    def _sink(self, target: MeterTarget, record: SessionRecord) -> MemorySink:
        sink = MemorySink(
            meter_id=target.meter_id, serial=target.serial, clock=self.clock, progress=self.progress
        )
        sink.say(f"calling {record.peer} ({record.purpose})")
        return sink

    async def _profile_range(
        self,
        target: MeterTarget,
        now: dt.datetime,
        wanted: bool,
        explicit: JobView | None,
        last_end: tuple[dt.datetime | None] | None,
    ) -> tuple[dt.datetime, dt.datetime] | None:
        if not wanted:
            return None
        if explicit is not None and explicit.resume_from is not None:
            return (explicit.resume_from, explicit.profile_to or now)
        if last_end is not None:
            (last,) = last_end
        else:
            last = await self.db.run(lambda s: last_profile_end(s, target.meter_id, until=now))
        return profile_gap(
            last,
            now,
            period=self.config.profile_period,
            initial=self.config.initial_backfill,
            max_backfill=self.config.max_backfill,
        )

    # -- entry points besides the loop

    async def read_now(
        self,
        serial: str,
        *,
        profile_from: dt.datetime | None = None,
        profile_to: dt.datetime | None = None,
        readout: bool = True,
        clock_check: bool = True,
    ) -> MeterReadReport:
        """Read one meter at once (``osos read``): its readout, a profile range if given, and
        its clock (set when it drifts beyond the limit) when the registry has its password."""
        now = self.clock.now()

        target, job_list = await self.db.run(
            lambda session: prepare_read_now(
                session,
                serial,
                now,
                worker=self.config.worker,
                readout=readout,
                profile_from=profile_from,
                profile_to=profile_to,
                clock_check=clock_check,
            )
        )
        return await self.read_meter(target, job_list, profile=profile_from is not None)

    async def on_dial_in(self, serial: str, link: Transport) -> None:
        """A modem called in with ``ID:<serial>``: run its due jobs (or fill the profile gap)."""
        now = self.clock.now()

        target, job_list = await self.db.run(
            lambda session: prepare_dial_in(
                session,
                serial,
                now,
                peer=link.peer,
                worker=self.config.worker,
                max_attempts=self.config.max_attempts,
            )
        )
        if target is None:
            log.warning("dial-in from %s: unknown serial %r", link.peer, serial)
            return
        report = await self.read_meter(
            target, job_list, link=link, profile=True if not job_list else None
        )
        if self.keep_reports:
            self.reports.append(report)

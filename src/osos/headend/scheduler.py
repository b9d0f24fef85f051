"""The head-end loop: plans → jobs → sessions (bounded, one per modem) → store and log.

Each tick creates the jobs whose plan slot has come, claims due jobs up to the free capacity
and starts one task per meter (all of a meter's due jobs in one session). Sessions run under a
semaphore (``concurrency``) and a lock per modem. A failed attempt is retried after an
exponential back-off, a bounded number of times; a load-profile read always asks for what is
missing since the newest stored interval, so an outage is back-filled and a line dropped
mid-profile resumes where the stored data ends — no gap, no duplicate.

Hooks: ``run_headend(after_tick=…)`` are called after every tick with ``(runtime, now)``; sync
hooks run in a worker thread, async ones are awaited. The composition root (:mod:`osos.app`)
passes the upkeep and delivery hooks, so nothing here knows the layers above.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.errors import NotFound
from osos.headend import commlog, jobs
from osos.headend.config import (
    Connector,
    HeadendConfig,
    MeterReadReport,
    read_request,
    tcp_connector,
    timeouts_for,
)
from osos.headend.jobs import JobView, MeterTarget
from osos.headend.plans import profile_gap
from osos.headend.reading import MeterReader
from osos.headend.readplan import ReadOutcome, ReadRequest
from osos.headend.records import prepare_dial_in, prepare_read_now, record_session
from osos.headend.storage import Database, StoreSink
from osos.runtime import Runtime
from osos.store.intervals import ProfileIngestResult, last_profile_end
from osos.store.models.headend import ReadJob
from osos.timeutil import Clock, SystemClock
from osos.transport.base import Transport, TransportError

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
    ) -> None:
        self.runtime = runtime
        self.clock = clock or SystemClock()
        self.config = config or HeadendConfig()
        self.connector = connector
        sqlite = runtime.is_sqlite
        self.db = Database(runtime.sessions, parallel=1 if sqlite else 8)
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

    # -- the loop

    def _due(self, last: dt.datetime | None, now: dt.datetime, every: dt.timedelta) -> bool:
        return last is None or now - last >= every or now < last

    async def tick(self) -> int:
        """Create due jobs, claim what fits, start sessions; returns meters started."""
        now = self.clock.now()
        config = self.config
        free = max(0, 2 * config.concurrency - len(self._tasks))
        plan = self._due(self._planned_at, now, config.plan_every)
        purge = self._due(self._purged_at, now, dt.timedelta(hours=1))

        def plan_and_claim(session: Session) -> tuple[int, list[JobView], list[MeterTarget]]:
            created = 0
            if purge:
                jobs.purge_finished(session, now - config.job_retention)
            if plan:
                jobs.release_stale(session, now, config.stale_after)
                created = jobs.create_due_jobs(session, now, max_attempts=config.max_attempts)
            claimed = (
                jobs.claim_jobs(session, now, worker=config.worker, limit=free) if free else []
            )
            targets = jobs.meter_targets(session, {job.meter_id for job in claimed})
            return created, claimed, targets

        created, claimed, targets = await self.db.run(plan_and_claim)
        if plan:
            self._planned_at = now
        if purge:
            self._purged_at = now
        by_meter: defaultdict[int, list[JobView]] = defaultdict(list)
        for job in claimed:
            by_meter[job.meter_id].append(job)
        for target in targets:
            self._start(self.read_meter(target, by_meter[target.meter_id]))
        if created or claimed:
            log.info(
                "tick %s: %d job(s) planned, %d claimed, %d meter session(s) running",
                now.isoformat(timespec="seconds"),
                created,
                len(claimed),
                len(self._tasks),
            )
        return len(targets)

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
        """Wait for every running session; returns (and forgets) their reports."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        reports, self.reports = self.reports, []
        return reports

    async def run_once(self) -> list[MeterReadReport]:
        """Read every meter that is due now (ticks until nothing due is left), then return."""
        reports: list[MeterReadReport] = []
        while await self.tick():
            reports += await self.drain()
        return reports + await self.drain()

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- one meter

    async def read_meter(
        self,
        target: MeterTarget,
        job_list: Sequence[JobView],
        *,
        link: Transport | None = None,
        profile: bool | None = None,
    ) -> MeterReadReport:
        """One session for a meter's jobs (or, with no jobs, the profile gap: dial-in)."""
        purposes = {job.purpose for job in job_list}
        readout = "readout" in purposes
        want_profile = "profile" in purposes if profile is None else profile
        explicit = next(
            (j for j in job_list if j.purpose == "profile" and j.resume_from is not None), None
        )
        clock_check = any(job.clock_check for job in job_list)
        async with self._modems[target.modem], self._sessions:
            now = self.clock.now()
            profile_range = await self._profile_range(target, now, want_profile, explicit)
            request = read_request(
                target, profile_range, self.config, readout=readout, clock_check=clock_check
            )
            if link is None and not request.needs_call:
                # Nothing missing since the last read: the job is done without a call.
                return await self._finish(
                    target, job_list, request, ReadOutcome(), None, None, 0, 0, b""
                )
            direction = CommMode.DIAL_IN if link is not None else CommMode.DIAL_OUT
            purpose = ",".join(sorted(purposes)) or "dial_in"
            peer = link.peer if link is not None else f"{target.host}:{target.port}"
            log_id = await self.db.run(
                lambda s: commlog.start_attempt(
                    s,
                    meter_id=target.meter_id,
                    started_at=now,
                    direction=direction,
                    purpose=purpose,
                    peer=peer,
                    job_id=job_list[0].id if job_list else None,
                )
            )
            sink = StoreSink(
                self.db,
                meter_id=target.meter_id,
                serial=target.serial,
                clock=self.clock,
                comm_log_id=log_id,
                progress=self.progress,
            )
            if self.progress is not None:
                self.progress(f"{target.serial}: calling {peer} ({purpose})")
            try:
                outcome, sent, received, transcript = await self._session(
                    target, request, sink, link
                )
            except Exception as exc:
                # A bug must not leave the log row 'running' and the jobs held: record it,
                # let the jobs retry after the back-off, then let the task report the crash.
                failed = ReadOutcome(error=f"internal error: {exc!r}", failed_step="internal")
                with contextlib.suppress(Exception):
                    await self._finish(target, job_list, request, failed, sink, log_id, 0, 0, b"")
                raise
        return await self._finish(
            target, job_list, request, outcome, sink, log_id, sent, received, transcript
        )

    async def _profile_range(
        self,
        target: MeterTarget,
        now: dt.datetime,
        wanted: bool,
        explicit: JobView | None,
    ) -> tuple[dt.datetime, dt.datetime] | None:
        if not wanted:
            return None
        if explicit is not None and explicit.resume_from is not None:
            end = await self.db.run(lambda s: _job_profile_to(s, explicit.id))
            return (explicit.resume_from, end or now)
        last = await self.db.run(lambda s: last_profile_end(s, target.meter_id, until=now))
        return profile_gap(
            last,
            now,
            period=self.config.profile_period,
            initial=self.config.initial_backfill,
            max_backfill=self.config.max_backfill,
        )

    async def _session(
        self,
        target: MeterTarget,
        request: ReadRequest,
        sink: StoreSink,
        link: Transport | None,
    ) -> tuple[ReadOutcome, int, int, bytes]:
        timeouts = timeouts_for(target, self.config)
        try:
            link = link or self.connector(target)
        except NotFound as exc:
            return ReadOutcome(error=f"connect: {exc}", failed_step="connect"), 0, 0, b""
        try:
            await link.open(timeout=timeouts.connect)
        except TransportError as exc:
            await link.close()
            return ReadOutcome(error=f"connect: {exc}", failed_step="connect"), 0, 0, b""
        try:
            reader = MeterReader(link, request, sink, clock=self.clock, timeouts=timeouts)
            outcome = await reader.run()
        finally:
            await link.close()
        return outcome, link.bytes_sent, link.bytes_received, link.transcript

    async def _finish(
        self,
        target: MeterTarget,
        job_list: Sequence[JobView],
        request: ReadRequest,
        outcome: ReadOutcome,
        sink: StoreSink | None,
        log_id: int | None,
        sent: int,
        received: int,
        transcript: bytes,
    ) -> MeterReadReport:
        now = self.clock.now()
        last_end = sink.last_end if sink is not None else None
        states = await self.db.run(
            lambda session: record_session(
                session,
                log_id=log_id,
                job_list=job_list,
                outcome=outcome,
                now=now,
                profile_done=request.profile_from is None or outcome.profile_ok,
                last_end=last_end,
                traffic=(sent, received, transcript),
                backoff=self.config.backoff,
            )
        )
        values = sink.values if sink is not None else ()
        ingested = sink.ingested if sink is not None else ProfileIngestResult()
        log.log(
            logging.INFO if outcome.error is None else logging.WARNING,
            "meter %s: %s%s; %d value(s), intervals +%d =%d !%d",
            target.serial,
            outcome.outcome,
            f" ({outcome.error})" if outcome.error else "",
            len(values),
            ingested.inserted,
            ingested.unchanged,
            ingested.conflicts,
        )
        return MeterReadReport(
            serial=target.serial,
            outcome=outcome.outcome,
            error=outcome.error,
            values=values,
            profile=ingested,
            profile_range=(
                (request.profile_from, request.profile_to or now)
                if request.profile_from is not None
                else None
            ),
            clock=sink.clock_check if sink is not None else None,
            comm_log_id=log_id,
            jobs=tuple(states),
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


def _job_profile_to(session: Session, job_id: int) -> dt.datetime | None:
    job = session.get(ReadJob, job_id)
    return job.profile_to if job is not None else None

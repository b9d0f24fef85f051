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
import inspect
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.errors import InvalidInput, NotFound
from osos.headend import commlog, jobs
from osos.headend.jobs import JobView, MeterTarget
from osos.headend.plans import Backoff, profile_gap
from osos.headend.reading import ClockCheck, MeterReader, ReadOutcome, ReadRequest, Timeouts
from osos.headend.storage import Database, StoreSink
from osos.protocol.iec62056_21.meter_profiles import MeterProfile, profile_by_key
from osos.readings import ReadValue
from osos.runtime import Runtime
from osos.store.ingest import ProfileIngestResult, last_profile_end
from osos.store.models import Meter
from osos.store.models.headend import ReadJob
from osos.timeutil import Clock, SystemClock
from osos.transport.base import Transport, TransportError
from osos.transport.tcp import DialInListener, TcpTransport

log = logging.getLogger(__name__)

AfterTick = Callable[[Runtime, dt.datetime], object]
"""Called after every tick with ``(runtime, now)``."""


@dataclass(frozen=True)
class HeadendConfig:
    """How hard and how patiently to read. Defaults suit GPRS modems; tests shrink them."""

    concurrency: int = 200
    timeouts: Timeouts = field(default_factory=Timeouts)
    backoff: Backoff = field(default_factory=Backoff)
    max_attempts: int = 6
    max_drift: dt.timedelta = dt.timedelta(seconds=20)
    profile_period: dt.timedelta = dt.timedelta(minutes=15)
    profile_chunk: dt.timedelta = dt.timedelta(days=1)
    initial_backfill: dt.timedelta = dt.timedelta(days=1)
    max_backfill: dt.timedelta = dt.timedelta(days=40)
    stale_after: dt.timedelta = dt.timedelta(minutes=30)
    plan_every: dt.timedelta = dt.timedelta(minutes=1)  # how often plans become jobs
    job_retention: dt.timedelta = dt.timedelta(days=7)  # finished jobs kept (comm log: always)
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


@dataclass(frozen=True)
class MeterReadReport:
    """What one session did, for the CLI and the tests."""

    serial: str
    outcome: str
    error: str | None
    values: tuple[ReadValue, ...]
    profile: ProfileIngestResult
    profile_range: tuple[dt.datetime, dt.datetime] | None
    clock: ClockCheck | None
    comm_log_id: int | None  # None: nothing was missing, no call was made
    jobs: tuple[tuple[int, str], ...] = ()  # (job id, state after this attempt)


Connector = Callable[[MeterTarget], Transport]


def tcp_connector(target: MeterTarget) -> Transport:
    if not target.host or not target.port:
        raise NotFound(f"meter {target.serial} has no host:port to dial")
    return TcpTransport(target.host, target.port)


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

    def _request(
        self,
        target: MeterTarget,
        profile_range: tuple[dt.datetime, dt.datetime] | None,
        *,
        readout: bool,
        clock_check: bool,
    ) -> ReadRequest:
        meter_profile: MeterProfile | None = None
        if target.meter_profile:
            with contextlib.suppress(KeyError):
                meter_profile = profile_by_key(target.meter_profile)
        return ReadRequest(
            serial=target.serial,
            address=target.device_address or "",
            password=target.password,
            readout=readout,
            profile_from=profile_range[0] if profile_range else None,
            profile_to=profile_range[1] if profile_range else None,
            profile_chunk=self.config.profile_chunk,
            clock_check=clock_check and target.password is not None,
            max_drift=self.config.max_drift,
            meter_profile=meter_profile,
            software_parity=target.software_parity,
        )

    def _timeouts(self, target: MeterTarget) -> Timeouts:
        if target.inter_byte_timeout_s:
            return replace(self.config.timeouts, inter_byte=float(target.inter_byte_timeout_s))
        return self.config.timeouts

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
            request = self._request(target, profile_range, readout=readout, clock_check=clock_check)
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
        timeouts = self._timeouts(target)
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
        profile_done = request.profile_from is None or outcome.profile_ok
        last_end = sink.last_end if sink is not None else None
        resume = last_end + dt.timedelta(minutes=1) if last_end else None

        def work(session: Session) -> list[tuple[int, str]]:
            if log_id is not None:
                commlog.finish_attempt(
                    session,
                    log_id,
                    ended_at=now,
                    outcome=outcome.outcome,
                    error=outcome.error,
                    bytes_sent=sent,
                    bytes_received=received,
                    transcript=transcript or None,
                    last_profile_end=last_end,
                )
            states = []
            for job in job_list:
                ok = outcome.readout_ok if job.purpose == "readout" else profile_done
                states.append(
                    (
                        job.id,
                        jobs.finish_job(
                            session,
                            job.id,
                            ok=ok,
                            now=now,
                            error=None if ok else outcome.error,
                            backoff=self.config.backoff,
                            resume_from=resume if job.purpose == "profile" else None,
                        ),
                    )
                )
            return states

        states = await self.db.run(work)
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

        def prepare(session: Session) -> tuple[MeterTarget, list[JobView]]:
            meter_id = session.scalar(select(Meter.id).where(Meter.serial == serial))
            if meter_id is None:
                raise NotFound(f"no meter with serial {serial!r} in the registry")
            ids = []
            if readout:
                ids.append(jobs.add_job(session, meter_id, "readout", now, clock_check=clock_check))
            if profile_from is not None:
                ids.append(
                    jobs.add_job(
                        session,
                        meter_id,
                        "profile",
                        now,
                        profile_from=profile_from,
                        profile_to=profile_to or now,
                        clock_check=clock_check,
                    )
                )
            claimed = jobs.claim_jobs(
                session,
                now,
                worker=self.config.worker,
                limit=1,
                meter_ids=[meter_id],
                job_ids=ids,
                dial_out_only=False,
            )
            (target,) = jobs.meter_targets(session, [meter_id])
            return target, claimed

        target, job_list = await self.db.run(prepare)
        return await self.read_meter(target, job_list, profile=profile_from is not None)

    async def on_dial_in(self, serial: str, link: Transport) -> None:
        """A modem called in with ``ID:<serial>``: run its due jobs (or fill the profile gap)."""
        now = self.clock.now()

        def prepare(session: Session) -> tuple[MeterTarget | None, list[JobView]]:
            meter_id = session.scalar(select(Meter.id).where(Meter.serial == serial))
            if meter_id is None:
                log_id = commlog.start_attempt(
                    session,
                    meter_id=None,
                    started_at=now,
                    direction=CommMode.DIAL_IN,
                    purpose="dial_in",
                    peer=link.peer,
                )
                commlog.finish_attempt(
                    session,
                    log_id,
                    ended_at=now,
                    outcome=commlog.FAILED,
                    error=f"unknown meter serial {serial!r} in the greeting",
                    bytes_sent=0,
                    bytes_received=0,
                    transcript=None,
                )
                return None, []
            jobs.create_due_jobs(
                session, now, max_attempts=self.config.max_attempts, meter_ids=[meter_id]
            )
            claimed = jobs.claim_jobs(
                session,
                now,
                worker=self.config.worker,
                limit=10,
                meter_ids=[meter_id],
                dial_out_only=False,
            )
            (target,) = jobs.meter_targets(session, [meter_id])
            return target, claimed

        target, job_list = await self.db.run(prepare)
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


def parse_listen(listen: str | tuple[str, int]) -> tuple[str, int]:
    """``HOST:PORT`` (or a tuple) → (host, port); ValueError names what is wrong."""
    if isinstance(listen, tuple):
        return listen
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise InvalidInput(f"--listen must be HOST:PORT, got {listen!r}")
    return host or "0.0.0.0", int(port)


async def run_hooks(hooks: Sequence[AfterTick], runtime: Runtime, now: dt.datetime) -> None:
    for hook in hooks:
        try:
            result = (
                hook(runtime, now)
                if inspect.iscoroutinefunction(hook)
                else await asyncio.to_thread(hook, runtime, now)
            )
            if inspect.isawaitable(result):
                await result
        except Exception:  # a failing hook must not stop the meter reading; it is logged
            log.exception("after-tick hook %r failed", hook)


async def run_headend(
    runtime: Runtime,
    *,
    stop: asyncio.Event,
    clock: Clock | None = None,
    concurrency: int = 200,
    listen: str | tuple[str, int] | None = None,
    tick_s: float = 5.0,
    config: HeadendConfig | None = None,
    after_tick: Sequence[AfterTick] = (),
    connector: Connector = tcp_connector,
) -> Scheduler:
    """Run the scheduler (and the dial-in listener) until ``stop`` is set.

    Every ``tick_s`` seconds: plan and start due reads, then call the ``after_tick`` hooks
    with ``(runtime, now)``. On stop, running sessions are given their
    session timeout to finish and are then cancelled (their jobs are released as stale later).
    """
    config = replace(config or HeadendConfig(), concurrency=concurrency)
    scheduler = Scheduler(runtime, clock=clock or SystemClock(), config=config, connector=connector)
    scheduler.keep_reports = False
    listener: DialInListener | None = None
    if listen is not None:
        host, port = parse_listen(listen)
        listener = DialInListener(host, port, scheduler.on_dial_in)
        await listener.start()
    try:
        while not stop.is_set():
            await scheduler.tick()
            await run_hooks(after_tick, runtime, scheduler.clock.now())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=tick_s)
    finally:
        if listener is not None:
            await listener.stop()
        try:
            await asyncio.wait_for(scheduler.drain(), timeout=config.timeouts.session)
        except TimeoutError:
            await scheduler.cancel()
    return scheduler

"""The scheduler over the mock transport: plans become jobs, jobs become stored data, faults
become log rows and retries."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from osos.domain import CommMode, Generation
from osos.headend.commlog import comm_log, comm_status
from osos.headend.config import HeadendConfig
from osos.headend.jobs import MeterTarget, add_job, claim_jobs, create_due_jobs
from osos.headend.plans import Backoff
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.headend.service import run_headend
from osos.runtime import Runtime
from osos.store.models import AuditEntry, Installation, Meter, profile_intervals
from osos.store.models.headend import ReadJob
from osos.timeutil import UTC, FixedClock
from osos.transport import MockTransport, Transport
from tests.factories import MeterRow, add_meters

from .fakes import FakeMeter, index_at, meter_session

NOW = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
CONFIG = HeadendConfig(
    concurrency=4,
    timeouts=Timeouts(connect=1, inter_byte=0.05, step=1, session=5),
    backoff=Backoff(dt.timedelta(minutes=1), 2, dt.timedelta(minutes=30)),
    max_attempts=3,
    initial_backfill=dt.timedelta(hours=6),
)


class MockFleet:
    def __init__(self, clock: FixedClock, serials: list[str]) -> None:
        self.meters = {s: FakeMeter(s, clock) for s in serials}
        self.down: set[str] = set()

    def connect(self, target: MeterTarget) -> Transport:
        meter = self.meters[target.serial]
        return MockTransport(
            meter_session(meter).receive_data, peer=target.serial, refuse=target.serial in self.down
        )


def _stored(runtime: Runtime, meter_id: int) -> list[dt.datetime]:
    with runtime.sessions() as session:
        table = profile_intervals
        return list(
            session.scalars(
                select(table.c.end_at).where(table.c.meter_id == meter_id).order_by("end_at")
            )
        )


async def test_plans_jobs_sessions_and_retries(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    ids = add_meters(
        runtime,
        [
            MeterRow("100", balancing_unit=True),
            MeterRow("200", generation=Generation.UNLICENSED),
            MeterRow("300"),
        ],
    )
    fleet = MockFleet(clock, ["100", "200", "300"])
    fleet.down.add("300")
    scheduler = Scheduler(runtime, clock=clock, config=CONFIG, connector=fleet.connect)

    reports = {r.serial: r for r in await scheduler.run_once()}
    assert reports["100"].outcome == "ok" and reports["200"].outcome == "ok"
    assert reports["300"].outcome == "failed" and "refused" in str(reports["300"].error)
    last = dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    for serial in ("100", "200"):
        ends = _stored(runtime, ids[serial])
        assert ends[0] == last - dt.timedelta(hours=6) and ends[-1] == last
        assert len(ends) == 25  # 6 h of quarter hours, both ends included
    values = {v.obis: v.number for v in reports["100"].values}
    assert values["1.8.0"] == index_at(last)

    with runtime.sessions() as session:
        status = {s.serial: s for s in comm_status(session)}
        assert status["300"].consecutive_failures == 1 and status["100"].consecutive_failures == 0
        assert status["100"].last_profile_end == last
        failed = comm_log(session, ids["300"])
        assert failed[0].outcome == "failed" and failed[0].direction == "dial_out"
        query = select(ReadJob.state, func.count()).group_by(ReadJob.state)
        job_states = {state: count for state, count in session.execute(query)}
    assert job_states == {"done": 4, "pending": 2}

    # 15 minutes later: only the balancing unit's profile is due; meter 300's retry too.
    fleet.down.clear()
    clock.advance(dt.timedelta(minutes=15))
    reports = {r.serial: r for r in await scheduler.run_once()}
    assert set(reports) == {"100", "300"}
    assert reports["100"].profile.inserted == 1 and reports["300"].outcome == "ok"
    assert _stored(runtime, ids["100"])[-1] == last + dt.timedelta(minutes=15)
    with runtime.sessions() as session:
        assert comm_status(session, failing_only=True) == []


async def test_backoff_then_failed_after_max_attempts(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    ids = add_meters(runtime, [MeterRow("400")])
    fleet = MockFleet(clock, ["400"])
    fleet.down.add("400")
    scheduler = Scheduler(runtime, clock=clock, config=CONFIG, connector=fleet.connect)
    await scheduler.run_once()
    assert await scheduler.run_once() == []  # back-off: not due yet
    clock.advance(dt.timedelta(minutes=1))
    assert len(await scheduler.run_once()) == 1  # second attempt
    clock.advance(dt.timedelta(minutes=2))
    assert len(await scheduler.run_once()) == 1  # third and last
    clock.advance(dt.timedelta(hours=1))
    assert await scheduler.run_once() == []
    with runtime.sessions() as session:
        jobs = list(session.scalars(select(ReadJob).where(ReadJob.meter_id == ids["400"])))
        (status,) = comm_status(session)
        log = comm_log(session, ids["400"], limit=10)
    assert {j.state for j in jobs} == {"failed"} and {j.attempts for j in jobs} == {3}
    assert status.consecutive_failures == 3 and len(log) == 3

    # a week on, finished jobs are forgotten; the comm log stays
    clock.advance(CONFIG.job_retention + dt.timedelta(days=1))
    await scheduler.run_once()
    with runtime.sessions() as session:
        remaining = list(session.scalars(select(ReadJob)))
        assert remaining and all(j.created_at == clock.now() for j in remaining)  # new ones
        assert len(comm_log(session, ids["400"], limit=20)) >= 3


async def test_read_now_with_profile_range_and_clock_audit(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    ids = add_meters(runtime, [MeterRow("500")])
    fleet = MockFleet(clock, ["500"])
    fleet.meters["500"].drift = dt.timedelta(minutes=-5)
    scheduler = Scheduler(runtime, clock=clock, config=CONFIG, connector=fleet.connect)
    start = dt.datetime(2026, 11, 1, 21, 15, tzinfo=UTC)
    report = await scheduler.read_now(
        "500", profile_from=start, profile_to=start + dt.timedelta(hours=2)
    )
    assert report.outcome == "ok", report.error
    assert report.profile.inserted == 9
    assert _stored(runtime, ids["500"]) == [start + dt.timedelta(minutes=15 * k) for k in range(9)]
    again = await scheduler.read_now(
        "500", profile_from=start, profile_to=start + dt.timedelta(hours=2)
    )
    assert (again.profile.inserted, again.profile.unchanged) == (0, 9)
    assert report.clock is not None and report.clock.drift == dt.timedelta(minutes=-5)
    assert report.clock.set_to == NOW and report.clock.accepted
    assert again.clock is not None and again.clock.set_to is None  # set the first time
    # planned jobs that are due meanwhile are left to the scheduler, not held by osos read
    with runtime.sessions.begin() as session:
        assert create_due_jobs(session, NOW) == 2
    assert (await scheduler.read_now("500")).outcome == "ok"
    with runtime.sessions() as session:
        planned = list(session.scalars(select(ReadJob).where(ReadJob.due_at.is_not(None))))
        assert [j.state for j in planned] == ["pending", "pending"]
    with runtime.sessions() as session:
        (entry,) = session.scalars(select(AuditEntry))
    assert (entry.action, entry.actor, entry.object_id) == (
        "meter.time_set",
        "headend",
        str(ids["500"]),
    )


async def test_run_headend_stops_and_calls_hooks(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    add_meters(runtime, [MeterRow("600")])
    fleet = MockFleet(clock, ["600"])
    stop = asyncio.Event()
    calls: list[dt.datetime] = []

    def hook(_runtime: Runtime, now: dt.datetime) -> None:
        calls.append(now)
        stop.set()

    await run_headend(
        runtime,
        stop=stop,
        clock=clock,
        concurrency=2,
        tick_s=0.01,
        config=CONFIG,
        after_tick=[hook],
        connector=fleet.connect,
    )
    assert calls == [NOW]
    with runtime.sessions() as session:
        (entry,) = comm_log(session)
    assert (entry.serial, entry.outcome) == ("600", "ok")


async def test_nothing_missing_means_no_call(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    ids = add_meters(runtime, [MeterRow("700")])
    fleet = MockFleet(clock, ["700"])
    scheduler = Scheduler(runtime, clock=clock, config=CONFIG, connector=fleet.connect)
    assert [r.outcome for r in await scheduler.run_once()] == ["ok"]
    with runtime.sessions.begin() as session:
        add_job(session, ids["700"], "profile", NOW)  # asks for the gap: there is none
    fleet.down.add("700")  # a call would fail
    (report,) = await scheduler.run_once()
    assert report.outcome == "ok" and report.comm_log_id is None
    assert report.profile_range is None
    with runtime.sessions() as session:
        assert len(comm_log(session, ids["700"])) == 1


async def test_two_workers_never_read_a_meter_twice(runtime: Runtime) -> None:
    if runtime.is_sqlite:
        pytest.skip("several workers share jobs on PostgreSQL (SKIP LOCKED); SQLite has one")
    clock = FixedClock(NOW)
    serials = [f"8{k:03d}" for k in range(40)]
    ids = add_meters(runtime, [MeterRow(s) for s in serials])
    fleet = MockFleet(clock, serials)
    workers = [
        Scheduler(
            runtime,
            clock=clock,
            config=dataclasses.replace(CONFIG, worker=f"w{n}"),
            connector=fleet.connect,
        )
        for n in range(2)
    ]
    first, second = await asyncio.gather(*(w.run_once() for w in workers))
    assert sorted(r.serial for r in [*first, *second]) == serials
    with runtime.sessions() as session:
        for serial in serials:
            assert len(comm_log(session, ids[serial])) == 1


async def test_jobs_of_a_crashed_worker_are_released(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    ids = add_meters(runtime, [MeterRow("900")])
    with runtime.sessions.begin() as session:
        create_due_jobs(session, NOW)
        held = claim_jobs(session, NOW, worker="crashed", limit=10)
        assert {j.meter_id for j in held} == {ids["900"]}
    fleet = MockFleet(clock, ["900"])
    scheduler = Scheduler(runtime, clock=clock, config=CONFIG, connector=fleet.connect)
    assert await scheduler.run_once() == []  # still held
    clock.advance(CONFIG.stale_after + dt.timedelta(seconds=1))
    (report,) = await scheduler.run_once()
    assert report.outcome == "ok" and {state for _, state in report.jobs} == {"done"}


async def test_values_the_store_refuses_fail_the_job_cleanly(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    ids = add_meters(runtime, [MeterRow("950")])
    fleet = MockFleet(clock, ["950"])
    fleet.meters["950"].extra_digits = True
    scheduler = Scheduler(runtime, clock=clock, config=CONFIG, connector=fleet.connect)
    (report,) = await scheduler.run_once()
    assert report.outcome == "partial" and "not stored" in str(report.error)
    assert _stored(runtime, ids["950"]) == []  # nothing half-stored
    with runtime.sessions() as session:
        (entry,) = comm_log(session, ids["950"])
        states = {j.purpose: j.state for j in session.scalars(select(ReadJob))}
    assert entry.outcome == "partial" and entry.transcript
    assert states == {"readout": "done", "profile": "pending"}


async def test_drop_in_a_later_chunk_resumes_without_gap(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    ids = add_meters(runtime, [MeterRow("990")])
    meter = FakeMeter("990", clock)
    requests = {"profile": 0}
    drop_second = {"on": True}

    def connect(target: MeterTarget) -> Transport:
        session = meter_session(meter)

        def handler(data: bytes) -> bytes | None:
            if b"P.01(" in data:
                requests["profile"] += 1
                if drop_second["on"] and requests["profile"] == 2:
                    return None  # the line drops while the second day is asked for
            return session.receive_data(data)

        return MockTransport(handler, peer=target.serial)

    config = dataclasses.replace(CONFIG, initial_backfill=dt.timedelta(days=2))
    scheduler = Scheduler(runtime, clock=clock, config=config, connector=connect)
    (first,) = await scheduler.run_once()
    assert first.outcome == "partial" and first.profile.inserted == 97  # day one, both ends
    stored = _stored(runtime, ids["990"])
    start = dt.datetime(2026, 10, 31, 6, 0, tzinfo=UTC)
    assert stored[0] == start and stored[-1] == start + dt.timedelta(days=1)

    drop_second["on"] = False
    clock.advance(dt.timedelta(minutes=1))
    (second,) = await scheduler.run_once()
    assert second.outcome == "ok"
    assert second.profile_range is not None
    assert second.profile_range[0] == start + dt.timedelta(days=1, minutes=1)  # resumed there
    assert (second.profile.inserted, second.profile.unchanged) == (96, 0)  # no duplicate
    stored = _stored(runtime, ids["990"])
    assert stored == [start + dt.timedelta(minutes=15 * k) for k in range(2 * 96 + 1)]


def test_only_installed_meters_are_planned(runtime: Runtime) -> None:
    """A meter removed in a meter change (its modem now serves the new meter) and a spare
    meter with a modem address are never dialled."""
    ids = add_meters(runtime, [MeterRow("A1", port=1), MeterRow("B1", port=2)])
    with runtime.sessions.begin() as session:
        installation = session.scalar(
            select(Installation).where(Installation.meter_id == ids["B1"])
        )
        assert installation is not None
        installation.removed_at = NOW - dt.timedelta(days=1)
        session.add(Meter(serial="SPARE", flag="XYZ", comm_mode=CommMode.DIAL_OUT, port=3))
    with runtime.sessions.begin() as session:
        create_due_jobs(session, NOW)
    with runtime.sessions() as session:
        planned = set(session.scalars(select(ReadJob.meter_id).distinct()))
    assert planned == {ids["A1"]}

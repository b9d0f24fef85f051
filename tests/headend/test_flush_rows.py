"""The write-behind flush's plain-row writes of comm statuses and finished jobs: the rules the
ORM version applied, on a batch holding one meter twice, a meter with a status and one without."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from osos.domain import CommMode
from osos.headend import jobs
from osos.headend.flush import SessionRecord, _finish_jobs, _update_status
from osos.headend.jobs import JobView
from osos.headend.plans import Backoff
from osos.headend.readplan import ReadOutcome
from osos.runtime import Runtime
from osos.store.models import Meter, MeterCommStatus
from osos.store.models.headend import ReadJob

T0 = dt.datetime(2026, 3, 10, 7, 0, tzinfo=dt.UTC)


def _record(
    meter_id: int, minutes: int, *, ok: bool, last_end: int | None, job_list: list[JobView]
) -> SessionRecord:
    outcome = ReadOutcome(readout_ok=ok, profile_ok=ok, error=None if ok else "readout: gone")
    return SessionRecord(
        meter_id=meter_id,
        job_list=job_list,
        outcome=outcome,
        ended_at=T0 + dt.timedelta(minutes=minutes),
        profile_done=ok,
        last_end=None if last_end is None else T0 - dt.timedelta(minutes=last_end),
    )


def test_statuses_and_jobs_of_a_batch(runtime: Runtime) -> None:
    with runtime.sessions.begin() as session:
        meters = [
            Meter(serial=f"F{i}", flag="MSY", comm_mode=CommMode.DIAL_OUT, host="h", port=1)
            for i in (1, 2)
        ]
        session.add_all(meters)
        session.flush()
        one, two = meters[0].id, meters[1].id
        session.add(
            MeterCommStatus(
                meter_id=one,
                consecutive_failures=4,
                last_success_at=T0 - dt.timedelta(days=2),
                last_profile_end=T0 - dt.timedelta(minutes=30),
            )
        )
        ids = [
            jobs.add_job(session, one, "readout", T0, max_attempts=1),
            jobs.add_job(session, two, "profile", T0, max_attempts=3),
        ]
        rows = list(session.scalars(select(ReadJob).where(ReadJob.id.in_(ids))))
        for row in rows:  # claimed once each: the readout's one attempt is used up
            row.attempts, row.state, row.locked_by = 1, jobs.RUNNING, "w1"
        session.flush()
        views = {
            j.id: JobView(
                j.id, j.meter_id, j.purpose, None, j.attempts, j.max_attempts, False, None
            )
            for j in rows
        }
        records = [
            _record(one, 1, ok=False, last_end=45, job_list=[]),
            _record(one, 2, ok=False, last_end=15, job_list=[views[ids[0]]]),
            _record(two, 3, ok=False, last_end=None, job_list=[views[ids[1]]]),
        ]
        _update_status(session, records)
        states = _finish_jobs(session, records, Backoff())
    with runtime.sessions() as session:
        status = {s.meter_id: s for s in session.scalars(select(MeterCommStatus))}
        job_rows = {j.id: j for j in session.scalars(select(ReadJob))}
    assert status[one].consecutive_failures == 6  # 4 stored, two more in the batch
    assert status[one].last_success_at == T0 - dt.timedelta(days=2)  # kept
    assert status[one].last_attempt_at == T0 + dt.timedelta(minutes=2)
    assert status[one].last_profile_end == T0 - dt.timedelta(minutes=15)  # the newest
    assert status[one].last_error == "readout: gone"
    assert status[two].consecutive_failures == 1 and status[two].last_profile_end is None
    assert states == [[], [(ids[0], jobs.FAILED)], [(ids[1], jobs.PENDING)]]
    failed, retried = job_rows[ids[0]], job_rows[ids[1]]
    assert failed.finished_at == T0 + dt.timedelta(minutes=2)
    assert retried.finished_at is None and retried.next_attempt_at > T0 + dt.timedelta(minutes=3)
    for row in (failed, retried):
        assert row.last_error == "readout: gone"
        assert row.locked_by is None and row.session_started_at is None

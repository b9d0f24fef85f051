"""Finishing a read job: done, retried after the back-off, or failed when its attempts are used
up. One rule for a job loaded as an ORM row (one finished now) and for the plain columns the
write-behind flush loads for a batch."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from osos.headend.jobs import DONE, FAILED, PENDING
from osos.headend.plans import Backoff
from osos.store.models.headend import ReadJob


def finish_job(
    session: Session,
    job_id: int,
    *,
    ok: bool,
    now: dt.datetime,
    error: str | None = None,
    backoff: Backoff = Backoff(),
    resume_from: dt.datetime | None = None,
) -> str:
    """Done, or retried after the back-off, or failed when its attempts are used up."""
    job = session.get(ReadJob, job_id)
    if job is None:
        raise LookupError(f"read job {job_id} disappeared")
    return apply_finish(job, ok=ok, now=now, error=error, backoff=backoff, resume_from=resume_from)


@dataclass
class JobColumns:
    """The columns of a read job that :func:`apply_finish` reads and sets, as the write-behind
    flush loads them for a batch (:mod:`osos.headend.flush`) without ORM objects."""

    id: int
    attempts: int
    max_attempts: int
    state: str
    next_attempt_at: dt.datetime
    resume_from: dt.datetime | None
    last_error: str | None
    locked_by: str | None
    locked_at: dt.datetime | None
    finished_at: dt.datetime | None
    session_started_at: dt.datetime | None


def apply_finish(
    job: ReadJob | JobColumns,
    *,
    ok: bool,
    now: dt.datetime,
    error: str | None,
    backoff: Backoff,
    resume_from: dt.datetime | None,
) -> str:
    """:func:`finish_job` on a job already loaded (a batch loads them all at once)."""
    job.session_started_at = None
    job.locked_by = None
    job.locked_at = None
    job.last_error = error
    if resume_from is not None:
        job.resume_from = resume_from
    if ok:
        job.state = DONE
        job.finished_at = now
    elif job.attempts >= job.max_attempts:
        job.state = FAILED
        job.finished_at = now
    else:
        job.state = PENDING
        job.next_attempt_at = now + backoff.delay(job.attempts, key=job.id)
    return job.state

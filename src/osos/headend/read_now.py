"""An operator's "read now": a job queued for the head-end, and its progress for the page.

The web side never talks to a meter: it queues an unplanned readout job, which the head-end's
next tick claims like any other; the meter page polls :func:`read_status` until it ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.errors import InvalidInput, NotFound
from osos.headend.jobs import OPEN_STATES, add_job
from osos.store.models import Meter
from osos.store.models.headend import ReadJob
from osos.timeutil import local_iso

ATTEMPTS = 2  # an operator waits at the screen: one retry, not the plan's six


@dataclass(frozen=True)
class ReadStatus:
    job_id: int
    serial: str
    state: str  # pending | running | done | failed
    attempts: int
    max_attempts: int
    last_error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        return self.state not in OPEN_STATES

    def to_json(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "serial": self.serial,
            "state": self.state,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "last_error": self.last_error,
            "created_at": local_iso(self.created_at),
            "finished_at": local_iso(self.finished_at),
            "finished": self.finished,
        }


def queue_read(session: Session, serial: str, now: dt.datetime) -> int:
    """Queue a readout of the meter ``serial`` now; an open one already queued is reused."""
    meter = session.scalar(select(Meter).where(Meter.serial == serial))
    if meter is None:
        raise NotFound(f"unknown meter {serial!r}")
    if meter.comm_mode is CommMode.NONE or (
        meter.comm_mode is CommMode.DIAL_OUT and not meter.host
    ):
        raise InvalidInput(f"meter {serial} has no modem to call")
    open_job = session.scalar(
        select(ReadJob.id).where(
            ReadJob.meter_id == meter.id,
            ReadJob.due_at.is_(None),
            ReadJob.purpose == "readout",
            ReadJob.state.in_(OPEN_STATES),
        )
    )
    if open_job is not None:
        return open_job
    return add_job(session, meter.id, "readout", now, max_attempts=ATTEMPTS)


def read_status(session: Session, job_id: int, serial: str) -> ReadStatus:
    """The job's progress; NotFound when it is not this meter's (or was purged)."""
    row = session.execute(
        select(ReadJob, Meter.serial)
        .join(Meter, Meter.id == ReadJob.meter_id)
        .where(ReadJob.id == job_id, Meter.serial == serial)
    ).first()
    if row is None:
        raise NotFound(f"no read job {job_id} of meter {serial}")
    job, found = row
    return ReadStatus(
        job.id,
        found,
        job.state,
        job.attempts,
        job.max_attempts,
        job.last_error,
        job.created_at,
        job.finished_at,
    )

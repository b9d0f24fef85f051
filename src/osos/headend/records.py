"""What the head-end writes in the database around a session: the jobs of a session it did
not plan (a read an operator asked for, a modem that called in), and when a session ends, its
communication-log row and the state of its jobs (with the back-off and resume point)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.errors import Conflict, NotFound
from osos.headend import commlog, job_finish, jobs
from osos.headend.jobs import JobView, MeterTarget
from osos.headend.plans import Backoff
from osos.headend.readplan import ReadOutcome
from osos.store.models import Meter


def refuse_unreachable(meter: Meter) -> None:
    """A meter the head-end cannot call is refused before anything is recorded: no modem (read
    with a hand-held terminal), a modem that calls in, or a dial-out modem without an address."""
    if meter.comm_mode is CommMode.NONE:
        raise Conflict(
            f"meter {meter.serial} has no modem (comm mode none): read it with a hand-held "
            "terminal and store the readout with 'osos ingest FILE --meter SERIAL'"
        )
    if meter.comm_mode is CommMode.DIAL_IN:
        raise Conflict(f"meter {meter.serial}'s modem calls in: it is read when it calls")
    if not meter.host:
        raise Conflict(f"meter {meter.serial} has no modem address (host:port) in the registry")


def prepare_read_now(
    session: Session,
    serial: str,
    now: dt.datetime,
    *,
    worker: str,
    readout: bool,
    profile_from: dt.datetime | None,
    profile_to: dt.datetime | None,
    clock_check: bool,
) -> tuple[MeterTarget, list[JobView]]:
    """Jobs for an immediate read of one meter, claimed at once by ``worker``."""
    meter = session.scalar(select(Meter).where(Meter.serial == serial))
    if meter is None:
        raise NotFound(f"no meter with serial {serial!r} in the registry")
    refuse_unreachable(meter)
    meter_id = meter.id
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
        worker=worker,
        limit=1,
        meter_ids=[meter_id],
        job_ids=ids,
        dial_out_only=False,
    )
    (target,) = jobs.meter_targets(session, [meter_id])
    return target, claimed


def prepare_dial_in(
    session: Session,
    serial: str,
    now: dt.datetime,
    *,
    peer: str,
    worker: str,
    max_attempts: int,
) -> tuple[MeterTarget | None, list[JobView]]:
    """The due jobs of a meter whose modem called in, claimed by ``worker``; an unknown serial
    is logged as a failed attempt and gets nothing (None)."""
    meter_id = session.scalar(select(Meter.id).where(Meter.serial == serial))
    if meter_id is None:
        log_id = commlog.start_attempt(
            session,
            meter_id=None,
            started_at=now,
            direction=CommMode.DIAL_IN,
            purpose="dial_in",
            peer=peer,
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
    jobs.create_due_jobs(session, now, max_attempts=max_attempts, meter_ids=[meter_id])
    claimed = jobs.claim_jobs(
        session,
        now,
        worker=worker,
        limit=10,
        meter_ids=[meter_id],
        dial_out_only=False,
    )
    (target,) = jobs.meter_targets(session, [meter_id])
    return target, claimed


def record_session(
    session: Session,
    *,
    log_id: int | None,
    job_list: Sequence[JobView],
    outcome: ReadOutcome,
    now: dt.datetime,
    profile_done: bool,
    last_end: dt.datetime | None,
    traffic: tuple[int, int, bytes],
    backoff: Backoff,
) -> list[tuple[int, str]]:
    """Close the attempt's log row and finish each job (retried after the back-off when it
    failed; a profile job resumes after the newest stored interval). Returns (job, state)."""
    sent, received, transcript = traffic
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
    resume = last_end + dt.timedelta(minutes=1) if last_end else None
    states = []
    for job in job_list:
        ok = outcome.readout_ok if job.purpose == "readout" else profile_done
        state = job_finish.finish_job(
            session,
            job.id,
            ok=ok,
            now=now,
            error=None if ok else outcome.error,
            backoff=backoff,
            resume_from=resume if job.purpose == "profile" else None,
        )
        states.append((job.id, state))
    return states

"""What many sessions leave in the database, written together in one transaction.

A session's results are collected in memory (:class:`~osos.headend.storage.MemorySink`) and
handed over as one :class:`SessionRecord`: the comm-log row (start and end at once), the raw
responses, the values and intervals prepared as rows, the meter's status, the jobs' new states
and a clock-set audit. :func:`store_sessions` stores a batch of them with one statement per
kind; either the whole batch is stored or none of it, so a session is never half-stored and a
retry after a database fault stores it once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from osos import audit
from osos.domain import CommMode
from osos.headend import job_finish, jobs
from osos.headend.commlog import OK
from osos.headend.jobs import JobView
from osos.headend.plans import Backoff
from osos.headend.readplan import ReadOutcome
from osos.readings import ClockCheck
from osos.store.bulk import Row
from osos.store.ingest import PreparedReadout, store_readouts
from osos.store.intervals import ProfileBatch, ProfileIngestResult, store_profiles
from osos.store.models import CommLogEntry, MeterCommStatus
from osos.store.models.headend import ReadJob
from osos.store.models.mdm import ValidationFinding

IDENTITY_MISMATCH = "identity_mismatch"  # the security finding's code


@dataclass(frozen=True)
class ProfilePart:
    """A profile response and its intervals (rows prepared, readout id set when stored)."""

    readout: PreparedReadout
    rows: tuple[Row, ...]


@dataclass
class SessionRecord:
    """Everything one session (or one decision without a call) writes."""

    meter_id: int | None
    job_list: Sequence[JobView]
    outcome: ReadOutcome
    ended_at: dt.datetime
    profile_done: bool
    called: bool = True  # False: nothing was missing, no call, no comm-log row
    direction: CommMode = CommMode.DIAL_OUT
    purpose: str = ""
    peer: str | None = None
    started_at: dt.datetime | None = None
    traffic: tuple[int, int, bytes] = (0, 0, b"")
    readout: PreparedReadout | None = None
    profiles: list[ProfilePart] = field(default_factory=list)
    last_end: dt.datetime | None = None
    clock: ClockCheck | None = None
    serial: str = ""


@dataclass(frozen=True)
class SessionStored:
    comm_log_id: int | None
    profile: ProfileIngestResult
    jobs: tuple[tuple[int, str], ...]


def mark_started(session: Session, started: Sequence[tuple[int, dt.datetime]]) -> None:
    """Jobs whose sessions began (job id, when): where an interrupted attempt is logged from."""
    if not started:
        return
    table = cast(Table, ReadJob.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("job"), table.c.state == jobs.RUNNING)
        .values(session_started_at=bindparam("when"))
    )
    session.connection().execute(statement, [{"job": j, "when": w} for j, w in started])


def store_sessions(
    session: Session, records: Sequence[SessionRecord], backoff: Backoff
) -> list[SessionStored]:
    """Store a batch of sessions (see the module text); one result per record."""
    called = [r for r in records if r.called]
    log_ids: dict[int, int] = {}
    if called:
        statement = insert(CommLogEntry).returning(CommLogEntry.id, sort_by_parameter_order=True)
        ids = list(session.scalars(statement, [_log_row(r) for r in called]))
        log_ids = {id(r): log_id for r, log_id in zip(called, ids, strict=True)}
    profiles = _store_data(session, records, log_ids)
    _update_status(session, called)
    states = _finish_jobs(session, records, backoff)
    for record in records:
        if record.clock is not None and record.clock.set_to is not None:
            _audit_clock(session, record)
        if record.outcome.identity_mismatch is not None and record.meter_id is not None:
            _security_finding(session, record)
    return [
        SessionStored(log_ids.get(id(r)), profiles[i], tuple(states[i]))
        for i, r in enumerate(records)
    ]


def _log_row(record: SessionRecord) -> dict[str, object]:
    sent, received, transcript = record.traffic
    outcome = record.outcome.outcome
    return {
        "meter_id": record.meter_id,
        "job_id": record.job_list[0].id if record.job_list else None,
        "started_at": record.started_at or record.ended_at,
        "ended_at": record.ended_at,
        "direction": record.direction,
        "purpose": record.purpose[:32],
        "outcome": outcome,
        "error": record.outcome.error,
        "bytes_sent": sent,
        "bytes_received": received,
        "peer": record.peer,
        "transcript": (transcript or None) if outcome != OK else None,
    }


def _store_data(
    session: Session, records: Sequence[SessionRecord], log_ids: dict[int, int]
) -> list[ProfileIngestResult]:
    """Every record's responses in one write, then every interval in one write."""
    readouts: list[PreparedReadout] = []
    owners: list[tuple[int, ProfilePart | None]] = []
    for index, record in enumerate(records):
        log_id = log_ids.get(id(record))
        if record.readout is not None:
            readouts.append(_with_log(record.readout, log_id))
            owners.append((index, None))
        for part in record.profiles:
            readouts.append(_with_log(part.readout, log_id))
            owners.append((index, part))
    stored = store_readouts(session, readouts) if readouts else []
    batches: list[ProfileBatch] = []
    batch_owner: list[int] = []
    for (index, owner), readout in zip(owners, stored, strict=True):
        if owner is not None and owner.rows:
            meter_id = owner.readout.meter_id
            batches.append(ProfileBatch(meter_id, owner.rows, readout.readout_id))
            batch_owner.append(index)
    results = [ProfileIngestResult()] * len(records)
    for index, result in zip(batch_owner, store_profiles(session, batches), strict=True):
        results[index] = results[index] + result
    return results


def _with_log(readout: PreparedReadout, log_id: int | None) -> PreparedReadout:
    if log_id is None:
        return readout
    return PreparedReadout(
        meter_id=readout.meter_id,
        read_at=readout.read_at,
        raw=readout.raw,
        kind=readout.kind,
        source=readout.source,
        identification=readout.identification,
        meter_time=readout.meter_time,
        values=readout.values,
        comm_log_id=log_id,
    )


_STATUS_COLUMNS = (
    "last_attempt_at",
    "last_success_at",
    "consecutive_failures",
    "last_error",
    "last_profile_end",
)


def next_status(status: dict[str, object], record: SessionRecord) -> None:
    """A meter's latest state after one session (failures counted, a success resets them,
    the newest interval kept), set in ``status`` (its :data:`_STATUS_COLUMNS`)."""
    status["last_attempt_at"] = record.ended_at
    if record.outcome.outcome == OK:
        status["last_success_at"] = record.ended_at
        status["consecutive_failures"] = 0
        status["last_error"] = None
    else:
        failures = status.get("consecutive_failures") or 0
        status["consecutive_failures"] = cast(int, failures) + 1
        status["last_error"] = record.outcome.error
    end, newest = record.last_end, status.get("last_profile_end")
    if end is not None and (newest is None or end > cast(dt.datetime, newest)):
        status["last_profile_end"] = end


def _update_status(session: Session, records: Sequence[SessionRecord]) -> None:
    """Each meter's latest state: one look-up for all, then one UPDATE (executemany) of the
    meters known and one INSERT of the others — plain rows, no ORM unit of work."""
    meter_ids = {r.meter_id for r in records if r.meter_id is not None}
    if not meter_ids:
        return
    table = cast(Table, MeterCommStatus.__table__)
    found = session.execute(
        select(table.c.meter_id, *(table.c[c] for c in _STATUS_COLUMNS)).where(
            table.c.meter_id.in_(sorted(meter_ids))
        )
    )
    known: dict[int, dict[str, object]] = {
        row[0]: dict(zip(_STATUS_COLUMNS, row[1:], strict=True)) for row in found
    }
    fresh: dict[int, dict[str, object]] = {}
    for record in records:
        if record.meter_id is None:
            continue
        status = known.get(record.meter_id)
        if status is None:
            status = fresh.setdefault(record.meter_id, dict.fromkeys(_STATUS_COLUMNS))
        next_status(status, record)
    connection = session.connection()
    if known:
        statement = (
            update(table)
            .where(table.c.meter_id == bindparam("meter"))
            .values({c: bindparam(f"v_{c}") for c in _STATUS_COLUMNS})
        )
        connection.execute(
            statement,
            [{"meter": m, **{f"v_{c}": x for c, x in v.items()}} for m, v in known.items()],
        )
    if fresh:
        connection.execute(insert(table), [{"meter_id": m, **v} for m, v in fresh.items()])


_JOB_COLUMNS = tuple(f.name for f in dataclasses.fields(job_finish.JobColumns))
_JOB_SET = tuple(c for c in _JOB_COLUMNS if c not in ("id", "attempts", "max_attempts"))


def _finish_jobs(
    session: Session, records: Sequence[SessionRecord], backoff: Backoff
) -> list[list[tuple[int, str]]]:
    """Every record's jobs finished by the jobs' rules: one look-up, one UPDATE (executemany)."""
    ids = sorted({job.id for r in records for job in r.job_list})
    table = cast(Table, ReadJob.__table__)
    rows: dict[int, job_finish.JobColumns] = {}
    if ids:
        found = session.execute(
            select(*(table.c[c] for c in _JOB_COLUMNS)).where(table.c.id.in_(ids))
        )
        rows = {row[0]: job_finish.JobColumns(*row) for row in found}
    states: list[list[tuple[int, str]]] = []
    for record in records:
        resume = record.last_end + dt.timedelta(minutes=1) if record.last_end else None
        done = []
        for job in record.job_list:
            ok = record.outcome.readout_ok if job.purpose == "readout" else record.profile_done
            row = rows.get(job.id)
            if row is None:
                raise LookupError(f"read job {job.id} disappeared")
            state = job_finish.apply_finish(
                row,
                ok=ok,
                now=record.ended_at,
                error=None if ok else record.outcome.error,
                backoff=backoff,
                resume_from=resume if job.purpose == "profile" else None,
            )
            done.append((job.id, state))
        states.append(done)
    touched = {job.id for r in records for job in r.job_list}
    if touched:
        statement = (
            update(table)
            .where(table.c.id == bindparam("job"))
            .values({c: bindparam(f"v_{c}") for c in _JOB_SET})
        )
        session.connection().execute(
            statement,
            [
                {"job": i, **{f"v_{c}": getattr(rows[i], c) for c in _JOB_SET}}
                for i in sorted(touched)
            ],
        )
    return states


def _audit_clock(session: Session, record: SessionRecord) -> None:
    check = record.clock
    assert check is not None and check.set_to is not None
    audit.record(
        session,
        actor="headend",
        action="meter.time_set",
        object_type="meter",
        object_id=record.meter_id,
        detail={
            "serial": record.serial,
            "meter_time": check.meter_time.isoformat(),
            "set_to": check.set_to.isoformat(),
            "drift_s": check.drift.total_seconds(),
        },
        outcome="ok" if check.accepted else "failed",
    )


def _security_finding(session: Session, record: SessionRecord) -> None:
    """The meter on the line is not the one it claimed (or would not say): nothing of it was
    stored; the operators see a finding, the audit log keeps the event."""
    said = record.outcome.identity_mismatch
    detail = (
        f"{record.direction.value} call from {record.peer}: the meter that answered said "
        f"serial {said}; nothing stored as meter {record.serial}"
    )
    when = record.started_at or record.ended_at
    session.add(
        ValidationFinding(
            code=IDENTITY_MISMATCH,
            meter_id=record.meter_id,
            register="",
            start_at=when,
            end_at=record.ended_at,
            detail=detail,
        )
    )
    audit.record(
        session,
        actor="headend",
        action="security.identity_mismatch",
        object_type="meter",
        object_id=record.meter_id,
        detail={"serial": record.serial, "said": said, "peer": record.peer},
        outcome="failed",
    )


@dataclass(frozen=True)
class Started:
    """Sessions began for these jobs (modem taken) at ``when``."""

    job_ids: tuple[int, ...]
    when: dt.datetime


@dataclass(frozen=True)
class Released:
    """Claimed jobs given back untried (their modem was busy in another process)."""

    job_ids: tuple[int, ...]
    when: dt.datetime


def flush_items(session: Session, items: Sequence[object], backoff: Backoff) -> list[object]:
    """The write-behind queue's batch: session starts first, then the sessions' records in
    one write, then the jobs given back; one result per item (None for the small ones)."""
    results: list[object] = [None] * len(items)
    mark_started(session, [(j, i.when) for i in items if isinstance(i, Started) for j in i.job_ids])
    records = [(n, i) for n, i in enumerate(items) if isinstance(i, SessionRecord)]
    if records:
        stored = store_sessions(session, [r for _, r in records], backoff)
        for (n, _), result in zip(records, stored, strict=True):
            results[n] = result
    for item in items:
        if isinstance(item, Released):
            jobs.release_jobs(session, item.job_ids, item.when)
    return results

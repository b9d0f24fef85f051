"""Read jobs in the database: created from the plans, claimed by a worker, finished or retried.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several head-end processes can take
jobs from the same table without reading a meter twice; SQLite has one writer anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, delete, func, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from osos.domain import CommMode, MeterKind, Protocol
from osos.headend.plans import SERVICE_CLASSES, due_slot, purposes_for, service_class
from osos.store.models import Installation, Meter, ServicePoint
from osos.store.models.headend import HeadendWorker, MeterLink, ReadJob, ReadPlan

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
OPEN_STATES = (PENDING, RUNNING)


@dataclass(frozen=True)
class JobView:
    id: int
    meter_id: int
    purpose: str
    due_at: dt.datetime | None
    attempts: int
    max_attempts: int
    clock_check: bool
    resume_from: dt.datetime | None
    profile_to: dt.datetime | None = None


@dataclass(frozen=True)
class MeterTarget:
    """What the head-end needs to reach and read one meter (no ORM rows leave this module)."""

    meter_id: int
    serial: str
    flag: str
    comm_mode: CommMode
    host: str | None
    port: int | None
    device_address: str | None
    password: str | None = field(repr=False)  # sealed (osos.store.secrets)
    software_parity: bool = False
    meter_profile: str | None = None
    inter_byte_timeout_s: int | None = None
    protocol: Protocol = Protocol.IEC62056_21
    dlms_client_sap: int | None = None
    dlms_server_logical: int | None = None
    dlms_server_physical: int | None = None
    dlms_authentication: str | None = None
    dlms_encryption_key: str | None = field(default=None, repr=False)  # sealed
    dlms_authentication_key: str | None = field(default=None, repr=False)  # sealed
    dlms_system_title: str | None = None
    kind: MeterKind = MeterKind.ELECTRICITY

    @property
    def load_profile(self) -> bool:
        """Whether the meter has a 15-minute load profile to read (electricity meters)."""
        return "profile" in purposes_for(self.kind)

    @property
    def modem(self) -> str:
        """One session per modem at a time: meters behind one modem share this key."""
        if self.comm_mode is CommMode.DIAL_OUT and self.host:
            return f"{self.host}:{self.port}"
        return f"meter:{self.meter_id}"


def meter_targets(session: Session, meter_ids: Iterable[int] | None = None) -> list[MeterTarget]:
    query = select(Meter, MeterLink).outerjoin(MeterLink, MeterLink.meter_id == Meter.id)
    if meter_ids is not None:
        query = query.where(Meter.id.in_(list(meter_ids)))
    return [
        MeterTarget(
            meter_id=meter.id,
            serial=meter.serial,
            flag=meter.flag,
            comm_mode=meter.comm_mode,
            host=meter.host,
            port=meter.port,
            device_address=meter.device_address,
            password=meter.password,
            software_parity=bool(link and link.software_parity),
            meter_profile=link.meter_profile if link else None,
            inter_byte_timeout_s=link.inter_byte_timeout_s if link else None,
            protocol=meter.protocol,
            dlms_client_sap=meter.dlms_client_sap,
            dlms_server_logical=meter.dlms_server_logical,
            dlms_server_physical=meter.dlms_server_physical,
            dlms_authentication=meter.dlms_authentication,
            dlms_encryption_key=meter.dlms_encryption_key,
            dlms_authentication_key=meter.dlms_authentication_key,
            dlms_system_title=meter.dlms_system_title,
            kind=meter.kind,
        )
        for meter, link in session.execute(query)
    ]


def meter_classes(
    session: Session, at: dt.datetime, meter_ids: Sequence[int] | None = None
) -> dict[int, str]:
    """Remotely read meters installed at ``at`` → plan class of their service point.

    A meter that is not installed (removed in a meter change, or a spare) is not read: its
    modem now serves another meter, or nothing.
    """
    return {m: klass for m, (klass, _kind) in _meter_plans(session, at, meter_ids).items()}


def _meter_plans(
    session: Session, at: dt.datetime, meter_ids: Sequence[int] | None = None
) -> dict[int, tuple[str, MeterKind]]:
    """:func:`meter_classes`, with each meter's kind (what its plans read)."""
    query = (
        select(Meter.id, ServicePoint.balancing_unit, ServicePoint.generation, Meter.kind)
        .join(
            Installation,
            (Installation.meter_id == Meter.id)
            & (Installation.installed_at <= at)
            & ((Installation.removed_at.is_(None)) | (Installation.removed_at > at)),
        )
        .join(ServicePoint, ServicePoint.id == Installation.service_point_id)
        .where(Meter.comm_mode != CommMode.NONE)
    )
    if meter_ids is not None:
        query = query.where(Meter.id.in_(list(meter_ids)))
    classes: dict[int, tuple[str, MeterKind]] = {}
    for meter_id, balancing, generation, kind in session.execute(query):
        found = service_class(balancing_unit=bool(balancing), generation=generation)
        # A meter at several points (rare): the strictest plan wins.
        rank = SERVICE_CLASSES.index
        if meter_id not in classes or rank(found) < rank(classes[meter_id][0]):
            classes[meter_id] = (found, kind)
    return classes


def plans(session: Session) -> dict[tuple[str, str], ReadPlan]:
    return {
        (p.service_class, p.purpose): p
        for p in session.scalars(select(ReadPlan).where(ReadPlan.enabled.is_(True)))
    }


def create_due_jobs(
    session: Session,
    now: dt.datetime,
    *,
    max_attempts: int = 6,
    meter_ids: Sequence[int] | None = None,
) -> int:
    """One job per meter and purpose whose plan slot has come, unless one is still open (a
    water, gas or heat meter has readout jobs only: :func:`~.plans.purposes_for`)."""
    by_plan = plans(session)
    only = ReadJob.meter_id.in_(list(meter_ids)) if meter_ids is not None else true()
    latest = {
        (meter_id, purpose): due
        for meter_id, purpose, due in session.execute(
            select(ReadJob.meter_id, ReadJob.purpose, func.max(ReadJob.due_at))
            .where(ReadJob.due_at.is_not(None), only)
            .group_by(ReadJob.meter_id, ReadJob.purpose)
        )
    }
    open_jobs = {
        (meter_id, purpose)
        for meter_id, purpose in session.execute(
            select(ReadJob.meter_id, ReadJob.purpose).where(ReadJob.state.in_(OPEN_STATES), only)
        )
    }
    rows = []
    for meter_id, (klass, kind) in _meter_plans(session, now, meter_ids).items():
        for purpose in purposes_for(kind):
            plan = by_plan.get((klass, purpose))
            if plan is None or (meter_id, purpose) in open_jobs:
                continue
            slot = due_slot(now, plan.every_minutes, plan.offset_minutes)
            last = latest.get((meter_id, purpose))
            if last is not None and _utc(last) >= slot:
                continue
            rows.append(
                {
                    "meter_id": meter_id,
                    "purpose": purpose,
                    "due_at": slot,
                    "state": PENDING,
                    "attempts": 0,
                    "max_attempts": max_attempts,
                    "next_attempt_at": slot,
                    "clock_check": plan.clock_check,
                    "created_at": now,
                }
            )
    if not rows:
        return 0
    # Another worker may plan the same slot at the same moment: the unique key decides.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = cast(Table, ReadJob.__table__)
    statement = insert(table).on_conflict_do_nothing().returning(table.c.id)
    return len(session.execute(statement, rows).all())


def add_job(
    session: Session,
    meter_id: int,
    purpose: str,
    now: dt.datetime,
    *,
    profile_from: dt.datetime | None = None,
    profile_to: dt.datetime | None = None,
    clock_check: bool = False,
    max_attempts: int = 1,
) -> int:
    """An unplanned job (``osos read``, an operator's request)."""
    job = ReadJob(
        meter_id=meter_id,
        purpose=purpose,
        due_at=None,
        state=PENDING,
        attempts=0,
        max_attempts=max_attempts,
        next_attempt_at=now,
        resume_from=profile_from,
        profile_to=profile_to,
        clock_check=clock_check,
        created_at=now,
    )
    session.add(job)
    session.flush()
    return job.id


def purge_finished(session: Session, before: dt.datetime) -> int:
    """Forget jobs that ended before ``before``: the comm log is the lasting record."""
    result = session.execute(
        delete(ReadJob).where(ReadJob.state.in_((DONE, FAILED)), ReadJob.finished_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_stale(session: Session, now: dt.datetime, older_than: dt.timedelta) -> int:
    """Jobs held longer than ``older_than`` by a worker with no heartbeat row (one that
    predates heartbeats, or a lost row): back to pending (the attempt counts as made). A
    worker with a heartbeat is judged by :mod:`osos.headend.workers` instead."""
    known = select(HeadendWorker.worker)
    result = session.execute(
        update(ReadJob)
        .where(
            ReadJob.state == RUNNING,
            ReadJob.locked_at < now - older_than,
            ReadJob.locked_by.not_in(known),
        )
        .values(
            state=PENDING,
            locked_by=None,
            locked_at=None,
            session_started_at=None,
            next_attempt_at=now,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_jobs(session: Session, job_ids: Sequence[int], now: dt.datetime) -> None:
    """Give claimed jobs back untried (their modem was busy elsewhere): the attempt is not
    counted."""
    session.execute(
        update(ReadJob)
        .where(ReadJob.id.in_(list(job_ids)), ReadJob.state == RUNNING)
        .values(
            state=PENDING,
            locked_by=None,
            locked_at=None,
            session_started_at=None,
            next_attempt_at=now,
            attempts=ReadJob.attempts - 1,
        )
    )


def claim_jobs(
    session: Session,
    now: dt.datetime,
    *,
    worker: str,
    limit: int,
    meter_ids: Sequence[int] | None = None,
    job_ids: Sequence[int] | None = None,
    dial_out_only: bool = True,
) -> list[JobView]:
    """Take the due jobs of up to ``limit`` meters (all due jobs of a meter together, so one
    session serves them) and mark them running."""
    due = (ReadJob.state == PENDING) & (ReadJob.next_attempt_at <= now)
    if job_ids is not None:
        due = due & ReadJob.id.in_(list(job_ids))
    meters = (
        select(ReadJob.meter_id)
        .join(Meter, Meter.id == ReadJob.meter_id)
        .where(due)
        .group_by(ReadJob.meter_id)
        .order_by(func.min(ReadJob.next_attempt_at), ReadJob.meter_id)
        .limit(limit)
    )
    if meter_ids is not None:
        meters = meters.where(ReadJob.meter_id.in_(list(meter_ids)))
    if dial_out_only:
        meters = meters.where(Meter.comm_mode == CommMode.DIAL_OUT)
    chosen = list(session.scalars(meters))
    if not chosen:
        return []
    query = select(ReadJob).where(due, ReadJob.meter_id.in_(chosen)).order_by(ReadJob.id)
    if session.get_bind().dialect.name == "postgresql":
        # Another worker holding a meter's jobs is skipped, never waited for.
        query = query.with_for_update(skip_locked=True)
    jobs = list(session.scalars(query))
    views = []
    for job in jobs:
        job.state = RUNNING
        job.locked_by = worker
        job.locked_at = now
        job.attempts += 1
        views.append(
            JobView(
                id=job.id,
                meter_id=job.meter_id,
                purpose=job.purpose,
                due_at=job.due_at,
                attempts=job.attempts,
                max_attempts=job.max_attempts,
                clock_check=job.clock_check,
                resume_from=job.resume_from,
                profile_to=job.profile_to,
            )
        )
    session.flush()
    return views


def _utc(value: dt.datetime | str) -> dt.datetime:
    """Aggregates lose the column type on SQLite (text); make them aware UTC again."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)

"""The communication log: every attempt with a meter, and each meter's latest state.

From 2026 the regulation asks for every communication problem of every meter with date and
time (DOMAIN.md, sharing 7): one ``comm_log`` row per attempt (the raw transcript kept on
failure) and one ``meter_comm_status`` row per meter for quick queries. The query functions
return frozen dataclasses for the back office, the CLI and the tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.store.models import CommLogEntry, Meter, MeterCommStatus

OK, FAILED, PARTIAL, RUNNING = "ok", "failed", "partial", "running"


def start_attempt(
    session: Session,
    *,
    meter_id: int | None,
    started_at: dt.datetime,
    direction: CommMode,
    purpose: str,
    peer: str | None,
    job_id: int | None = None,
) -> int:
    """Open a log row (outcome ``running``) so readouts stored meanwhile can point at it."""
    entry = CommLogEntry(
        meter_id=meter_id,
        job_id=job_id,
        started_at=started_at,
        direction=direction,
        purpose=purpose[:32],
        outcome=RUNNING,
        peer=peer,
        bytes_sent=0,
        bytes_received=0,
    )
    session.add(entry)
    session.flush()
    return entry.id


def finish_attempt(
    session: Session,
    log_id: int,
    *,
    ended_at: dt.datetime,
    outcome: str,
    error: str | None,
    bytes_sent: int,
    bytes_received: int,
    transcript: bytes | None,
    last_profile_end: dt.datetime | None = None,
) -> None:
    """Close the log row and update the meter's status (failures counted, success resets)."""
    entry = session.get(CommLogEntry, log_id)
    if entry is None:
        raise LookupError(f"comm_log row {log_id} disappeared")
    entry.ended_at = ended_at
    entry.outcome = outcome
    entry.error = error
    entry.bytes_sent = bytes_sent
    entry.bytes_received = bytes_received
    entry.transcript = transcript if outcome != OK else None
    if entry.meter_id is None:
        return
    status = session.get(MeterCommStatus, entry.meter_id)
    if status is None:
        status = MeterCommStatus(meter_id=entry.meter_id, consecutive_failures=0)
        session.add(status)
    status.last_attempt_at = ended_at
    if outcome == OK:
        status.last_success_at = ended_at
        status.consecutive_failures = 0
        status.last_error = None
    else:
        status.consecutive_failures = (status.consecutive_failures or 0) + 1
        status.last_error = error
    if last_profile_end is not None and (
        status.last_profile_end is None or last_profile_end > status.last_profile_end
    ):
        status.last_profile_end = last_profile_end


@dataclass(frozen=True)
class MeterCommStatusView:
    meter_id: int
    serial: str
    last_attempt_at: dt.datetime | None
    last_success_at: dt.datetime | None
    consecutive_failures: int
    last_error: str | None
    last_profile_end: dt.datetime | None


@dataclass(frozen=True)
class CommLogView:
    id: int
    meter_id: int | None
    serial: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    direction: str
    purpose: str
    outcome: str
    error: str | None
    bytes_sent: int
    bytes_received: int
    peer: str | None
    transcript: bytes | None


def comm_status(session: Session, *, failing_only: bool = False) -> list[MeterCommStatusView]:
    """Each meter's latest communication state, worst first (most consecutive failures)."""
    query = select(MeterCommStatus, Meter.serial).join(Meter, Meter.id == MeterCommStatus.meter_id)
    if failing_only:
        query = query.where(MeterCommStatus.consecutive_failures > 0)
    query = query.order_by(MeterCommStatus.consecutive_failures.desc(), Meter.serial)
    return [
        MeterCommStatusView(
            meter_id=status.meter_id,
            serial=serial,
            last_attempt_at=status.last_attempt_at,
            last_success_at=status.last_success_at,
            consecutive_failures=status.consecutive_failures or 0,
            last_error=status.last_error,
            last_profile_end=status.last_profile_end,
        )
        for status, serial in session.execute(query)
    ]


def comm_log(session: Session, meter_id: int | None = None, limit: int = 100) -> list[CommLogView]:
    """The newest attempts (of one meter, or of all), newest first."""
    query = select(CommLogEntry, Meter.serial).outerjoin(Meter, Meter.id == CommLogEntry.meter_id)
    if meter_id is not None:
        query = query.where(CommLogEntry.meter_id == meter_id)
    query = query.order_by(CommLogEntry.started_at.desc(), CommLogEntry.id.desc()).limit(limit)
    return [
        CommLogView(
            id=entry.id,
            meter_id=entry.meter_id,
            serial=serial,
            started_at=entry.started_at,
            ended_at=entry.ended_at,
            direction=str(entry.direction),
            purpose=entry.purpose,
            outcome=entry.outcome,
            error=entry.error,
            bytes_sent=entry.bytes_sent,
            bytes_received=entry.bytes_received,
            peer=entry.peer,
            transcript=entry.transcript,
        )
        for entry, serial in session.execute(query)
    ]

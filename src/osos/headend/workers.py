"""Head-end processes that know of each other: a heartbeat row per worker, and what happens to
a worker that died (SIGKILL, a lost machine).

Every tick a worker stamps its row. Another worker (or the same one restarted) judges a worker
dead when its liveness lock is free (PostgreSQL: the advisory lock it holds while it lives),
when its process is gone (same host), or when its heartbeat is older than ``dead_after``. A dead
worker's started attempts are logged as ``interrupted`` (from the session's start to its last
heartbeat, so they never overlap the next session on that modem), its jobs go back to pending
at once, and its row is removed.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.headend.jobs import PENDING, RUNNING
from osos.store.models import CommLogEntry
from osos.store.models.headend import HeadendWorker, ReadJob

INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class WorkerView:
    worker: str
    host: str
    pid: int
    heartbeat_at: dt.datetime


def this_host() -> str:
    return socket.gethostname()


def heartbeat(session: Session, worker: str, now: dt.datetime) -> None:
    """Stamp this worker's row (made on first use)."""
    row = session.get(HeadendWorker, worker)
    if row is None:
        host, _, pid = worker.rpartition(":")
        row = HeadendWorker(
            worker=worker,
            host=host or this_host(),
            pid=int(pid) if pid.isdigit() else os.getpid(),
            started_at=now,
            heartbeat_at=now,
        )
        session.add(row)
    row.heartbeat_at = now


def others(session: Session, worker: str) -> list[WorkerView]:
    return [
        WorkerView(w.worker, w.host, w.pid, w.heartbeat_at)
        for w in session.scalars(select(HeadendWorker).where(HeadendWorker.worker != worker))
    ]


def process_gone(view: WorkerView) -> bool:
    """A worker on this host whose process no longer exists."""
    if view.host != this_host():
        return False
    try:
        os.kill(view.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def bury(session: Session, dead: WorkerView, now: dt.datetime) -> int:
    """Close a dead worker's attempts as interrupted and give its jobs back; returns jobs."""
    # FOR UPDATE: two survivors burying the same worker at once would both log its attempts;
    # the second waits, then finds the jobs no longer running and logs nothing.
    held = list(
        session.scalars(
            select(ReadJob)
            .where(ReadJob.state == RUNNING, ReadJob.locked_by == dead.worker)
            .with_for_update()
        )
    )
    ended = min(dead.heartbeat_at, now)
    for job in held:
        if job.session_started_at is not None:
            session.add(
                CommLogEntry(
                    meter_id=job.meter_id,
                    job_id=job.id,
                    started_at=job.session_started_at,
                    ended_at=max(ended, job.session_started_at),
                    direction=CommMode.DIAL_OUT,
                    purpose=job.purpose,
                    outcome=INTERRUPTED,
                    error=f"head-end worker {dead.worker} stopped during the session",
                    bytes_sent=0,
                    bytes_received=0,
                )
            )
        job.state = PENDING
        job.locked_by = None
        job.locked_at = None
        job.session_started_at = None
        job.next_attempt_at = now
    session.execute(delete(HeadendWorker).where(HeadendWorker.worker == dead.worker))
    return len(held)


def close_orphan_attempts(session: Session, now: dt.datetime) -> int:
    """Comm-log rows left ``running`` by earlier head-end versions, whose job no live worker
    holds: closed as interrupted (this version never leaves a row running)."""
    live = select(HeadendWorker.worker)
    held = select(ReadJob.id).where(ReadJob.state == RUNNING, ReadJob.locked_by.in_(live))
    result = session.execute(
        update(CommLogEntry)
        .where(
            CommLogEntry.outcome == "running",
            (CommLogEntry.job_id.is_(None)) | (CommLogEntry.job_id.not_in(held)),
        )
        .values(outcome=INTERRUPTED, ended_at=now, error="head-end stopped during the session")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class Liveness(Protocol):
    async def alive(self, worker: str) -> bool | None: ...


async def find_dead(
    views: Sequence[WorkerView], locks: Liveness, now: dt.datetime, dead_after: dt.timedelta
) -> list[WorkerView]:
    """The workers that died: their liveness lock is free, their process is gone, or (when
    neither can be told) their heartbeat is older than ``dead_after``."""
    dead = []
    for view in views:
        alive = await locks.alive(view.worker)
        if alive is True:
            continue
        if alive is False or process_gone(view) or now - view.heartbeat_at > dead_after:
            dead.append(view)
    return dead

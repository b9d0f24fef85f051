"""Which meters are still in their first back-fill: read by the head-end, never completely yet.

On a first start (a utility's, or ``osos demo``'s) the head-end reads weeks of history from
every meter. Until a meter's first complete read, the gaps in its data are history not yet
fetched, not lateness: the delivery ledger does not call its deliveries late (nor estimates
them) and the alerts hold its point's findings. The state is derived from the store alone
(``meter_comm_status``, ``comm_log``, ``read_jobs``), so every process agrees on it.

A meter is back-filling when it is installed, remotely read, has never had an ``ok`` read,
and the head-end is on it: an open read job, or a first attempt less than ``grace`` ago. A
meter that never answers stops being "back-filling" after ``grace``: its silence is then a
real problem, alerted as usual.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.domain import CommMode
from osos.headend.jobs import OPEN_STATES
from osos.store.models import CommLogEntry, Installation, Meter, MeterCommStatus, ServicePoint
from osos.store.models.headend import ReadJob

#: How long after its first attempt a never-read meter still counts as back-filling.
FIRST_READ_GRACE = dt.timedelta(hours=6)


@dataclass(frozen=True)
class Backfill:
    """The meters (and their service points) whose first back-fill is not done at ``as_of``."""

    as_of: dt.datetime
    meter_ids: frozenset[int]
    service_point_ids: frozenset[int]
    service_points: frozenset[str] = frozenset()  # their numbers (``ServicePoint.no``)

    @property
    def complete(self) -> bool:
        return not self.meter_ids


def backfill_state(
    session: Session, as_of: dt.datetime, grace: dt.timedelta = FIRST_READ_GRACE
) -> Backfill:
    """Who is still back-filling at ``as_of`` (see the module text)."""
    installed = (
        select(Installation.meter_id, Installation.service_point_id, ServicePoint.no)
        .join(Meter, Meter.id == Installation.meter_id)
        .join(ServicePoint, ServicePoint.id == Installation.service_point_id)
        .outerjoin(MeterCommStatus, MeterCommStatus.meter_id == Meter.id)
        .where(
            Installation.at(as_of),
            Meter.comm_mode != CommMode.NONE,
            MeterCommStatus.last_success_at.is_(None),
        )
    )
    candidates = session.execute(installed).all()
    if not candidates:
        return Backfill(as_of, frozenset(), frozenset())
    ids = sorted({m for m, _sp, _no in candidates})
    first = dict(
        session.execute(
            select(CommLogEntry.meter_id, func.min(CommLogEntry.started_at))
            .where(CommLogEntry.meter_id.in_(ids))
            .group_by(CommLogEntry.meter_id)
        ).all()
    )
    open_jobs = set(
        session.scalars(
            select(ReadJob.meter_id).where(
                ReadJob.meter_id.in_(ids), ReadJob.state.in_(OPEN_STATES)
            )
        )
    )
    meters = set()
    for meter_id in ids:
        started = first.get(meter_id)
        if started is None:
            if meter_id in open_jobs:  # planned, not yet tried: the first round is under way
                meters.add(meter_id)
        elif as_of - started < grace:
            meters.add(meter_id)
    held = [(sp, no) for m, sp, no in candidates if m in meters]
    return Backfill(
        as_of, frozenset(meters), frozenset(sp for sp, _ in held), frozenset(no for _, no in held)
    )

"""What the back office shows beyond the other layers' own views: search across the registry,
every meter's communication state (with meters never tried), today's coverage, the edit history
and the audit log. Findings, edits and the comm log come from the MDM and head-end modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from osos.headend.commlog import MeterCommStatusView
from osos.readmodel.points import ServicePointView, view_of
from osos.store.db import now as db_now
from osos.store.models import (
    AuditEntry,
    CommLogEntry,
    Installation,
    Meter,
    MeterCommStatus,
    Organisation,
    ProfileIntervalHistory,
    ServicePoint,
    profile_intervals,
)
from osos.timeutil import local_date, local_midnight


@dataclass(frozen=True)
class MeterStatusRow(MeterCommStatusView):
    """The head-end's view of a meter's communication, with what the back office lists beside
    it (also for meters never tried, which the head-end has no status row for)."""

    flag: str
    comm_mode: str
    address: str
    service_point_no: str | None


@dataclass(frozen=True)
class Coverage:
    meters: int
    read_today: int
    failing: int

    @property
    def percent(self) -> int:
        return 0 if self.meters == 0 else round(100 * self.read_today / self.meters)


@dataclass(frozen=True)
class EditRow:
    meter_serial: str
    end_at: dt.datetime
    version: int
    source: str
    superseded_at: dt.datetime
    superseded_by: str
    reason: str | None


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    detail: str | None
    ip: str | None
    outcome: str


def search_points(session: Session, text: str, limit: int = 200) -> list[ServicePointView]:
    """Service points matching any field (number, title, ETSO, region, centre, district, meter)."""
    current = (
        select(Installation.service_point_id, func.max(Installation.installed_at).label("at"))
        .group_by(Installation.service_point_id)
        .subquery()
    )
    query = (
        select(ServicePoint, Installation, Meter)
        .outerjoin(current, current.c.service_point_id == ServicePoint.id)
        .outerjoin(
            Installation,
            (Installation.service_point_id == ServicePoint.id)
            & (Installation.installed_at == current.c.at),
        )
        .outerjoin(Meter, Meter.id == Installation.meter_id)
        .order_by(ServicePoint.no)
        .limit(limit)
    )
    if text.strip():
        like = f"%{text.strip().lower()}%"
        query = query.where(
            or_(
                *(
                    func.lower(c).like(like)
                    for c in (
                        ServicePoint.no,
                        ServicePoint.title,
                        ServicePoint.etso_code,
                        ServicePoint.region,
                        ServicePoint.center,
                        ServicePoint.district,
                        Meter.serial,
                        Meter.flag,
                    )
                )
            )
        )
    return [view_of(sp, i, m) for sp, i, m in session.execute(query).all()]


def meter_statuses(session: Session, serial: str | None = None) -> list[MeterStatusRow]:
    """Every meter's communication state, failing ones first."""
    query = (
        select(Meter, MeterCommStatus, ServicePoint.no)
        .outerjoin(MeterCommStatus, MeterCommStatus.meter_id == Meter.id)
        .outerjoin(
            Installation,
            (Installation.meter_id == Meter.id) & Installation.removed_at.is_(None),
        )
        .outerjoin(ServicePoint, ServicePoint.id == Installation.service_point_id)
    )
    if serial:
        query = query.where(Meter.serial == serial)
    rows = []
    for m, st, no in session.execute(query).all():
        rows.append(
            MeterStatusRow(
                meter_id=m.id,
                serial=m.serial,
                last_attempt_at=st.last_attempt_at if st else None,
                last_success_at=st.last_success_at if st else None,
                consecutive_failures=st.consecutive_failures if st else 0,
                last_error=st.last_error if st else None,
                last_profile_end=st.last_profile_end if st else None,
                flag=m.flag,
                comm_mode=m.comm_mode.value,
                address=f"{m.host}:{m.port}" if m.host else "",
                service_point_no=no,
            )
        )
    rows.sort(key=lambda r: (-r.consecutive_failures, r.last_success_at is not None, r.serial))
    return rows


def transcript(session: Session, comm_id: int) -> bytes | None:
    value: bytes | None = session.scalar(
        select(CommLogEntry.transcript).where(CommLogEntry.id == comm_id)
    )
    return value


def coverage_today(session: Session, now: dt.datetime | None = None) -> Coverage:
    """Meters with a profile interval since local midnight, of the remotely read meters
    installed at a service point now (a removed meter is no longer expected to answer)."""
    now = now or db_now(session)
    midnight = local_midnight(local_date(now))
    installed = select(Installation.meter_id).where(
        Installation.at(now),
    )
    expected = select(Meter.id).where(Meter.comm_mode != "none", Meter.id.in_(installed))
    meters = session.scalar(select(func.count()).select_from(expected.subquery())) or 0
    t = profile_intervals
    read = (
        session.scalar(
            select(func.count(func.distinct(t.c.meter_id))).where(
                t.c.end_at > midnight, t.c.meter_id.in_(expected)
            )
        )
        or 0
    )
    failing = (
        session.scalar(
            select(func.count())
            .select_from(MeterCommStatus)
            .where(MeterCommStatus.consecutive_failures > 0, MeterCommStatus.meter_id.in_(expected))
        )
        or 0
    )
    return Coverage(meters, read, failing)


def edits(session: Session, limit: int = 300) -> list[EditRow]:
    """Superseded interval versions: who replaced which value, when and why."""
    rows = session.execute(
        select(ProfileIntervalHistory, Meter.serial)
        .join(Meter, Meter.id == ProfileIntervalHistory.meter_id)
        .order_by(ProfileIntervalHistory.superseded_at.desc())
        .limit(limit)
    ).all()
    return [
        EditRow(
            serial, h.end_at, h.version, h.source.value, h.superseded_at, h.superseded_by, h.reason
        )
        for h, serial in rows
    ]


def audit_rows(
    session: Session, *, actor: str = "", outcome: str = "", limit: int = 500
) -> Iterator[AuditRow]:
    """The audit log, newest first, filtered; read in batches (an export of 100,000 rows does
    not hold them all at once)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(func.lower(AuditEntry.actor).like(f"%{actor.lower()}%"))
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    for a in session.scalars(query.execution_options(yield_per=1000)):
        yield AuditRow(
            a.at, a.actor, a.action, a.object_type, a.object_id, a.detail, a.ip, a.outcome
        )


def audit_entries(
    session: Session, *, actor: str = "", outcome: str = "", limit: int = 500
) -> list[AuditRow]:
    return list(audit_rows(session, actor=actor, outcome=outcome, limit=limit))


@dataclass(frozen=True)
class OrganisationRow:
    id: int
    name: str
    kind: str


def organisations(session: Session) -> list[OrganisationRow]:
    """Every organisation by name (the back office's choices for tokens and consents)."""
    rows = session.scalars(select(Organisation).order_by(Organisation.name))
    return [OrganisationRow(o.id, o.name, o.kind.value) for o in rows]


def point_numbers(session: Session, ids: set[int]) -> set[str]:
    """The numbers of the service points ``ids`` (a customer's own, for its forms)."""
    if not ids:
        return set()
    return set(session.scalars(select(ServicePoint.no).where(ServicePoint.id.in_(list(ids)))))

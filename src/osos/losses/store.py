"""Findings kept: one row per service point, kind and start. A re-run updates the end and
the evidence of what it finds again and adds what is new; what operators did (status, note)
stays. Status changes are audited."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import audit
from osos.errors import InvalidInput, NotFound
from osos.store.db import now as db_now
from osos.store.models import Meter, ServicePoint
from osos.store.models.losses import LossFinding

from .findings import Finding, Kind, Status


@dataclass(frozen=True)
class StoredFinding:
    """A finding as the worklist shows it."""

    id: int
    finding: Finding
    status: Status
    status_by: str | None
    status_at: dt.datetime | None
    note: str | None
    detected_at: dt.datetime
    title: str | None


@dataclass(frozen=True)
class SaveResult:
    added: int
    updated: int
    unchanged: int


def save(session: Session, findings: Iterable[Finding]) -> SaveResult:
    """Upsert by (point, kind, start); idempotent."""
    points = {no: id_ for no, id_ in session.execute(select(ServicePoint.no, ServicePoint.id))}
    meters = {serial: id_ for serial, id_ in session.execute(select(Meter.serial, Meter.id))}
    added = updated = unchanged = 0
    now = db_now(session)
    for f in findings:
        point_id = points.get(f.service_point)
        if point_id is None:
            continue
        row = session.scalar(
            select(LossFinding).where(
                LossFinding.service_point_id == point_id,
                LossFinding.kind == f.kind.value,
                LossFinding.start_at == f.start,
            )
        )
        evidence = json.dumps(dict(f.evidence), ensure_ascii=False)  # in the detector's order
        if row is None:
            session.add(
                LossFinding(
                    service_point_id=point_id, kind=f.kind.value, start_at=f.start,
                    end_at=f.end, meter_id=meters.get(f.meter or ""), readout_id=f.readout_id,
                    evidence=evidence, status=Status.OPEN.value, detected_at=now, updated_at=now,
                )
            )  # fmt: skip
            added += 1
        elif row.end_at != f.end or row.evidence != evidence or row.readout_id != f.readout_id:
            row.end_at, row.evidence, row.updated_at = f.end, evidence, now
            row.readout_id = row.readout_id or f.readout_id
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return SaveResult(added, updated, unchanged)


def listed(
    session: Session,
    low: dt.datetime | None = None,
    high: dt.datetime | None = None,
    statuses: Iterable[Status] | None = None,
    limit: int = 5000,
) -> list[StoredFinding]:
    """Stored findings whose span meets [low, high) and in ``statuses`` (None: any), newest
    first."""
    query = (
        select(LossFinding, ServicePoint.no, ServicePoint.title, Meter.serial)
        .join(ServicePoint, ServicePoint.id == LossFinding.service_point_id)
        .outerjoin(Meter, Meter.id == LossFinding.meter_id)
        .order_by(LossFinding.start_at.desc(), LossFinding.id.desc())
        .limit(limit)
    )
    if high is not None:
        query = query.where(LossFinding.start_at < high)
    if low is not None:
        query = query.where((LossFinding.end_at.is_(None)) | (LossFinding.end_at >= low))
    if statuses is not None:
        query = query.where(LossFinding.status.in_([s.value for s in statuses]))
    return [
        StoredFinding(
            row.id,
            Finding(
                no,
                Kind(row.kind),
                row.start_at,
                row.end_at,
                json.loads(row.evidence),
                serial,
                row.readout_id,
            ),
            Status(row.status),
            row.status_by,
            row.status_at,
            row.note,
            row.detected_at,
            title,
        )
        for row, no, title, serial in session.execute(query)
    ]


def set_status(
    session: Session,
    finding_id: int,
    status: Status,
    *,
    actor: str,
    note: str = "",
    user_id: int | None = None,
    ip: str | None = None,
) -> None:
    """Acknowledge or close a finding (closing asks for a note: what was found on site)."""
    row = session.get(LossFinding, finding_id)
    if row is None:
        raise NotFound(f"loss finding {finding_id}")
    if status is Status.CLOSED and not note.strip():
        raise InvalidInput("closing a finding needs a note")
    before = row.status
    row.status, row.status_by, row.status_at = status.value, actor, db_now(session)
    row.note = note.strip()[:2000] or row.note
    audit.record(
        session, actor=actor, action=f"loss_finding_{status.value}", object_type="loss_finding",
        object_id=finding_id, user_id=user_id, ip=ip,
        detail={"from": before, "to": status.value, "kind": row.kind, "note": row.note},
    )  # fmt: skip

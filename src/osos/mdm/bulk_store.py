"""Many months' determinants stored at once: the set-based run's reports, their fingerprints by
grouped queries (:mod:`~osos.mdm.fingerprints`), the rows in one flush."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.mdm.billing import MonthlyReport
from osos.mdm.bulk import CHUNK, monthly_bulk
from osos.mdm.bulk_read import MeterSums
from osos.mdm.fingerprints import fingerprints
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.store.models import ServicePoint
from osos.store.models.mdm import BillingDeterminant


def store_many(
    session: Session,
    period: str,
    reports: Sequence[tuple[int, MonthlyReport]],
    sums: MeterSums | None = None,
) -> None:
    """Keep computed months (service point id, report) with their fingerprints, in one flush
    (``sums``: meters' rows already counted, see :func:`~osos.mdm.fingerprints.fingerprints`)."""
    ids = [sp for sp, _ in reports]
    prints = fingerprints(session, ids, period, sums)
    rows = {
        row.service_point_id: row
        for row in session.execute(
            select(BillingDeterminant).where(
                BillingDeterminant.service_point_id.in_(ids), BillingDeterminant.period == period
            )
        ).scalars()
    }
    now: dt.datetime = db_now(session)
    for sp, report in reports:
        row = rows.get(sp)
        if row is None:
            row = BillingDeterminant(service_point_id=sp, period=period, version=0)
            session.add(row)
        row.data = json.dumps(report.to_json(), ensure_ascii=False)
        row.estimated, row.dirty, row.computed_at = report.estimated, False, now
        row.fingerprint = prints[sp]
        row.version = (row.version or 0) + 1
    session.flush()


def compute_and_store(
    session: Session,
    period: str,
    settings: Settings,
    service_points: Sequence[ServicePoint] | None = None,
) -> int:
    """The set-based run of these service points (default: all) stored chunk by chunk."""
    if service_points is None:
        statement = select(ServicePoint).order_by(ServicePoint.no)
        service_points = list(session.execute(statement).scalars())
    ids = {sp.no: sp.id for sp in service_points}
    batch: list[tuple[int, MonthlyReport]] = []
    count = 0
    sums: MeterSums = {}  # filled by the run chunk by chunk, emptied as each batch is stored
    for report in monthly_bulk(session, period, settings, service_points=service_points, sums=sums):
        batch.append((ids[report.service_point], report))
        if len(batch) >= CHUNK:
            store_many(session, period, batch, sums)
            count, batch = count + len(batch), []
            sums.clear()
    if batch:
        store_many(session, period, batch, sums)
    return count + len(batch)

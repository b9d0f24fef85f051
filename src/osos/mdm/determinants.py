"""Stored monthly determinants: written when computed, recomputed when the data under them moved.

Writers that know they changed a meter's data (imports, estimation, edits) call
:func:`mark_dirty`; a fingerprint of the month's data (installations, interval versions,
readouts) catches writers that did not, such as another layer's ingest.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from osos.mdm import bulk_store
from osos.mdm.billing import MonthlyReport
from osos.mdm.fingerprints import (
    FINGERPRINT_AFTER,
    FINGERPRINT_BEFORE,
    FINGERPRINT_INSTALLS,
    digest,
)
from osos.mdm.loading import READ_MARGIN
from osos.mdm.months import compute_for
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.store.models import Installation, Readout, ServicePoint, profile_intervals
from osos.store.models.mdm import BillingDeterminant
from osos.timeutil import month_bounds, month_start_before, next_month_start, period_of


def fingerprint(session: Session, service_point_id: int, period: str) -> str:
    """A digest of everything the month's determinants are computed from."""
    start, end = month_bounds(period)
    installs = session.execute(
        select(*FINGERPRINT_INSTALLS)
        .where(
            Installation.service_point_id == service_point_id,
            Installation.installed_at <= end,
            or_(Installation.removed_at.is_(None), Installation.removed_at >= start),
        )
        .order_by(Installation.id)
    ).all()
    meter_ids = sorted({row[1] for row in installs})
    parts: list[Any] = [[str(v) for v in row] for row in installs]
    if meter_ids:
        table = profile_intervals
        parts.append(
            list(
                session.execute(
                    select(
                        func.count(), func.sum(table.c.version), func.max(table.c.readout_id)
                    ).where(
                        table.c.meter_id.in_(meter_ids),
                        table.c.end_at >= start - FINGERPRINT_BEFORE,
                        table.c.end_at <= end + FINGERPRINT_AFTER,
                    )
                ).one()
            )
        )
        parts.append(
            session.execute(
                select(func.count(), func.max(Readout.id)).where(
                    Readout.meter_id.in_(meter_ids),
                    Readout.read_at >= start - READ_MARGIN,
                    Readout.read_at <= end + READ_MARGIN,
                )
            ).one()[:]
        )
    return digest(parts)


def _row(session: Session, service_point_id: int, period: str) -> BillingDeterminant | None:
    return session.execute(
        select(BillingDeterminant).where(
            BillingDeterminant.service_point_id == service_point_id,
            BillingDeterminant.period == period,
        )
    ).scalar_one_or_none()


def _get_or_create(session: Session, service_point_id: int, period: str) -> BillingDeterminant:
    """The month's row, created when missing; a concurrent creator (two panel requests for
    the same month) is tolerated: the loser of the race reads the winner's row."""
    row = _row(session, service_point_id, period)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = BillingDeterminant(
                service_point_id=service_point_id, period=period, dirty=True, estimated=False,
                version=0,
            )  # fmt: skip
            session.add(row)
    except IntegrityError:
        row = _row(session, service_point_id, period)
        assert row is not None
    return row


def store(session: Session, service_point_id: int, report: MonthlyReport) -> None:
    """Keep a computed month with the fingerprint of its data."""
    row = _get_or_create(session, service_point_id, report.period)
    row.data = json.dumps(report.to_json(), ensure_ascii=False)
    row.estimated = report.estimated
    row.dirty = False
    row.computed_at = db_now(session)
    row.fingerprint = fingerprint(session, service_point_id, report.period)
    row.version = (row.version or 0) + 1
    session.flush()


def mark_dirty(session: Session, meter_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """Flag the months of every service point the meter served in ``[start, end]``.

    Returns how many (service point, month) rows are now dirty.
    """
    sp_ids = sorted(
        session.execute(
            select(Installation.service_point_id).where(
                Installation.meter_id == meter_id,
                Installation.installed_at <= end,
                or_(Installation.removed_at.is_(None), Installation.removed_at >= start),
            )
        ).scalars()
    )
    periods = []
    month = month_start_before(start - dt.timedelta(microseconds=1))
    while month <= end:
        periods.append(period_of(month))
        month = next_month_start(month)
    count = 0
    for sp_id in set(sp_ids):
        for period in periods:
            _get_or_create(session, sp_id, period).dirty = True
            count += 1
    session.flush()
    return count


def stored(
    session: Session, service_point_id: int, period: str, settings: Settings
) -> dict[str, Any]:
    """The month's determinants as JSON, recomputed first when dirty or their data moved."""
    row = _row(session, service_point_id, period)
    if (
        row is not None
        and not row.dirty
        and row.data is not None
        and row.fingerprint == fingerprint(session, service_point_id, period)
    ):
        data: dict[str, Any] = json.loads(row.data)
        return data
    sp = session.get(ServicePoint, service_point_id)
    assert sp is not None
    report = compute_for(session, sp, period, settings)
    store(session, service_point_id, report)
    return report.to_json()


def refresh_dirty(session: Session, settings: Settings, *, limit: int | None = None) -> int:
    """Recompute every dirty month (a batch for after imports); returns how many."""
    statement = select(BillingDeterminant).where(BillingDeterminant.dirty.is_(True))
    if limit is not None:
        statement = statement.limit(limit)
    rows = list(session.execute(statement).scalars())
    for row in rows:
        refresh(session, row.service_point_id, row.period, settings)
    return len(rows)


def dirty_months(session: Session, *, limit: int) -> list[tuple[int, str]]:
    """Up to ``limit`` dirty (service point, period), oldest computation first."""
    return [
        (sp_id, period)
        for sp_id, period in session.execute(
            select(BillingDeterminant.service_point_id, BillingDeterminant.period)
            .where(BillingDeterminant.dirty.is_(True))
            .order_by(BillingDeterminant.computed_at.is_not(None), BillingDeterminant.computed_at)
            .limit(limit)
        )
    ]


def refresh(session: Session, service_point_id: int, period: str, settings: Settings) -> None:
    """Recompute and store one month."""
    sp = session.get(ServicePoint, service_point_id)
    assert sp is not None
    store(session, service_point_id, compute_for(session, sp, period, settings))


def store_period(session: Session, period: str, settings: Settings) -> int:
    """Compute every service point's month in bulk and store it (the monthly batch)."""
    return bulk_store.compute_and_store(session, period, settings)

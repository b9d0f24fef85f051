"""What the panel, the sharing layer and the CLI ask the MDM: its one interface.

The work is done in :mod:`~osos.mdm.months` (a month computed from the store),
:mod:`~osos.mdm.intervals` (consumption per interval), :mod:`~osos.mdm.month_ends` (month-end
indexes) and :mod:`~osos.mdm.determinants` (the months stored, recomputed when their data moves).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from osos.mdm import determinants
from osos.mdm.billing import MonthlyReport
from osos.mdm.bulk import monthly_bulk as monthly_all
from osos.mdm.intervals import ConsumptionInterval, interval_consumption
from osos.mdm.month_ends import MonthEndIndex, month_end_indexes
from osos.mdm.months import (
    compute_for,
    parse_period,
    service_point,
    service_point_by_no,
)
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.timeutil import month_start_before, period_of

__all__ = [
    "ConsumptionInterval",
    "MonthEndIndex",
    "MonthlyReport",
    "interval_consumption",
    "month_end_indexes",
    "monthly_all",
    "monthly_history",
    "monthly_report",
    "parse_period",
]


def monthly_report(
    session: Session, service_point_no: str, period: str, settings: Settings
) -> MonthlyReport:
    """The billing determinants of one service point and month (stored as a side effect).

    Raises NotFound for an unknown service point and ValueError for a bad period.
    """
    parse_period(period)
    sp = service_point_by_no(session, service_point_no)
    report = compute_for(session, sp, period, settings)
    determinants.store(session, sp.id, report)
    return report


def monthly_history(
    session: Session,
    service_point_id: int,
    months: int,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
) -> list[MonthlyReport]:
    """The last ``months`` complete months, oldest first (ratios and max demand per month)."""
    sp = service_point(session, service_point_id)
    now = now or db_now(session)
    periods = [period_of(month_start_before(now, k)) for k in range(months, 0, -1)]
    return [compute_for(session, sp, p, settings) for p in periods]

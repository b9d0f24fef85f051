"""Month results of a service point (the MDM's billing determinants and month-end indexes),
for the months and month-ends the caller may see.

A month is shown only when the caller's windows cover all of it: a supplier does not see the
determinants of a month it supplied in part. The computations stay in :mod:`osos.mdm`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from osos.mdm.billing import MonthlyReport
from osos.mdm.service import MonthEndIndex, month_end_indexes, monthly_report
from osos.readmodel.access import NotVisible, Sight
from osos.settings import Settings
from osos.timeutil import month_bounds, month_start_before

SECOND = dt.timedelta(seconds=1)


def month_visible(sight: Sight, period: str) -> bool:
    """Whether the caller may see the whole month ``YYYY-MM``."""
    start, end = month_bounds(period)
    return sight.covers(start, end)


def month_result(session: Session, sight: Sight, period: str, settings: Settings) -> MonthlyReport:
    """The month's determinants; NotVisible when the caller may not see all of the month."""
    if not month_visible(sight, period):
        raise NotVisible("month outside the supply period", period=period)
    return monthly_report(session, sight.point.no, period, settings)


def month_results(
    session: Session, sight: Sight, periods: Iterable[str], settings: Settings
) -> list[MonthlyReport]:
    """The determinants of those of ``periods`` the caller may see, in their order."""
    return [
        monthly_report(session, sight.point.no, p, settings)
        for p in periods
        if month_visible(sight, p)
    ]


@dataclass(frozen=True)
class MonthEnd:
    """A month-end (or the latest read) the caller may see; ``consumption_shown`` says whether
    the consumption up to it lies in the windows too (it starts at the entry before)."""

    index: MonthEndIndex
    consumption_shown: bool


def _inside(sight: Sight, at: dt.datetime) -> bool:
    return any(lo <= at and (hi is None or at <= hi) for lo, hi in sight.windows)


def month_ends(session: Session, sight: Sight, months: int, now: dt.datetime) -> list[MonthEnd]:
    """The last ``months`` month-ends and the latest read inside the windows, oldest first."""
    every = month_end_indexes(session, sight.point.id, months, now=now)
    shown: list[MonthEnd] = []
    for i, p in enumerate(every):
        if not _inside(sight, p.at):
            continue
        since = every[i - 1].at if i else month_start_before(p.at - SECOND)
        shown.append(MonthEnd(p, _inside(sight, since)))
    return shown

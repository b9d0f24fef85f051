"""How a month developed, for the Oranlar chart (the month's verdicts come from the MDM)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from osos.mdm.reactive import ratio
from osos.timeutil import LOCAL_TZ
from osos.web.queries import Interval


def period_key(at: dt.datetime) -> str:
    local = at.astimezone(LOCAL_TZ)
    return f"{local.year:04d}-{local.month:02d}"


def daily_ratios(rows: Sequence[Interval]) -> list[tuple[dt.date, Decimal | None, Decimal | None]]:
    """Cumulative inductive and capacitive ratio at the end of each local day of the month."""
    out: list[tuple[dt.date, Decimal | None, Decimal | None]] = []
    active = ind = cap = Decimal(0)
    day: dt.date | None = None
    for r in rows:
        d = r.start.astimezone(LOCAL_TZ).date()
        if day is not None and d != day:
            out.append(_ratio_point(day, active, ind, cap))
        day = d
        active += r.withdrawal_kwh or 0
        ind += r.inductive_kvarh or 0
        cap += r.capacitive_kvarh or 0
    if day is not None:
        out.append(_ratio_point(day, active, ind, cap))
    return out


def _ratio_point(
    day: dt.date, active: Decimal, ind: Decimal, cap: Decimal
) -> tuple[dt.date, Decimal | None, Decimal | None]:
    if active == 0:
        return day, None, None
    return day, ratio(ind, active), ratio(cap, active)

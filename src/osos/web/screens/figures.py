"""How a range developed: cumulative ratios per day (Oranlar) and daily peak demand (Yük
Profili). The month's own verdicts and maximum demand come from the MDM."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from osos.mdm.reactive import ratio
from osos.readmodel.intervals import Interval
from osos.timeutil import QUARTER, local_date


def daily_ratios(rows: Sequence[Interval]) -> list[tuple[dt.date, Decimal | None, Decimal | None]]:
    """Cumulative inductive and capacitive ratio at the end of each local day of the month."""
    out: list[tuple[dt.date, Decimal | None, Decimal | None]] = []
    active = ind = cap = Decimal(0)
    day: dt.date | None = None
    for r in rows:
        d = local_date(r.start)
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


FOUR = Decimal(4)  # a quarter's energy × 4 = its average power


def daily_peaks(rows: Sequence[Interval]) -> list[tuple[dt.date, Decimal, dt.datetime]]:
    """Each local day's highest 15-minute average power (kW) and the quarter's start.

    Clock-aligned quarters from the load profile, after the multiplier.
    """
    best: dict[dt.date, tuple[Decimal, dt.datetime]] = {}
    for r in rows:
        if r.withdrawal_kwh is None or r.end - r.start != QUARTER:
            continue
        day = local_date(r.start)
        kw = r.withdrawal_kwh * FOUR
        if day not in best or kw > best[day][0]:
            best[day] = (kw, r.start)
    return [(day, kw, at) for day, (kw, at) in sorted(best.items())]

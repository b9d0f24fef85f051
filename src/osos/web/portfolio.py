"""The customer's list of service points (the panel's home and its download) and the picker
of the screens: the read model's portfolio, with this month's consumption for a Kurumsal user."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from osos.domain import UserKind
from osos.exports import Cell, Column, Table
from osos.readmodel.access import Principal, Window, portfolio
from osos.readmodel.intervals import intervals, totals
from osos.readmodel.points import ServicePointView
from osos.store.db import now as db_now
from osos.timeutil import month_start_before, period_of, quarter_floor
from osos.web import formatting
from osos.web.i18n import Words

MAX_TOTALS = 200  # points whose month is summed on the page (a large company's list stays fast)


@dataclass(frozen=True)
class Portfolio:
    """A customer's or supplier's service points, with this month's consumption (Kurumsal)."""

    points: tuple[ServicePointView, ...]
    totals: Mapping[str, Decimal]
    grand: Decimal
    windows: Mapping[str, tuple[Window, ...]]
    period: str
    kind: str


def my_points(session: Session, principal: Principal) -> Portfolio:
    sights = portfolio(session, principal)
    now = db_now(session)
    month = month_start_before(now)
    sums: dict[str, Decimal] = {}
    if principal.kind == UserKind.KURUMSAL:
        for sight in sights[:MAX_TOTALS]:
            rows = intervals(session, sight, month, quarter_floor(now), 15)
            sums[sight.point.no] = totals(rows).withdrawal_kwh
    return Portfolio(
        tuple(s.point for s in sights),
        sums,
        sum(sums.values(), Decimal(0)),
        {s.point.no: s.windows for s in sights},
        period_of(month),
        str(principal.kind),
    )


def choices(session: Session, principal: Principal) -> list[tuple[str, str]]:
    """(number, title) of the points a customer with several may switch between."""
    if principal.is_staff or principal.kind == UserKind.ABONE:
        return []
    points = [s.point for s in portfolio(session, principal)]
    return sorted((p.no, p.title or "") for p in points) if len(points) >= 2 else []


def _window_text(windows: tuple[Window, ...], w: Words) -> str:
    return "; ".join(
        f"{formatting.local_date(lo, w.language)} – "
        f"{formatting.local_date(hi, w.language) if hi else w.t('open_ended')}"
        for lo, hi in windows
    )


def portfolio_table(data: Portfolio, language: str, login: str) -> Table:
    """The list as a file: what the page shows (pure)."""
    w = Words(language)
    supplier = data.kind == UserKind.TEDARIKCI
    headers = [Column(w.t(k)) for k in ("hn_no", "title", "meter_serial")]
    headers += [Column("ETSO"), Column(w.t("district"))]
    if data.totals:
        headers.append(Column(f"{w.t('this_month_kwh')} ({data.period})", 3))
    if supplier:
        headers.append(Column(w.t("supply_window")))
    body: list[list[Cell]] = []
    for p in data.points:
        line: list[Cell] = [p.no, p.title, p.meter_serial, p.etso_code, p.district]
        if data.totals:
            line.append(data.totals.get(p.no))
        if supplier:
            line.append(_window_text(data.windows[p.no], w))
        body.append(line)
    if data.totals:
        body.append([w.t("total"), None, None, None, None, data.grand])
    return Table(w.t("my_service_points"), headers, body, note=login, language=language)

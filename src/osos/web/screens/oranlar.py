"""Oranlar: the month's inductive and capacitive ratios against the limits for this service
point's installed power, how they developed day by day, and the months before."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import Query
from markupsafe import Markup
from sqlalchemy.orm import Session

from osos.exports import Cell, Column, Table
from osos.mdm.billing import MonthlyReport
from osos.readmodel.access import NotVisible, Sight
from osos.readmodel.intervals import intervals
from osos.readmodel.months import month_result
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.timeutil import month_bounds, month_start_before, period_of
from osos.web import charts, formatting
from osos.web.i18n import Words
from osos.web.screens.common import Month, Page, Screen, ScreenQuery, history
from osos.web.screens.figures import daily_ratios

NEAR = Decimal("0.8")  # a ratio at 80 % of its limit is "close"
DailyRatio = tuple[dt.date, Decimal | None, Decimal | None]


class OranlarQuery(ScreenQuery):
    ay: Month = None


def query(q: Annotated[OranlarQuery, Query()]) -> OranlarQuery:
    return q


@dataclass(frozen=True)
class OranlarData:
    point_no: str
    period: str
    report: MonthlyReport | None  # None: the month is not all inside the viewer's supply dates
    daily: tuple[DailyRatio, ...]
    history: tuple[MonthlyReport, ...]


@dataclass(frozen=True)
class OranlarContext:
    report: MonthlyReport | None
    period: str
    chart: Markup
    history: tuple[MonthlyReport, ...]
    ind_level: str
    cap_level: str
    daily: tuple[DailyRatio, ...]


def load(session: Session, sight: Sight, q: OranlarQuery, settings: Settings) -> OranlarData:
    period = q.ay or period_of(month_start_before(db_now(session), 1))
    past = history(session, sight, 6, settings, upto=period)
    try:
        report = month_result(session, sight, period, settings)
    except NotVisible:  # a supplier since mid-month: the page says so instead of a 404
        return OranlarData(sight.point.no, period, None, (), tuple(past))
    start, end = month_bounds(period)
    daily = daily_ratios(intervals(session, sight, start, end, 60))
    return OranlarData(sight.point.no, period, report, tuple(daily), tuple(past))


def level(ratio: Decimal | None, limit: Decimal | None, exceeded: bool) -> str:
    if exceeded:
        return "over"
    if ratio is not None and limit is not None and ratio >= limit * NEAR:
        return "near"
    return "ok"


def _chart(data: OranlarData, w: Words) -> Markup:
    if data.report is None:
        return Markup("")
    r = data.report.reactive
    limits = []
    if r.inductive_limit is not None:
        label = f"{w.t('inductive_limit')} %{r.inductive_limit}"
        limits.append(charts.Limit(label, r.inductive_limit, "limit"))
    if r.capacitive_limit is not None:
        label = f"{w.t('capacitive_limit')} %{r.capacitive_limit}"
        limits.append(charts.Limit(label, r.capacitive_limit, "limit2"))
    return charts.line_chart(
        [
            charts.Series(w.t("inductive_ratio"), [d[1] for d in data.daily], "s1"),
            charts.Series(w.t("capacitive_ratio"), [d[2] for d in data.daily], "s2"),
        ],
        [formatting.local_date(d[0], w.language)[:5] for d in data.daily],
        limits=limits,
        unit="%",
        title=w.t("ratios"),
    )


def _history_table(data: OranlarData, w: Words) -> Table:
    headers = [
        Column(w.t("period")),
        Column(w.t("active_kwh"), 3),
        Column(w.t("inductive_kvarh"), 3),
        Column(w.t("capacitive_kvarh"), 3),
        Column(w.t("inductive_ratio"), 2),
        Column(w.t("inductive_limit"), 2),
        Column(w.t("capacitive_ratio"), 2),
        Column(w.t("capacitive_limit"), 2),
        Column(w.t("estimated")),
    ]
    body: list[list[Cell]] = [
        [
            h.period,
            h.consumption.get("1.8.0"),
            h.consumption.get("5.8.0"),
            h.consumption.get("8.8.0"),
            h.reactive.inductive_ratio,
            h.reactive.inductive_limit,
            h.reactive.capacitive_ratio,
            h.reactive.capacitive_limit,
            w.t("yes") if h.estimated else w.t("no"),
        ]
        for h in data.history
    ]
    return Table(w.t("ratios"), headers, body, note=data.point_no, language=w.language)


def _daily_table(data: OranlarData, w: Words) -> Table:
    r = data.report.reactive if data.report is not None else None
    headers = [
        Column(w.t("day")),
        Column(w.t("inductive_ratio"), 2),
        Column(w.t("inductive_limit"), 2),
        Column(w.t("capacitive_ratio"), 2),
        Column(w.t("capacitive_limit"), 2),
    ]
    body: list[list[Cell]] = [
        [d[0], d[1], r.inductive_limit, d[2], r.capacitive_limit]
        for d in data.daily
        if r is not None
    ]
    note = f"{data.point_no} · {data.period}"
    return Table(w.t("ratio_development"), headers, body, note=note, language=w.language)


def view(data: OranlarData, language: str) -> Page:
    w = Words(language)
    r = data.report.reactive if data.report is not None else None
    context = OranlarContext(
        data.report,
        data.period,
        _chart(data, w),
        data.history,
        "ok" if r is None else level(r.inductive_ratio, r.inductive_limit, r.inductive_exceeded),
        "ok" if r is None else level(r.capacitive_ratio, r.capacitive_limit, r.capacitive_exceeded),
        data.daily,
    )
    tables = {"grafik": _daily_table(data, w)}
    return Page(context, _history_table(data, w), data.period, tables)


SCREEN = Screen("oranlar", "oranlar.html", "Oranlar", query, load, view)

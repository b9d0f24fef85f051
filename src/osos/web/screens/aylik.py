"""Max Aktif Güç / Aylık: twelve months of consumption per tariff and total, export, the
month's maximum demand with its time, and the change from the month before."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup
from sqlalchemy.orm import Session

from osos.exports import Cell, Column, Table
from osos.mdm.billing import MonthlyReport
from osos.readmodel.access import Sight
from osos.settings import Settings
from osos.web import charts, formatting
from osos.web.i18n import Words
from osos.web.screens.common import NoQuery, Page, Screen, history, no_query, when

TARIFFS = (("1.8.1", "T1"), ("1.8.2", "T2"), ("1.8.3", "T3"))


@dataclass(frozen=True)
class AylikData:
    point_no: str
    history: tuple[MonthlyReport, ...]


@dataclass(frozen=True)
class AylikContext:
    history: tuple[MonthlyReport, ...]
    chart: Markup
    demand_chart: Markup
    rows: tuple[tuple[Cell, ...], ...]  # the file's rows, which the table on the page shows


def load(session: Session, sight: Sight, q: NoQuery, settings: Settings) -> AylikData:
    return AylikData(sight.point.no, tuple(history(session, sight, 12, settings)))


def change(before: MonthlyReport | None, after: MonthlyReport) -> Decimal | None:
    """Percent change of 1.8.0 consumption from the month before (None without both)."""
    if before is None:
        return None
    a, b = before.consumption.get("1.8.0"), after.consumption.get("1.8.0")
    if a is None or b is None or a == 0:
        return None
    return ((b - a) / a * 100).quantize(Decimal("0.1"))


def _demand(report: MonthlyReport, obis: str) -> Decimal | None:
    demand = report.max_demand.get(obis)
    return None if demand is None else demand.value


def _rows(data: AylikData, w: Words) -> tuple[tuple[Cell, ...], ...]:
    rows: list[tuple[Cell, ...]] = []
    previous: MonthlyReport | None = None
    for h in data.history:
        imp, exp = h.max_demand.get("1.6.0"), h.max_demand.get("2.6.0")
        rows.append(
            (
                h.period,
                *(h.consumption.get(obis) for obis in ("1.8.1", "1.8.2", "1.8.3", "1.8.0")),
                h.consumption.get("2.8.0"),
                imp.value if imp else None,
                when(w, imp.time) if imp else None,
                exp.value if exp else None,
                when(w, exp.time) if exp else None,
                w.t("yes") if h.estimated else w.t("no"),
                change(previous, h),
            )
        )
        previous = h
    return tuple(rows)


def view(data: AylikData, language: str) -> Page:
    w = Words(language)
    kwh = ["T1 kWh", "T2 kWh", "T3 kWh", w.t("total") + " 1.8.0 kWh", "2.8.0 kWh"]
    headers = [
        Column(w.t("period")),
        *(Column(h, 3) for h in kwh),
        Column(w.t("max_active_power") + " (1.6.0) kW", 3),
        Column(w.t("occurred_at")),
        Column(w.t("max_demand_export") + " (2.6.0) kW", 3),
        Column(w.t("occurred_at")),
        Column(w.t("estimated")),
        Column(w.t("change_pct"), 1),
    ]
    rows = _rows(data, w)
    periods = [formatting.month_label(h.period, language) for h in data.history]
    chart = charts.line_chart(
        [
            charts.Series(label, [h.consumption.get(obis) for h in data.history], f"s{i + 1}")
            for i, (obis, label) in enumerate(TARIFFS)
        ],
        periods,
        unit="kWh",
        bars=True,
        title=w.t("monthly"),
    )
    demand_chart = charts.line_chart(
        [charts.Series("1.6.0", [_demand(h, "1.6.0") for h in data.history], "s1")],
        periods,
        unit="kW",
        bars=True,
        title=w.t("max_active_power"),
    )
    table = Table(w.t("monthly"), headers, rows, note=data.point_no, language=language)
    return Page(AylikContext(data.history, chart, demand_chart, rows), table)


SCREEN = Screen("aylik", "aylik.html", "Aylik", no_query, load, view)

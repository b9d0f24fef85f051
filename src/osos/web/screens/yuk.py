"""Yük Profili: the load (kW) over a chosen range, voltages and currents per phase where the
meter records them, the latest values, and each day's peak quarter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from fastapi import Query
from markupsafe import Markup
from pydantic import Field
from sqlalchemy.orm import Session

from osos.exports import Cell, Column, Table
from osos.readmodel.access import NotVisible, Sight
from osos.readmodel.intervals import Interval, PhaseRow, intervals
from osos.readmodel.phases import phase_series
from osos.settings import Settings
from osos.timeutil import DAY, local_midnight
from osos.web import charts
from osos.web.i18n import Words
from osos.web.screens.common import (
    Day,
    Page,
    Screen,
    ScreenQuery,
    default_day,
    source_label,
    today,
    when,
)
from osos.web.screens.figures import FOUR, daily_peaks

MAX_DAYS = 31
LINES = ("L1", "L2", "L3")


class YukQuery(ScreenQuery):
    first: Day = Field(None, alias="from")
    last: Day = Field(None, alias="to")

    def days(self, default: dt.date) -> tuple[dt.date, dt.date]:
        first = self.first or default
        last = self.last or first
        if last < first:
            first, last = last, first
        return first, min(last, first + dt.timedelta(days=MAX_DAYS - 1))


def query(q: Annotated[YukQuery, Query()]) -> YukQuery:
    return q


@dataclass(frozen=True)
class YukData:
    point_no: str
    first: dt.date
    last: dt.date
    load: tuple[Interval, ...]
    phases: tuple[PhaseRow, ...]
    today: dt.date


@dataclass(frozen=True)
class YukContext:
    first: dt.date
    last: dt.date
    latest: Interval | None
    latest_phase: PhaseRow | None
    load_chart: Markup
    volt_chart: Markup | None
    amp_chart: Markup | None
    has_phases: bool
    phases_from_readouts: bool
    peaks: tuple[tuple[dt.date, Decimal, dt.datetime], ...]
    query: str
    max_day: str


def load(session: Session, sight: Sight, q: YukQuery, settings: Settings) -> YukData:
    first, last = q.days(default_day(session, sight))
    start, end = local_midnight(first), local_midnight(last + DAY)
    if not sight.parts(start, end):
        detail = {"from": start.isoformat(), "to": end.isoformat()}
        raise NotVisible("outside the supply period", **detail)
    rows = intervals(session, sight, start, end, 15)
    return YukData(
        sight.point.no,
        first,
        last,
        tuple(rows),
        tuple(phase_series(session, sight, start, end)),
        today(session),
    )


def _phase_chart(
    aligned: list[PhaseRow | None], labels: list[str], kind: str, unit: str, title: str
) -> Markup:
    return charts.line_chart(
        [
            charts.Series(
                f"{unit} {name}",
                [None if p is None else getattr(p, kind)[i] for p in aligned],
                f"s{i + 1}",
            )
            for i, name in enumerate(LINES)
        ],
        labels,
        unit=unit,
        from_zero=kind == "currents",
        title=title,
    )


def _table(data: YukData, w: Words, kw: list[Decimal | None]) -> Table:
    by_end = {p.end: p for p in data.phases}
    headers = [
        Column(w.t("interval_end")),
        Column(w.t("load_kw"), 3),
        *(Column(f"V {name}", 2) for name in LINES),
        *(Column(f"I {name}", 2) for name in LINES),
        Column(w.t("source")),
    ]
    body: list[list[Cell]] = []
    for r, value in zip(data.load, kw, strict=True):
        p = by_end.get(r.end)
        body.append(
            [
                when(w, r.end),
                value,
                *(p.voltages if p else (None, None, None)),
                *(p.currents if p else (None, None, None)),
                source_label(w, r.source),
            ]
        )
    return Table(w.t("load_profile"), headers, body, note=data.point_no, language=w.language)


def _phase_table(data: YukData, w: Words) -> Table:
    """Every phase row as measured (secondary behind transformers) and through the ratios."""
    headers = [
        Column(w.t("interval_end")),
        *(Column(f"V {name}", 2) for name in LINES),
        *(Column(f"I {name}", 2) for name in LINES),
        *(Column(f"V {name} {w.t('primary')}", 2) for name in LINES),
        *(Column(f"I {name} {w.t('primary')}", 2) for name in LINES),
        Column("CT"),
        Column("VT"),
        Column(w.t("source")),
    ]
    body: list[list[Cell]] = [
        [when(w, p.end), *p.voltages, *p.currents, *p.primary_voltages, *p.primary_currents,
         p.ct, p.vt, w.t("readout") if p.source == "readout" else source_label(w, p.source)]
        for p in data.phases
    ]  # fmt: skip
    return Table(w.t("voltages_currents"), headers, body, note=data.point_no, language=w.language)


def view(data: YukData, language: str) -> Page:
    w = Words(language)
    kw = [None if r.withdrawal_kwh is None else r.withdrawal_kwh * FOUR for r in data.load]
    labels = charts.time_labels([r.start for r in data.load])
    has_phases = any(any(x is not None for x in (*p.voltages, *p.currents)) for p in data.phases)
    from_readouts = bool(data.phases) and all(p.source == "readout" for p in data.phases)
    aligned: list[PhaseRow | None]
    if from_readouts:  # read at the readouts' times: on their own axis
        aligned, phase_labels = list(data.phases), charts.time_labels([p.end for p in data.phases])
    else:
        by_end = {p.end: p for p in data.phases}
        aligned = [by_end.get(r.end) for r in data.load]  # on the load's axis: gaps stay gaps
        phase_labels = labels
    context = YukContext(
        data.first,
        data.last,
        next((r for r in reversed(data.load) if r.indexes), None),
        data.phases[-1] if data.phases else None,
        charts.line_chart(
            [charts.Series(w.t("load_kw"), kw, "s1")],
            labels,
            unit="kW",
            title=w.t("load_profile"),
        ),
        _phase_chart(aligned, phase_labels, "voltages", "V", w.t("voltages"))
        if has_phases
        else None,
        _phase_chart(aligned, phase_labels, "currents", "A", w.t("currents"))
        if has_phases
        else None,
        has_phases,
        from_readouts,
        tuple(daily_peaks(data.load)),
        f"?from={data.first.isoformat()}&to={data.last.isoformat()}",
        data.today.isoformat(),
    )
    part = f"{data.first.isoformat()}_{data.last.isoformat()}"
    tables = {"fazlar": _phase_table(data, w)} if has_phases else {}
    return Page(context, _table(data, w, kw), part, tables)


SCREEN = Screen("yuk-profili", "yuk.html", "YukProfili", query, load, view)

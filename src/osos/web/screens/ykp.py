"""YKP Listesi: consumption per hour or quarter over a bounded range (any range: whole buckets
plus quarters at its edges), gaps as gap rows, totals, and the range compared with the one
just before it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Query
from markupsafe import Markup, escape
from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session

from osos.exports import Cell, Column, Rows, Table
from osos.readmodel.access import NotVisible, Sight
from osos.readmodel.intervals import Interval, Totals, profile_bounds, totals
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.timeutil import DAY, QUARTER, add_months, floor_to, local_date, local_midnight
from osos.web import charts, formatting
from osos.web.i18n import Words
from osos.web.memo import Memo
from osos.web.screens.common import (
    SOURCE_KEYS,
    Day,
    Page,
    Screen,
    ScreenQuery,
    day_of_last,
    source_label,
    today,
    when,
)
from osos.web.screens.ykp_figures import KEPT, Comparison, figures

MAX_DAYS = {15: 31, 60: 93}


def _step(value: object) -> int:
    return 15 if value in ("15", 15) else 60


def _clock(value: object) -> dt.timedelta | None:
    """'HH:MM' → time of day, down to its quarter; None when empty or not a time."""
    if isinstance(value, dt.timedelta):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        hours, minutes = (int(p) for p in value.split(":")[:2])
    except ValueError:
        return None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        return None
    return dt.timedelta(hours=hours, minutes=minutes - minutes % 15)


Clock = Annotated[dt.timedelta | None, BeforeValidator(_clock)]


class YkpQuery(ScreenQuery):
    first: Day = Field(None, alias="from")
    last: Day = Field(None, alias="to")
    step: Annotated[Literal[15, 60], BeforeValidator(_step)] = 60
    from_time: Clock = None
    to_time: Clock = None

    def days(self, default: dt.date) -> tuple[dt.date, dt.date]:
        """The days of the range: ordered, at most the step's limit."""
        first = self.first or default
        last = self.last or first
        if last < first:
            first, last = last, first
        if (last - first).days + 1 > MAX_DAYS[self.step]:
            last = first + dt.timedelta(days=MAX_DAYS[self.step] - 1)
        return first, last

    def bounds(self, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = local_midnight(first) + (self.from_time or dt.timedelta(0))
        end = local_midnight(last) + self.to_time if self.to_time else local_midnight(last + DAY)
        return start, max(end, start + dt.timedelta(minutes=self.step))


def query(q: Annotated[YkpQuery, Query()]) -> YkpQuery:
    return q


@dataclass(frozen=True)
class YkpData:
    point_no: str
    first: dt.date
    last: dt.date
    step: int
    from_time: dt.timedelta | None
    to_time: dt.timedelta | None
    rows: tuple[Interval, ...]
    comparison: Comparison | None
    today: dt.date
    min_day: dt.date
    stamp: str = ""  # the figures' key (ykp_figures): the rendered rows are kept under it


def shown_range(
    session: Session, sight: Sight, q: YkpQuery, last_end: dt.datetime | None
) -> tuple[dt.date, dt.date, dt.datetime, dt.datetime]:
    """The days and the instants [start, end) the screen (and its file) shows for ``q``, the
    default day from ``last_end``, the latest interval the viewer may see."""
    first, last = q.days(day_of_last(session, last_end))
    start, end = q.bounds(first, last)
    if not sight.parts(start, end):
        detail = {"from": start.isoformat(), "to": end.isoformat()}
        raise NotVisible("outside the supply period", **detail)
    # quarters that have not ended yet are not missing: they are not shown at all
    return first, last, start, min(end, max(start, floor_to(db_now(session), QUARTER)))


def load(session: Session, sight: Sight, q: YkpQuery, settings: Settings) -> YkpData:
    low, high = profile_bounds(session, sight)
    first, last, start, end = shown_range(session, sight, q, high)
    kept = figures(session, sight, settings, start, end, q.step)
    window_start = min(w[0] for w in sight.windows)
    floor = max(window_start, low or local_midnight(first))
    return YkpData(
        sight.point.no,
        first,
        last,
        q.step,
        q.from_time,
        q.to_time,
        kept.rows,
        kept.comparison,
        today(session),
        min(first, local_date(floor)),
        kept.stamp,
    )


# --------------------------------------------------------------------------------------------
# The page and its file (pure)


def _hhmm(value: dt.timedelta | None) -> str:
    if not value:  # none, or midnight: the day's own start
        return ""
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def body(rows: Sequence[Interval], w: Words) -> Markup:
    """The table rows as HTML in one pass (a month of quarters is ~3,000 rows; rendering them
    cell by cell through the template took most of the page's time), the numbers formatted in
    one decimal context (:func:`formatting.numbers`)."""
    lang = w.language
    labels = {k: escape(w.t(key)) for k, key in SOURCE_KEYS.items()}
    gap = f'<td colspan="5" class="gap">{escape(w.t("gap_row"))}</td>'
    values = formatting.numbers(
        (
            x
            for r in rows
            for x in (
                r.withdrawal_kwh,
                r.supply_kwh,
                r.inductive_kvarh,
                r.capacitive_kvarh,
                r.indexes.get("1.8.0"),
            )
        ),
        3,
        lang,
    )
    out: list[str] = []
    for k, r in enumerate(rows):
        source = r.source if r.source in labels else "missing"
        start = formatting.local_datetime(r.start, False, lang)
        if source == "missing":
            cells = gap
        else:
            cells = "".join(f'<td class="num">{x}</td>' for x in values[5 * k : 5 * k + 5])
        out.append(
            f'<tr class="src-{source}"><td>{start}</td>{cells}'
            f'<td><span class="tag {source}">{labels[source]}</span></td></tr>'
        )
    return Markup("\n".join(out))


def table(data: YkpData, w: Words, sums: Totals) -> Table:
    """Exactly the screen's rows, with the indexes, multiplier and meter of each interval."""
    kwh = [w.t(k) for k in ("withdrawal_kwh", "supply_kwh", "inductive_kvarh", "capacitive_kvarh")]
    indexes = [f"{w.t('index')} {obis}" for obis in ("1.8.0", "2.8.0", "5.8.0", "8.8.0")]
    headers = [
        Column(w.t("interval_start")),
        Column(w.t("interval_end")),
        *(Column(h, 3) for h in kwh + indexes),
        Column(w.t("multiplier")),
        Column(w.t("meter_serial")),
        Column(w.t("source")),
    ]

    def lines() -> list[list[Cell]]:
        body: list[list[Cell]] = [
            [
                when(w, r.start),
                when(w, r.end),
                r.withdrawal_kwh,
                r.supply_kwh,
                r.inductive_kvarh,
                r.capacitive_kvarh,
                *(r.indexes.get(obis) for obis in ("1.8.0", "2.8.0", "5.8.0", "8.8.0")),
                r.multiplier,
                r.meter_serial,
                source_label(w, r.source),
            ]
            for r in data.rows
        ]
        sum_cells = [sums.withdrawal_kwh, sums.supply_kwh, sums.inductive_kvarh]
        body.append([w.t("total"), "", *sum_cells, sums.capacitive_kvarh, *[None] * 6, ""])
        return body

    days = f"{formatting.local_date(data.first, w.language)} – "
    days += formatting.local_date(data.last, w.language)
    note = f"{data.point_no} · {days} · {data.step} {w.t('minutes')}"
    return Table("YKP", headers, Rows(lines), note=note, language=w.language)


def _shifted(data: YkpData, days: int = 0, months: int = 0) -> str:
    """The same range moved by days or to the neighbouring month, as a query string."""
    if months:
        a = add_months(local_midnight(data.first), months)
        a_day, b_day = local_date(a), local_date(add_months(a, 1)) - DAY
    else:
        a_day, b_day = data.first + DAY * days, data.last + DAY * days
    return f"?from={a_day.isoformat()}&to={b_day.isoformat()}&step={data.step}"


@dataclass(frozen=True)
class YkpContext:
    rows: tuple[Interval, ...]
    body: Markup
    comparison: Comparison | None
    totals: Totals
    first: dt.date
    last: dt.date
    step: int
    chart: Markup
    prev_day: str
    next_day: str
    prev_week: str
    next_week: str
    prev_month: str
    next_month: str
    max_day: str
    min_day: str
    max_days: int
    query: str
    from_time: str
    to_time: str


@dataclass(frozen=True)
class Rendered:
    """What the page shows of the rows: the table body, the chart and the totals."""

    body: Markup
    chart: Markup
    totals: Totals


RENDERED: Memo[tuple[str, str], Rendered] = Memo(KEPT)


def rendered(data: YkpData, w: Words) -> Rendered:
    """The rows as shown, kept under the figures' stamp and the language."""
    key = (data.stamp, w.language)
    kept = RENDERED.get(key) if data.stamp else None
    if kept is not None:
        return kept
    chart = charts.line_chart(
        [charts.Series(w.t("withdrawal_kwh"), [r.withdrawal_kwh for r in data.rows], "s1")],
        charts.time_labels([r.start for r in data.rows]),
        unit="kWh",
        bars=len(data.rows) <= 48,
        title=w.t("ykp_list"),
    )
    result = Rendered(body(data.rows, w), chart, totals(data.rows))
    if data.stamp:
        RENDERED.put(key, result)
    return result


def view(data: YkpData, language: str) -> Page:
    w = Words(language)
    shown = rendered(data, w)
    sums = shown.totals
    chart = shown.chart
    from_time, to_time = _hhmm(data.from_time), _hhmm(data.to_time)
    days = f"?from={data.first.isoformat()}&to={data.last.isoformat()}&step={data.step}"
    times = (f"&from_time={from_time}" if from_time else "") + (
        f"&to_time={to_time}" if to_time else ""
    )
    prev_day, next_day, prev_week, next_week = (_shifted(data, days=d) for d in (-1, 1, -7, 7))
    context = YkpContext(
        rows=data.rows,
        body=shown.body,
        comparison=data.comparison,
        totals=sums,
        first=data.first,
        last=data.last,
        step=data.step,
        chart=chart,
        prev_day=prev_day,
        next_day=next_day,
        prev_week=prev_week,
        next_week=next_week,
        prev_month=_shifted(data, months=-1),
        next_month=_shifted(data, months=1),
        max_day=data.today.isoformat(),
        min_day=data.min_day.isoformat(),
        max_days=MAX_DAYS[data.step],
        query=days + times,
        from_time=from_time,
        to_time=to_time,
    )
    part = (
        f"{data.first.isoformat()}{'T' + from_time if from_time else ''}_"
        f"{data.last.isoformat()}{'T' + to_time if to_time else ''}"
    ).replace(":", "") + f"_{data.step}dk"
    return Page(context, table(data, w, sums), part)


SCREEN = Screen("ykp", "ykp.html", "YKP", query, load, view)

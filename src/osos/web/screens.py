"""The screens of one service point: each is built once into a context for its page and a
table for its download, so an export holds exactly what the page shows.

A service point or date range the viewer may not see is a 404, audited as denied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import Request
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from osos import audit
from osos.access import (
    UNBOUNDED_START,
    ServicePointView,
    Window,
    clip_range,
    require_service_point,
    supply_windows,
)
from osos.errors import InvalidInput, NotFound
from osos.mdm.billing import MonthlyReport
from osos.mdm.service import month_end_indexes, monthly_report
from osos.store.db import now as db_now
from osos.timeutil import (
    LOCAL_TZ,
    UTC,
    ZONES,
    local_date,
    month_bounds,
    month_start_before,
    period_of,
    zone_of,
)
from osos.web import charts, exports, formatting, queries
from osos.web.dbsession import runtime_of
from osos.web.deps import Viewer, record_denied, settings_of
from osos.web.monthly import daily_peaks, daily_ratios

SCREENS = ("readout", "ykp", "endeks", "oranlar", "yuk-profili", "aylik")
MAX_DAYS = {15: 31, 60: 93}
LAG = dt.timedelta(hours=3)  # profile data older than this: "lagging behind since …"
SOURCE_KEYS = {
    "actual": "src_actual",
    "estimated": "src_estimated",
    "edited": "src_edited",
    "missing": "src_missing",
}
TARIFFS = (("1.8.1", "T1"), ("1.8.2", "T2"), ("1.8.3", "T3"))
ENDEX_REGISTERS = ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "8.8.0")


@dataclass(frozen=True)
class Screen:
    sp: ServicePointView
    windows: list[Window]


def open_screen(request: Request, session: Session, v: Viewer, no: str, screen: str) -> Screen:
    """The service point if the viewer may see it; a denied attempt is audited, then 404."""
    try:
        sp = require_service_point(session, v.principal, no)
    except NotFound:
        record_denied(
            session,
            v,
            "view",
            object_type="service_point",
            object_id=no[:64],
            detail={"screen": screen, "path": request.url.path},
        )
        raise
    return Screen(sp, supply_windows(session, v.principal, sp.id))


def _parts(
    session: Session,
    v: Viewer,
    screen: Screen,
    start: dt.datetime,
    end: dt.datetime,
    name: str,
) -> list[tuple[dt.datetime, dt.datetime]]:
    parts = clip_range(screen.windows, start, end)
    if not parts:
        record_denied(
            session,
            v,
            "view",
            object_type="service_point",
            object_id=screen.sp.no,
            detail={"screen": name, "from": start.isoformat(), "to": end.isoformat()},
        )
        raise NotFound("outside the supply period")
    return parts


def audit_view(
    session: Session, v: Viewer, screen: Screen, name: str, action: str = "view", **detail: Any
) -> None:
    audit.record(
        session,
        actor=v.login,
        action=action,
        object_type="service_point",
        object_id=screen.sp.no,
        detail={"screen": name, **detail},
        user_id=v.user_id,
        ip=v.ip,
    )


def _now(request: Request) -> dt.datetime:
    return runtime_of(request).clock.now()


def _today(session: Session) -> dt.date:
    return local_date(db_now(session))


def _day(text: str | None, default: dt.date) -> dt.date:
    if not text:
        return default
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return default
    return day if 2000 <= day.year <= 2100 else default  # no arithmetic at the calendar's edge


def _visible_period(screen: Screen, period: str) -> bool:
    """A month is shown to a supplier only when it supplied the whole month."""
    start, end = month_bounds(period)
    return any(
        w_start <= start and (w_end is None or w_end >= end) for w_start, w_end in screen.windows
    )


def _src(v: Viewer, source: str) -> str:
    return v.t(SOURCE_KEYS.get(source, source))


def _fmt_dt(v: Viewer, value: dt.datetime | None) -> str:
    return formatting.local_datetime(value, True, v.language)


def _when(v: Viewer, value: dt.datetime | None) -> exports.Cell:
    """A time for a table: a date-time in Excel, the screen's text in CSV."""
    return None if value is None else exports.When(value, _fmt_dt(v, value))


# ------------------------------------------------------------------------------- the screens


def quarter_floor(at: dt.datetime) -> dt.datetime:
    at = at.astimezone(UTC).replace(second=0, microsecond=0)
    return at - dt.timedelta(minutes=at.minute % 15)


Built = tuple[dict[str, Any], Callable[[], exports.Table]]  # the file is built on demand
Builder = Callable[[Request, Session, Viewer, Screen], Built]


def _build_readout(request: Request, session: Session, v: Viewer, screen: Screen) -> Built:
    everything = clip_range(screen.windows, UNBOUNDED_START, db_now(session) + dt.timedelta(days=1))
    raw_id = request.query_params.get("id")
    readout_id = int(raw_id) if raw_id and raw_id.isdigit() else None
    readout = queries.readout(session, screen.sp, readout_id, everything)
    if readout_id is not None and readout is None:
        record_denied(
            session,
            v,
            "view",
            object_type="service_point",
            object_id=screen.sp.no,
            detail={"screen": "readout", "readout": readout_id},
        )
        raise NotFound("no such readout")
    dates = queries.readout_dates(session, screen.sp, everything)
    minutes = formatting.ago_minutes(readout.read_at if readout else None, db_now(session))
    table = exports.Table(
        v.t("readout_list"),
        [v.t("obis"), v.t("address"), v.t("value"), v.t("unit"), v.t("value_time")],
        [
            [
                ln.obis,
                ln.address,
                ln.quantity if ln.quantity is not None else ln.value,
                ln.unit,
                _when(v, ln.value_time),
            ]
            for ln in (readout.lines if readout else ())
        ],
        note=f"{screen.sp.no} · {_fmt_dt(v, readout.read_at) if readout else ''}",
    )
    return {
        "readout": readout,
        "dates": dates,
        "minutes_ago": minutes,
        "glance": _at_a_glance(request, session, screen),
    }, lambda: table


@dataclass(frozen=True)
class Glance:
    """Period totals at a glance: today and this month so far, per tariff, and last month."""

    today: dict[str, Decimal]
    month: dict[str, Decimal]
    last_month: MonthlyReport | None
    period: str
    last_period: str


def _zone_totals(rows: list[queries.Interval]) -> dict[str, Decimal]:
    totals = dict.fromkeys((*ZONES, "1.8.0"), Decimal(0))
    for r in rows:
        if r.withdrawal_kwh is not None:
            totals[zone_of(r.start)] += r.withdrawal_kwh
            totals["1.8.0"] += r.withdrawal_kwh
    return totals


def _at_a_glance(request: Request, session: Session, screen: Screen) -> Glance:
    now = db_now(session)
    month = month_start_before(now)
    local = now.astimezone(LOCAL_TZ)
    midnight = queries.local_day_start(local.date())
    parts = clip_range(screen.windows, month, quarter_floor(now))
    rows = queries.clipped_intervals(session, screen.sp, parts, 15) if parts else []
    last_period = period_of(month_start_before(now, 1))
    last = (
        monthly_report(session, screen.sp.no, last_period, settings_of(request))
        if _visible_period(screen, last_period)
        else None
    )
    return Glance(
        today=_zone_totals([r for r in rows if r.start >= midnight]),
        month=_zone_totals(rows),
        last_month=last,
        period=period_of(month),
        last_period=last_period,
    )


def _ykp_range(request: Request, default_day: dt.date) -> tuple[dt.date, dt.date, int]:
    q = request.query_params
    step = 15 if q.get("step") == "15" else 60
    first = _day(q.get("from"), default_day)
    last = _day(q.get("to"), first)
    if last < first:
        first, last = last, first
    if (last - first).days + 1 > MAX_DAYS[step]:
        last = first + dt.timedelta(days=MAX_DAYS[step] - 1)
    return first, last, step


def _default_day(session: Session, screen: Screen) -> dt.date:
    last = queries.last_profile_end(session, screen.sp)
    if last is None:
        return _today(session) - dt.timedelta(days=1)
    return (last - dt.timedelta(seconds=1)).astimezone(LOCAL_TZ).date()


def _clock(text: str | None) -> dt.timedelta | None:
    """'HH:MM' → time of day, down to its quarter; None when empty or not a time."""
    if not text:
        return None
    try:
        hours, minutes = (int(p) for p in text.split(":")[:2])
    except ValueError:
        return None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        return None
    return dt.timedelta(hours=hours, minutes=minutes - minutes % 15)


def _hhmm(value: dt.timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Comparison:
    """The range against the same length just before it, with the data behind each total."""

    start: dt.datetime
    end: dt.datetime
    withdrawal_kwh: Decimal
    change_pct: Decimal | None
    quarters: int  # quarters with data in this range
    quarters_before: int  # … and in the one before

    @property
    def comparable(self) -> bool:
        return self.quarters == self.quarters_before


def _compare(
    session: Session,
    screen: Screen,
    start: dt.datetime,
    end: dt.datetime,
    quarters: list[queries.Interval] | None,
) -> Comparison | None:
    before_start = start - (end - start)
    before = clip_range(screen.windows, before_start, start)
    if not before:
        return None
    now_rows = quarters or queries.clipped_intervals(
        session, screen.sp, clip_range(screen.windows, start, end), 15
    )
    then_rows = queries.clipped_intervals(session, screen.sp, before, 15)
    now_total = queries.totals(now_rows).withdrawal_kwh
    then_total = queries.totals(then_rows).withdrawal_kwh
    change = (
        ((now_total - then_total) / then_total * 100).quantize(Decimal("0.1"))
        if then_total
        else None
    )
    return Comparison(
        before_start,
        start,
        then_total,
        change,
        sum(1 for r in now_rows if r.withdrawal_kwh is not None),
        sum(1 for r in then_rows if r.withdrawal_kwh is not None),
    )


def _ykp_body(rows: list[queries.Interval], v: Viewer) -> Markup:
    """The table rows as HTML in one pass (a month of quarters is ~3,000 rows; rendering them
    cell by cell through the template took most of the page's time)."""
    lang = v.language
    labels = {k: escape(v.t(key)) for k, key in SOURCE_KEYS.items()}
    gap = escape(v.t("gap_row"))
    out: list[str] = []
    for r in rows:
        source = r.source if r.source in labels else "missing"
        start = formatting.local_datetime(r.start, False, lang)
        if source == "missing":
            cells = f'<td colspan="5" class="gap">{gap}</td>'
        else:
            values = (
                r.withdrawal_kwh,
                r.supply_kwh,
                r.inductive_kvarh,
                r.capacitive_kvarh,
                r.indexes.get("1.8.0"),
            )
            cells = "".join(f'<td class="num">{formatting.number(x, 3, lang)}</td>' for x in values)
        out.append(
            f'<tr class="src-{source}"><td>{start}</td>{cells}'
            f'<td><span class="tag {source}">{labels[source]}</span></td></tr>'
        )
    return Markup("\n".join(out))


def _build_ykp(request: Request, session: Session, v: Viewer, screen: Screen) -> Built:
    first, last, step = _ykp_range(request, _default_day(session, screen))
    from_time = _clock(request.query_params.get("from_time"))
    to_time = _clock(request.query_params.get("to_time"))
    start = queries.local_day_start(first) + (from_time or dt.timedelta(0))
    end = (
        queries.local_day_start(last) + to_time
        if to_time
        else queries.local_day_start(last + dt.timedelta(days=1))
    )
    if end <= start:
        end = start + dt.timedelta(minutes=step)
    parts = _parts(session, v, screen, start, end, "ykp")
    rows = queries.bucketed_intervals(session, screen.sp, parts, step)
    totals = queries.totals(rows)
    comparison = _compare(session, screen, start, end, rows if step == 15 else None)

    def ykp_file() -> exports.Table:
        headers = [
            v.t("interval_start"),
            v.t("interval_end"),
            v.t("withdrawal_kwh"),
            v.t("supply_kwh"),
            v.t("inductive_kvarh"),
            v.t("capacitive_kvarh"),
            v.t("index") + " 1.8.0",
            v.t("index") + " 2.8.0",
            v.t("index") + " 5.8.0",
            v.t("index") + " 8.8.0",
            v.t("multiplier"),
            v.t("meter_serial"),
            v.t("source"),
        ]
        body: list[list[exports.Cell]] = [
            [
                _when(v, r.start),
                _when(v, r.end),
                r.withdrawal_kwh,
                r.supply_kwh,
                r.inductive_kvarh,
                r.capacitive_kvarh,
                r.indexes.get("1.8.0"),
                r.indexes.get("2.8.0"),
                r.indexes.get("5.8.0"),
                r.indexes.get("8.8.0"),
                r.multiplier,
                r.meter_serial,
                _src(v, r.source),
            ]
            for r in rows
        ]
        body.append(
            [
                v.t("total"),
                "",
                totals.withdrawal_kwh,
                totals.supply_kwh,
                totals.inductive_kvarh,
                totals.capacitive_kvarh,
                None,
                None,
                None,
                None,
                None,
                None,
                "",
            ]
        )
        return exports.Table(
            "YKP",
            headers,
            body,
            note=f"{screen.sp.no} · {formatting.local_date(first, v.language)} – "
            f"{formatting.local_date(last, v.language)} · {step} {v.t('minutes')}",
        )

    def shifted(days: int = 0, months: int = 0) -> str:
        if months:
            a = queries.add_months(queries.local_day_start(first.replace(day=1)), months)
            a_day = a.astimezone(LOCAL_TZ).date()
            b_day = queries.add_months(a, 1).astimezone(LOCAL_TZ).date() - dt.timedelta(days=1)
        else:
            a_day, b_day = first + dt.timedelta(days=days), last + dt.timedelta(days=days)
        return f"?from={a_day.isoformat()}&to={b_day.isoformat()}&step={step}"

    chart = charts.line_chart(
        [charts.Series(v.t("withdrawal_kwh"), [r.withdrawal_kwh for r in rows], "s1")],
        charts.time_labels([r.start for r in rows]),
        unit="kWh",
        bars=len(rows) <= 48,
        title=v.t("ykp_list"),
    )
    window_start = min(w[0] for w in screen.windows)
    context = {
        "rows": rows,
        "body": _ykp_body(rows, v),
        "comparison": comparison,
        "totals": totals,
        "first": first,
        "last": last,
        "step": step,
        "chart": chart,
        "prev_day": shifted(-1),
        "next_day": shifted(1),
        "prev_week": shifted(-7),
        "next_week": shifted(7),
        "prev_month": shifted(months=-1),
        "next_month": shifted(months=1),
        "max_day": _today(session).isoformat(),
        "min_day": min(
            first,
            max(
                window_start,
                queries.first_profile_end(session, screen.sp) or queries.local_day_start(first),
            )
            .astimezone(LOCAL_TZ)
            .date(),
        ).isoformat(),
        "max_days": MAX_DAYS[step],
        "query": f"?from={first.isoformat()}&to={last.isoformat()}&step={step}"
        + (f"&from_time={_hhmm(from_time)}" if from_time else "")
        + (f"&to_time={_hhmm(to_time)}" if to_time else ""),
        "from_time": _hhmm(from_time) if from_time else "",
        "to_time": _hhmm(to_time) if to_time else "",
        "times": (_hhmm(from_time) if from_time else "", _hhmm(to_time) if to_time else ""),
    }
    return context, ykp_file


def _inside(windows: list[Window], at: dt.datetime) -> bool:
    return any(lo <= at and (hi is None or at <= hi) for lo, hi in windows)


def _build_endeks(request: Request, session: Session, v: Viewer, screen: Screen) -> Built:
    everything = month_end_indexes(session, screen.sp.id, 3, now=db_now(session))
    points = []
    shown = []  # whether the consumption up to the point lies in the visible windows too
    for i, p in enumerate(everything):
        if not _inside(screen.windows, p.at):
            continue
        since = everything[i - 1].at if i else month_start_before(p.at - dt.timedelta(seconds=1))
        points.append(p)
        shown.append(_inside(screen.windows, since))
    headers = [v.t("register")]
    for p in points:
        label = (
            formatting.local_datetime(p.at - dt.timedelta(seconds=1), True, v.language)
            if (p.kind == "month_end")
            else _fmt_dt(v, p.at)
        )
        headers += [f"{v.t('index')} {label}", f"{v.t('consumption')} {label}", v.t("estimated")]
    body: list[list[exports.Cell]] = []
    for obis in ENDEX_REGISTERS:
        line: list[exports.Cell] = [obis]
        for p, show in zip(points, shown, strict=True):
            line.append(p.indexes.get(obis))
            line.append(p.consumption.get(obis) if show else None)
            line.append(v.t("yes") if obis in p.estimated else "")
        body.append(line)
    table = exports.Table(v.t("index_info"), headers, body, note=screen.sp.no)
    return {"points": points, "shown": shown, "registers": ENDEX_REGISTERS}, lambda: table


def _chosen_period(request: Request) -> str:
    default = period_of(month_start_before(_now(request), 1))
    text = request.query_params.get("ay", default)
    try:
        year = int(text.split("-")[0])
        if not 2000 <= year <= 2100:  # no arithmetic at the calendar's edge
            return default
        month_bounds(text)
    except (ValueError, InvalidInput):  # int() of the year, or not a month
        return default
    return text


def _report(
    request: Request, session: Session, v: Viewer, screen: Screen, period: str, name: str
) -> MonthlyReport:
    if not _visible_period(screen, period):
        record_denied(
            session,
            v,
            "view",
            object_type="service_point",
            object_id=screen.sp.no,
            detail={"screen": name, "period": period},
        )
        raise NotFound("month outside the supply period")
    return monthly_report(session, screen.sp.no, period, settings_of(request))


def _history(
    request: Request, session: Session, screen: Screen, months: int, upto: str | None = None
) -> list[MonthlyReport]:
    last = month_start_before(db_now(session), 1) if upto is None else month_bounds(upto)[0]
    periods = [period_of(month_start_before(last, k)) for k in range(months - 1, -1, -1)]
    settings = settings_of(request)
    reports = [
        monthly_report(session, screen.sp.no, p, settings)
        for p in periods
        if _visible_period(screen, p)
    ]
    while reports and _empty(reports[0]):  # months before the first data are not "gaps"
        reports.pop(0)
    return reports


def _empty(report: MonthlyReport) -> bool:
    return all(v is None for v in report.consumption.values()) and all(
        d is None for d in report.max_demand.values()
    )


def _level(ratio: Decimal | None, limit: Decimal | None, exceeded: bool) -> str:
    if exceeded:
        return "over"
    if ratio is not None and limit is not None and ratio >= limit * Decimal("0.8"):
        return "near"
    return "ok"


def _build_oranlar(request: Request, session: Session, v: Viewer, screen: Screen) -> Built:
    period = _chosen_period(request)
    report = _report(request, session, v, screen, period, "oranlar")
    start, end = month_bounds(period)
    rows = queries.clipped_intervals(session, screen.sp, clip_range(screen.windows, start, end), 60)
    daily = daily_ratios(rows)
    r = report.reactive
    series = [
        charts.Series(v.t("inductive_ratio"), [d[1] for d in daily], "s1"),
        charts.Series(v.t("capacitive_ratio"), [d[2] for d in daily], "s2"),
    ]
    limits = []
    if r.inductive_limit is not None:
        limits.append(
            charts.Limit(
                f"{v.t('inductive_limit')} %{r.inductive_limit}", r.inductive_limit, "limit"
            )
        )
    if r.capacitive_limit is not None:
        limits.append(
            charts.Limit(
                f"{v.t('capacitive_limit')} %{r.capacitive_limit}", r.capacitive_limit, "limit2"
            )
        )
    chart = charts.line_chart(
        series,
        [formatting.local_date(d[0], v.language)[:5] for d in daily],
        limits=limits,
        unit="%",
        title=v.t("ratios"),
    )
    history = _history(request, session, screen, 6, upto=period)
    headers = [
        v.t("period"),
        v.t("active_kwh"),
        v.t("inductive_kvarh"),
        v.t("capacitive_kvarh"),
        v.t("inductive_ratio"),
        v.t("inductive_limit"),
        v.t("capacitive_ratio"),
        v.t("capacitive_limit"),
        v.t("estimated"),
    ]
    body: list[list[exports.Cell]] = [
        [
            h.period,
            h.consumption.get("1.8.0"),
            h.consumption.get("5.8.0"),
            h.consumption.get("8.8.0"),
            h.reactive.inductive_ratio,
            h.reactive.inductive_limit,
            h.reactive.capacitive_ratio,
            h.reactive.capacitive_limit,
            v.t("yes") if h.estimated else v.t("no"),
        ]
        for h in history
    ]
    table = exports.Table(v.t("ratios"), headers, body, note=screen.sp.no)
    daily_table = [(d[0], d[1], d[2]) for d in daily]
    chart_table = exports.Table(
        v.t("ratio_development"),
        [
            v.t("day"),
            v.t("inductive_ratio"),
            v.t("inductive_limit"),
            v.t("capacitive_ratio"),
            v.t("capacitive_limit"),
        ],
        [
            [
                formatting.local_date(d[0], v.language),
                d[1],
                r.inductive_limit,
                d[2],
                r.capacitive_limit,
            ]
            for d in daily
        ],
        note=f"{screen.sp.no} · {period}",
    )
    return {
        "chart_table": chart_table,
        "report": report,
        "period": period,
        "chart": chart,
        "history": history,
        "ind_level": _level(r.inductive_ratio, r.inductive_limit, r.inductive_exceeded),
        "cap_level": _level(r.capacitive_ratio, r.capacitive_limit, r.capacitive_exceeded),
        "daily": daily_table,
    }, lambda: table


def _build_yuk(request: Request, session: Session, v: Viewer, screen: Screen) -> Built:
    q = request.query_params
    default = _default_day(session, screen)
    first = _day(q.get("from"), default)
    last = _day(q.get("to"), first)
    if last < first:
        first, last = last, first
    last = min(last, first + dt.timedelta(days=30))
    start = queries.local_day_start(first)
    end = queries.local_day_start(last + dt.timedelta(days=1))
    parts = _parts(session, v, screen, start, end, "yuk-profili")
    load = queries.clipped_intervals(session, screen.sp, parts, 15)
    phases = queries.phase_rows(session, screen.sp, parts)
    latest = next((r for r in reversed(load) if r.indexes), None)
    latest_phase = phases[-1] if phases else None
    four = Decimal(4)
    kw = [None if r.withdrawal_kwh is None else r.withdrawal_kwh * four for r in load]
    labels = charts.time_labels([r.start for r in load])
    load_chart = charts.line_chart(
        [charts.Series(v.t("load_kw"), kw, "s1")], labels, unit="kW", title=v.t("load_profile")
    )
    has_phases = any(any(x is not None for x in p.voltages) for p in phases)
    by_end = {p.end: p for p in phases}
    aligned = [by_end.get(r.end) for r in load]  # on the load's time axis: gaps stay gaps

    def phase_chart(kind: str, unit: str, title: str) -> Markup:
        return charts.line_chart(
            [
                charts.Series(
                    f"{unit} {name}",
                    [None if p is None else getattr(p, kind)[i] for p in aligned],
                    f"s{i + 1}",
                )
                for i, name in enumerate(("L1", "L2", "L3"))
            ],
            labels,
            unit=unit,
            from_zero=kind == "currents",
            title=title,
        )

    volt_chart = phase_chart("voltages", "V", v.t("voltages")) if has_phases else None
    amp_chart = phase_chart("currents", "A", v.t("currents")) if has_phases else None
    headers = [
        v.t("interval_end"),
        v.t("load_kw"),
        "V L1",
        "V L2",
        "V L3",
        "I L1",
        "I L2",
        "I L3",
        v.t("source"),
    ]
    body: list[list[exports.Cell]] = []
    for r, value in zip(load, kw, strict=True):
        p = by_end.get(r.end)
        body.append(
            [
                _when(v, r.end),
                value,
                *(p.voltages if p else (None, None, None)),
                *(p.currents if p else (None, None, None)),
                _src(v, r.source),
            ]
        )
    table = exports.Table(v.t("load_profile"), headers, body, note=screen.sp.no)
    return {
        "first": first,
        "last": last,
        "latest": latest,
        "latest_phase": latest_phase,
        "load_chart": load_chart,
        "volt_chart": volt_chart,
        "amp_chart": amp_chart,
        "has_phases": has_phases,
        "peaks": daily_peaks(load),
        "query": f"?from={first.isoformat()}&to={last.isoformat()}",
        "max_day": _today(session).isoformat(),
    }, lambda: table


def _change(before: MonthlyReport | None, after: MonthlyReport) -> Decimal | None:
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


def _build_aylik(request: Request, session: Session, v: Viewer, screen: Screen) -> Built:
    history = _history(request, session, screen, 12)
    headers = [
        v.t("period"),
        "T1 kWh",
        "T2 kWh",
        "T3 kWh",
        v.t("total") + " 1.8.0 kWh",
        "2.8.0 kWh",
        v.t("max_active_power") + " (1.6.0) kW",
        v.t("occurred_at"),
        v.t("max_demand_export") + " (2.6.0) kW",
        v.t("occurred_at"),
        v.t("estimated"),
        v.t("change_pct"),
    ]
    body: list[list[exports.Cell]] = []
    previous: MonthlyReport | None = None
    for h in history:
        imp, exp = h.max_demand.get("1.6.0"), h.max_demand.get("2.6.0")
        change = _change(previous, h)
        previous = h
        body.append(
            [
                h.period,
                h.consumption.get("1.8.1"),
                h.consumption.get("1.8.2"),
                h.consumption.get("1.8.3"),
                h.consumption.get("1.8.0"),
                h.consumption.get("2.8.0"),
                imp.value if imp else None,
                _when(v, imp.time) if imp else None,
                exp.value if exp else None,
                _when(v, exp.time) if exp else None,
                v.t("yes") if h.estimated else v.t("no"),
                change,
            ]
        )
    chart = charts.line_chart(
        [
            charts.Series(label, [h.consumption.get(obis) for h in history], f"s{i + 1}")
            for i, (obis, label) in enumerate(TARIFFS)
        ],
        [h.period for h in history],
        unit="kWh",
        bars=True,
        title=v.t("monthly"),
    )
    demand_chart = charts.line_chart(
        [
            charts.Series(
                "1.6.0",
                [_demand(h, "1.6.0") for h in history],
                "s1",
            )
        ],
        [h.period for h in history],
        unit="kW",
        bars=True,
        title=v.t("max_active_power"),
    )
    table = exports.Table(v.t("monthly"), headers, body, note=screen.sp.no)
    return {
        "history": history,
        "chart": chart,
        "demand_chart": demand_chart,
        "rows": body,
    }, lambda: table


BUILDERS: dict[str, tuple[Builder, str]] = {
    "readout": (_build_readout, "readout.html"),
    "ykp": (_build_ykp, "ykp.html"),
    "endeks": (_build_endeks, "endeks.html"),
    "oranlar": (_build_oranlar, "oranlar.html"),
    "yuk-profili": (_build_yuk, "yuk.html"),
    "aylik": (_build_aylik, "aylik.html"),
}
FILE_LABELS = {
    "readout": "Readout",
    "ykp": "YKP",
    "endeks": "Endeks",
    "oranlar": "Oranlar",
    "yuk-profili": "YukProfili",
    "aylik": "Aylik",
}

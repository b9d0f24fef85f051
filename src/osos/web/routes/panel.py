"""The customer panel's routes: the list of service points, the picker, and each screen's
page and download (built in :mod:`osos.web.screens`). Every view and export is audited."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import audit
from osos.access import (
    UNBOUNDED_START,
    ServicePointView,
    Window,
    allowed_service_point_ids,
    service_point_view,
    supply_windows,
)
from osos.errors import NotFound
from osos.store.db import now as db_now
from osos.store.models import ServicePoint
from osos.timeutil import month_start_before, period_of
from osos.web import exports, formatting, queries
from osos.web.deps import DB, User, Viewer, render
from osos.web.screens import (
    BUILDERS,
    FILE_LABELS,
    LAG,
    SCREENS,
    audit_view,
    open_screen,
    quarter_floor,
)

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Portfolio:
    """A customer's or supplier's service points, with this month's consumption (Kurumsal)."""

    points: list[ServicePointView]
    totals: dict[str, Decimal]
    grand: Decimal
    windows: dict[str, list[Window]]
    period: str


def _portfolio(session: Session, v: Viewer) -> Portfolio:
    principal = v.principal
    ids = sorted(allowed_service_point_ids(session, principal))
    points = [p for p in (service_point_view(session, i) for i in ids) if p is not None]
    points.sort(key=lambda p: p.no)
    totals: dict[str, Decimal] = {}
    now = db_now(session)
    month_start = month_start_before(now)
    if principal.kind == "kurumsal":
        for p in points[:200]:
            rows = queries.intervals(session, p, month_start, quarter_floor(now), 15)
            totals[p.no] = queries.totals(rows).withdrawal_kwh
    windows = {p.no: supply_windows(session, principal, p.id) for p in points}
    return Portfolio(
        points, totals, sum(totals.values(), Decimal(0)), windows, period_of(month_start)
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, v: User, session: DB) -> Response:
    if v.principal.is_staff:
        return RedirectResponse("/yonetim", status_code=303)
    data = _portfolio(session, v)
    if len(data.points) == 1 and v.principal.kind == "abone":
        return RedirectResponse(f"/hn/{quote(data.points[0].no)}/readout", status_code=303)
    audit.record(
        session,
        actor=v.login,
        action="view",
        object_type="service_point_list",
        detail={"count": len(data.points)},
        user_id=v.user_id,
        ip=v.ip,
    )
    return render(
        request,
        v,
        "home.html",
        {
            "points": data.points,
            "totals": data.totals,
            "grand": data.grand,
            "windows": data.windows,
            "period": data.period,
        },
    )


@router.get("/liste.{fmt}")
def home_export(v: User, session: DB, fmt: str) -> Response:
    """The service-point list as a file (with this month's totals for a Kurumsal user)."""
    if fmt not in ("xlsx", "csv") or v.principal.is_staff:
        raise NotFound(fmt)
    data = _portfolio(session, v)
    headers = [v.t("hn_no"), v.t("title"), v.t("meter_serial"), "ETSO", v.t("district")]
    if data.totals:
        headers.append(f"{v.t('this_month_kwh')} ({data.period})")
    if v.principal.kind == "tedarikci":
        headers.append(v.t("supply_window"))
    body: list[list[exports.Cell]] = []
    for p in data.points:
        line: list[exports.Cell] = [p.no, p.title, p.meter_serial, p.etso_code, p.district]
        if data.totals:
            line.append(data.totals.get(p.no))
        if v.principal.kind == "tedarikci":
            line.append(
                "; ".join(
                    f"{formatting.local_date(lo, v.language)} – "
                    f"{formatting.local_date(hi, v.language) if hi else v.t('open_ended')}"
                    for lo, hi in data.windows[p.no]
                )
            )
        body.append(line)
    if data.totals:
        body.append([v.t("total"), None, None, None, None, data.grand])
    table = exports.Table(v.t("my_service_points"), headers, body, note=v.login)
    audit.record(
        session,
        actor=v.login,
        action="export",
        object_type="service_point_list",
        detail={"count": len(data.points), "format": fmt},
        user_id=v.user_id,
        ip=v.ip,
    )
    name = exports.safe_name("HizmetNoktalari", data.period) + f".{fmt}"
    content = exports.to_xlsx(table) if fmt == "xlsx" else exports.to_csv(table)
    return Response(
        content,
        media_type=exports.XLSX_TYPE if fmt == "xlsx" else exports.CSV_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/hn/{no}")
def service_point_home(no: str) -> Response:
    return RedirectResponse(f"/hn/{quote(no)}/readout", status_code=303)


@router.get("/sec")
def pick(v: User, no: str = "", ekran: str = "readout") -> Response:
    """The service-point picker of the screens: the same screen for another point."""
    screen = ekran if ekran in SCREENS else "readout"
    return RedirectResponse(f"/hn/{quote(no.strip())}/{screen}", status_code=303)


def _choices(session: Session, v: Viewer) -> list[tuple[str, str]]:
    """(number, title) of the points a customer with several may switch between."""
    if v.principal.is_staff or v.principal.kind == "abone":
        return []
    ids = allowed_service_point_ids(session, v.principal)
    if len(ids) < 2:
        return []
    return sorted((p.no, p.title or "") for p in (service_point_view(session, i) for i in ids) if p)


# ---------------------------------------------------------------------------- the screens


@router.get("/hn/{no}/{screen_name}.{fmt}")
def screen_export(
    request: Request, v: User, session: DB, no: str, screen_name: str, fmt: str
) -> Response:
    if screen_name not in BUILDERS or fmt not in ("xlsx", "csv"):
        raise NotFound(screen_name)
    screen = open_screen(request, session, v, no, screen_name)
    builder, _template = BUILDERS[screen_name]
    context, make_file = builder(request, session, v, screen)
    chart_data = request.query_params.get("veri") == "grafik" and "chart_table" in context
    table: exports.Table = context["chart_table"] if chart_data else make_file()
    audit_view(
        session,
        v,
        screen,
        screen_name,
        action="export",
        format=fmt,
        query=str(request.url.query),
        rows=len(table.rows),
    )
    extra = ""
    if "first" in context and "last" in context:
        times = context.get("times", ("", ""))
        extra = (
            f"{context['first'].isoformat()}{'T' + times[0] if times[0] else ''}_"
            f"{context['last'].isoformat()}{'T' + times[1] if times[1] else ''}"
        ).replace(":", "")
        if "step" in context:
            extra += f"_{context['step']}dk"
    elif "period" in context:
        extra = str(context["period"])
    label = FILE_LABELS[screen_name] + ("-grafik" if chart_data else "")
    name = exports.safe_name(label, screen.sp.no, extra) + f".{fmt}"
    content = exports.to_xlsx(table) if fmt == "xlsx" else exports.to_csv(table)
    media = exports.XLSX_TYPE if fmt == "xlsx" else exports.CSV_TYPE
    return Response(
        content,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/hn/{no}/{screen_name}", response_class=HTMLResponse)
def screen_page(request: Request, v: User, session: DB, no: str, screen_name: str) -> Response:
    if screen_name not in BUILDERS:
        raise NotFound(screen_name)
    screen = open_screen(request, session, v, no, screen_name)
    builder, template = BUILDERS[screen_name]
    context, _file = builder(request, session, v, screen)
    audit_view(session, v, screen, screen_name, query=str(request.url.query))
    last = queries.last_profile_end(session, screen.sp)
    lagging = last is not None and db_now(session) - last > LAG
    return render(
        request,
        v,
        template,
        {
            "sp": screen.sp,
            "screen": screen_name,
            "screens": SCREENS,
            "supplier_windows": [w for w in screen.windows if w[0] != UNBOUNDED_START],
            "query": "",
            "lag_since": last if lagging else None,
            "choices": _choices(session, v),
            **context,
        },
    )


def service_point_nos(session: Session, ids: set[int]) -> list[str]:
    return list(session.scalars(select(ServicePoint.no).where(ServicePoint.id.in_(ids))))

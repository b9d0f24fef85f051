"""The customer panel's routes: the list of service points, the picker, and each screen's page
and download (the screens are in :mod:`osos.web.screens`). Every view and export is audited;
what the viewer may not see is a 404, audited as denied."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from osos import exports
from osos.alerts import store as alerts_store
from osos.errors import NotFound
from osos.readmodel.access import NotVisible, Sight, see
from osos.readmodel.intervals import last_profile_end
from osos.store.db import now as db_now
from osos.timeutil import period_of
from osos.web import downloads
from osos.web.deps import DB, User, Viewer, record, record_denied, settings_of
from osos.web.pages import render
from osos.web.portfolio import choices, my_points, portfolio_table
from osos.web.screens.common import Page, Screen
from osos.web.screens.registry import NAMES, SCREENS

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
LAG = dt.timedelta(hours=3)  # profile data older than this: "lagging behind since …"


def _audit(
    session: Session,
    v: Viewer,
    action: str,
    object_type: str,
    object_id: str | None = None,
    **detail: Any,
) -> None:
    record(session, v, action, object_type=object_type, object_id=object_id, detail=detail)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, v: User, session: DB) -> Response:
    if v.principal.is_staff:
        return RedirectResponse("/yonetim", status_code=303)
    data = my_points(session, v.principal)
    if len(data.points) == 1 and v.principal.kind == "abone":
        return RedirectResponse(f"/hn/{quote(data.points[0].no)}/readout", status_code=303)
    _audit(session, v, "view", "service_point_list", count=len(data.points))
    context = {"points": data.points, "totals": data.totals, "grand": data.grand}
    return render(
        request, v, "home.html", {**context, "windows": data.windows, "period": data.period}
    )


@router.get("/liste.{fmt}")
def home_export(v: User, session: DB, fmt: str) -> Response:
    """The service-point list as a file (with this month's totals for a Kurumsal user)."""
    if fmt not in exports.FORMATS or v.principal.is_staff:
        raise NotFound(fmt)
    data = my_points(session, v.principal)
    spooled = exports.spool(portfolio_table(data, v.language, v.login), fmt)
    _audit(session, v, "export", "service_point_list", count=len(data.points), format=fmt)
    name = exports.safe_name("HizmetNoktalari", data.period) + f".{fmt}"
    return downloads.send(spooled, fmt, name)


@router.get("/hn/{no}")
def service_point_home(no: str) -> Response:
    return RedirectResponse(f"/hn/{quote(no)}/readout", status_code=303)


@router.get("/sec")
def pick(v: User, no: str = "", ekran: str = "readout") -> Response:
    """The service-point picker of the screens: the same screen for another point."""
    screen = ekran if ekran in NAMES else "readout"
    return RedirectResponse(f"/hn/{quote(no.strip())}/{screen}", status_code=303)


# ---------------------------------------------------------------------------- the screens


def _sight(
    request: Request, session: Session, v: Viewer, no: str, screen: Screen[Any, Any]
) -> Sight:
    """The point as the viewer may see it; what it may not is audited as denied, then 404."""
    try:
        return see(session, v.principal, no)
    except NotFound:
        detail = {"screen": screen.name, "path": request.url.path}
        record_denied(
            session, v, "view", object_type="service_point", object_id=no[:64], detail=detail
        )
        raise


def _visible(
    session: Session, v: Viewer, sight: Sight, screen: Screen[Any, Any], step: Callable[[], T]
) -> T:
    """``step`` (the screen's reading); a range outside the viewer's sight is audited as denied."""
    try:
        return step()
    except NotVisible as exc:
        detail = {"screen": screen.name, **exc.detail}
        record_denied(
            session, v, "view", object_type="service_point", object_id=sight.point.no, detail=detail
        )
        raise


def _page(
    request: Request, session: Session, v: Viewer, no: str, screen: Screen[Any, Any], query: Any
) -> tuple[Sight, Page]:
    """The screen as the viewer may see it."""
    sight = _sight(request, session, v, no, screen)
    data = _visible(
        session, v, sight, screen, lambda: screen.load(session, sight, query, settings_of(request))
    )
    return sight, screen.view(data, v.language)


def show(
    request: Request, v: Viewer, session: Session, no: str, screen: Screen[Any, Any], query: Any
) -> Response:
    sight, page = _page(request, session, v, no, screen, query)
    query_text = str(request.url.query)
    _audit(
        session, v, "view", "service_point", sight.point.no, screen=screen.name, query=query_text
    )
    last = last_profile_end(session, sight)
    now = db_now(session)
    lagging = last is not None and now - last > LAG and sight.open_at(now)
    return render(
        request,
        v,
        screen.template,
        {
            "sp": sight.point,
            "screen": screen.name,
            "screens": NAMES,
            "supplier_windows": sight.supply_windows,
            "query": "",
            "lag_since": last if lagging else None,
            "month_alerts": alerts_store.month_alerts(session, sight.point.id, period_of(now)),
            "choices": choices(session, v.principal),
            **page.template_context(),
        },
    )


def send(
    request: Request,
    v: Viewer,
    session: Session,
    no: str,
    fmt: str,
    screen: Screen[Any, Any],
    query: Any,
) -> Response:
    if fmt not in exports.FORMATS:
        raise NotFound(fmt)
    which = request.query_params.get("veri", "")
    file = screen.file
    if file is not None and not which:  # the file alone: no page is built
        sight = _sight(request, session, v, no, screen)
        download = _visible(
            session,
            v,
            sight,
            screen,
            lambda: file(session, sight, query, settings_of(request), v.language),
        )
        table, part, chart = download.table, download.file_part, False
    else:
        sight, page = _page(request, session, v, no, screen, query)
        table, part, chart = (
            page.tables.get(which, page.table),
            page.file_part,
            which in page.tables,
        )
    rows = list(table.rows)  # read now, while the request's session is open
    table = dataclasses.replace(table, rows=rows)
    detail = {"format": fmt, "query": str(request.url.query), "rows": len(rows)}
    _audit(session, v, "export", "service_point", sight.point.no, screen=screen.name, **detail)
    label = screen.file_label + ("-grafik" if chart else "")
    name = exports.safe_name(label, sight.point.no, part) + f".{fmt}"
    if fmt == "xlsx":  # made and sent chunk by chunk
        return downloads.stream(exports.Workbook(table), fmt, name)
    return downloads.send(exports.spool(table, fmt), fmt, name)


def _routes(screen: Screen[Any, Any]) -> tuple[Callable[..., Response], Callable[..., Response]]:
    """The page and the download of one screen, with the screen's typed query parameters."""

    def page(
        request: Request, v: User, session: DB, no: str, query: Any = Depends(screen.query)
    ) -> Response:
        return show(request, v, session, no, screen, query)

    def download(
        request: Request,
        v: User,
        session: DB,
        no: str,
        fmt: str,
        query: Any = Depends(screen.query),
    ) -> Response:
        return send(request, v, session, no, fmt, screen, query)

    return page, download


for _screen in SCREENS:
    _show, _send = _routes(_screen)
    router.add_api_route(f"/hn/{{no}}/{_screen.name}.{{fmt}}", _send, methods=["GET"])
    router.add_api_route(
        f"/hn/{{no}}/{_screen.name}", _show, methods=["GET"], response_class=HTMLResponse
    )


@router.get("/hn/{no}/{screen_name}")
def unknown_screen(v: User, no: str, screen_name: str) -> Response:
    raise NotFound(screen_name)

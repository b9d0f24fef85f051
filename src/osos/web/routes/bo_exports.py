"""Every back-office list as a download (``/yonetim/liste/<list>.xlsx|csv``): the same rows and
filters as its page, written by ``osos.exports``, streamed, and audited."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from osos import exports
from osos.errors import NotFound
from osos.exports import Table
from osos.identity import accounts, applications
from osos.mdm.vee import list_findings
from osos.sharing.board import delivery_board
from osos.store.db import now as db_now
from osos.timeutil import local_date
from osos.web import bo_tables, downloads, operations
from osos.web.deps import DB, Staff, Viewer, record, settings_of

router = APIRouter(prefix="/yonetim", include_in_schema=False)
Builder = Callable[[Request, Session, Viewer], Table]


def _comm(request: Request, session: Session, v: Viewer) -> Table:
    return bo_tables.comm_status(operations.meter_statuses(session), v.t, v.language)


def _findings(request: Request, session: Session, v: Viewer) -> Table:
    state = "resolved" if request.query_params.get("durum") == "resolved" else "open"
    return bo_tables.findings(list_findings(session, state=state), v.t, v.language)


def _deliveries(request: Request, session: Session, v: Viewer) -> Table:
    rows = delivery_board(session, db_now(session), config=settings_of(request).sharing)
    return bo_tables.deliveries(rows, v.t, v.language)


def _points(request: Request, session: Session, v: Viewer) -> Table:
    rows = operations.search_points(session, request.query_params.get("q", ""), limit=100_000)
    return bo_tables.points(rows, v.t, v.language)


def _applications(request: Request, session: Session, v: Viewer) -> Table:
    rows = applications.list_applications(session, request.query_params.get("durum") or None)
    return bo_tables.applications(rows, v.t, v.language)


def _users(request: Request, session: Session, v: Viewer) -> Table:
    return bo_tables.users(accounts.list_users(session), v.t, v.language)


LISTS: dict[str, tuple[str, Builder]] = {
    "iletisim": ("Iletisim-durumu", _comm),
    "bulgular": ("Bulgular", _findings),
    "teslimler": ("Teslimler", _deliveries),
    "hizmet-noktalari": ("Hizmet-noktalari", _points),
    "basvurular": ("Basvurular", _applications),
    "kullanicilar": ("Kullanicilar", _users),
}


@router.get("/liste/{name}.{fmt}")
def export_list(request: Request, v: Staff, session: DB, name: str, fmt: str) -> Response:
    if name not in LISTS or fmt not in exports.FORMATS:
        raise NotFound(f"{name}.{fmt}")
    title, build = LISTS[name]
    spooled = exports.spool(build(request, session, v), fmt)
    record(session, v, "export", object_type="backoffice_list", object_id=name,
           detail={"rows": spooled.rows, "format": fmt})  # fmt: skip
    file_name = exports.safe_name(title, local_date(db_now(session)).isoformat())
    return downloads.send(spooled, fmt, f"{file_name}.{fmt}")

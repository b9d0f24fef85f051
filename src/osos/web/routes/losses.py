"""The back office's loss and tamper worklist (``/yonetim/kayip-kacak``): a month's findings
with their evidence and source readout, a scan, acknowledge and close (CSRF, audited), and
the list as XLSX/CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from osos import audit, exports
from osos.errors import InvalidInput, NotFound
from osos.exports import Cell, Table, When
from osos.losses.findings import Status
from osos.losses.service import run_period
from osos.losses.store import StoredFinding, listed, set_status
from osos.store.db import now as db_now
from osos.store.raw import raw_of
from osos.timeutil import month_bounds, period_of
from osos.web import downloads, formatting
from osos.web.deps import DB, Csrf, Staff, Viewer, settings_of
from osos.web.pages import render

router = APIRouter(prefix="/yonetim", include_in_schema=False)
#: The worklist's tabs: what is still to do (open and acknowledged), each status, everything.
STATES: dict[str, tuple[Status, ...] | None] = {
    "active": (Status.OPEN, Status.ACKNOWLEDGED),
    "open": (Status.OPEN,),
    "acknowledged": (Status.ACKNOWLEDGED,),
    "closed": (Status.CLOSED,),
    "all": None,
}
ACTIONS = {"acknowledge": Status.ACKNOWLEDGED, "close": Status.CLOSED}


def _period(session: DB, text: str) -> str:
    try:
        month_bounds(text)
    except InvalidInput:
        return period_of(db_now(session))
    return text


def _rows(session: DB, period: str, state: str) -> list[StoredFinding]:
    return listed(session, *month_bounds(period), statuses=STATES.get(state, STATES["active"]))


@router.get("/kayip-kacak", response_class=HTMLResponse)
def worklist(
    request: Request, v: Staff, session: DB, donem: str = "", durum: str = "active", mesaj: str = ""
) -> Response:
    period = _period(session, donem)
    state = durum if durum in STATES else "active"
    context = {
        "rows": _rows(session, period, state), "period": period, "state": state,
        "states": list(STATES), "message": mesaj, "section": "losses",
    }  # fmt: skip
    return render(request, v, "bo_losses.html", context)


@router.post("/kayip-kacak/tara", dependencies=[Csrf])
def scan(request: Request, v: Staff, session: DB, donem: Annotated[str, Form()]) -> Response:
    """Run the detectors over the month now (the head-end's upkeep does it too)."""
    period = _period(session, donem)
    saved = run_period(session, period, settings_of(request).losses)[1]
    audit.record(
        session, actor=v.login, action="loss_scan", object_type="period", object_id=period,
        user_id=v.user_id, ip=v.ip, detail=saved.__dict__,
    )  # fmt: skip
    message = v.t("loss_scanned", **saved.__dict__)
    query = urlencode({"donem": period, "mesaj": message})
    return RedirectResponse(f"/yonetim/kayip-kacak?{query}", status_code=303)


@router.post("/kayip-kacak/{finding_id}", dependencies=[Csrf])
def change(
    request: Request,
    v: Staff,
    session: DB,
    finding_id: int,
    action: Annotated[str, Form()],
    donem: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    status = ACTIONS.get(action)
    if status is None:
        raise NotFound(action)
    try:
        set_status(
            session, finding_id, status, actor=v.login, note=note, user_id=v.user_id, ip=v.ip
        )
    except InvalidInput:
        session.rollback()
        period = _period(session, donem)
        context = {
            "rows": _rows(session, period, "active"), "period": period, "state": "active",
            "states": list(STATES), "error": v.t("loss_note_required"), "section": "losses",
        }  # fmt: skip
        return render(request, v, "bo_losses.html", context, 400)
    return RedirectResponse(
        f"/yonetim/kayip-kacak?donem={_period(session, donem)}", status_code=303
    )


def _when(v: Viewer, at: dt.datetime | None) -> Cell:
    return "" if at is None else When(at, formatting.local_datetime(at, True, v.language))


def _row(r: StoredFinding, v: Viewer) -> list[Cell]:
    f = r.finding
    evidence = " ".join(f"{k}={x}" for k, x in f.evidence.items())
    kind, status = v.t(f"loss_kind_{f.kind.value}"), v.t(f"loss_status_{r.status.value}")
    return [f.service_point, r.title or "", kind, _when(v, f.start), _when(v, f.end),
            f.meter or "", evidence, f.readout_id, status, r.note or ""]  # fmt: skip


def _table(rows: Sequence[StoredFinding], v: Viewer, period: str) -> Table:
    keys = ("hn_no", "title", "loss_kind", "from_day", "to_day", "meter_serial", "loss_evidence",
            "loss_source", "status", "note")  # fmt: skip
    body: Iterator[list[Cell]] = (_row(r, v) for r in rows)
    return Table(f"{v.t('bo_losses')} {period}", [v.t(k) for k in keys], body, language=v.language)


@router.get("/kayip-kacak.{fmt}")
def export(v: Staff, session: DB, fmt: str, donem: str = "", durum: str = "all") -> Response:
    if fmt not in exports.FORMATS:
        raise NotFound(fmt)
    period = _period(session, donem)
    rows = _rows(session, period, durum if durum in STATES else "all")
    spooled = exports.spool(_table(rows, v, period), fmt)
    audit.record(
        session, actor=v.login, action="export", object_type="loss_findings", object_id=period,
        user_id=v.user_id, ip=v.ip, detail={"rows": spooled.rows, "format": fmt},
    )  # fmt: skip
    return downloads.send(spooled, fmt, f"{exports.safe_name('Kayip-kacak', period)}.{fmt}")


@router.get("/okuma/{readout_id}/ham")
def readout_bytes(v: Staff, session: DB, readout_id: int) -> Response:
    """A readout's bytes as the meter sent them: the evidence behind a finding."""
    found = raw_of(session, readout_id)  # from the database or the month's archive file
    if found is None:
        raise NotFound(str(readout_id))
    audit.record(
        session, actor=v.login, action="view", object_type="readout", object_id=readout_id,
        user_id=v.user_id, ip=v.ip, detail={"screen": "raw"},
    )  # fmt: skip
    return Response(found.raw.decode("latin-1"), media_type="text/plain; charset=utf-8")

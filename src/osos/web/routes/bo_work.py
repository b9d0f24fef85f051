"""Back office daily work: "read now" on a meter (queued for the head-end, its progress polled),
estimation (run → review the proposal → accept), the deliveries board with countdowns, alerts,
estimates and corrections, and the market operator's answers to corrections."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from osos.errors import InvalidInput, NotFound
from osos.headend.read_now import queue_read, read_status
from osos.mdm.vee import estimate_meter, propose_estimates
from osos.sharing.board import delivery_board
from osos.sharing.corrections import list_corrections, record_correction_answer
from osos.store.db import now as db_now
from osos.timeutil import month_bounds
from osos.web import formatting, operations
from osos.web.deps import DB, Csrf, Staff, Viewer, record, settings_of
from osos.web.pages import render

router = APIRouter(prefix="/yonetim", include_in_schema=False)
SHOWN_ESTIMATES = 500


@router.post("/sayac/{serial}/oku", dependencies=[Csrf])
def read_now(v: Staff, session: DB, serial: str) -> Response:
    """Queue a readout for the head-end; the meter page then polls the job's progress."""
    try:
        job_id = queue_read(session, serial, db_now(session))
    except InvalidInput as exc:
        session.rollback()
        target = f"/yonetim/sayac/{quote(serial)}?okunamaz={quote(str(exc)[:200])}"
        return RedirectResponse(target, status_code=303)
    record(session, v, "read_now", object_type="meter", object_id=serial,
           detail={"job_id": job_id})  # fmt: skip
    return RedirectResponse(f"/yonetim/sayac/{quote(serial)}?okuma={job_id}", status_code=303)


@router.get("/sayac/{serial}/okuma/{job_id}")
def read_progress(v: Staff, session: DB, serial: str, job_id: int) -> Response:
    """The queued read's state for the page's poll (JSON)."""
    status = read_status(session, job_id, serial)
    body = {**status.to_json(), "label": v.t("read_" + status.state)}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _meter_id(session: DB, serial: str) -> int:
    statuses = operations.meter_statuses(session, serial.strip())
    if not statuses:
        raise InvalidInput(f"unknown meter {serial!r}")
    return statuses[0].meter_id


@router.get("/tahmin", response_class=HTMLResponse)
def estimation(
    request: Request, v: Staff, session: DB, sayac: str = "", donem: str = "", kabul: int = -1
) -> Response:
    """Run: the estimates a meter's month would get, for the operator to review (nothing is
    stored until accepted)."""
    context: dict[str, object] = {"section": "estimate", "serial": sayac, "period": donem}
    if kabul >= 0:
        context["accepted"] = kabul
    if sayac and donem:
        try:
            start, end = month_bounds(donem)
            rows = propose_estimates(session, _meter_id(session, sayac), start, end)
        except InvalidInput as exc:
            return render(request, v, "bo_estimate.html", {**context, "problem": str(exc)}, 400)
        registers = sorted({o for r in rows for o in r.values})
        context |= {
            "rows": rows[:SHOWN_ESTIMATES],
            "count": len(rows),
            "registers": registers,
            "kwh": lambda milli: Decimal(milli).scaleb(-3),
        }
    return render(request, v, "bo_estimate.html", context)


@router.post("/tahmin", dependencies=[Csrf])
def estimation_accept(
    request: Request,
    v: Staff,
    session: DB,
    serial: Annotated[str, Form()],
    period: Annotated[str, Form()],
) -> Response:
    """Accept: store the month's estimates (flagged as estimated; audited by the MDM)."""
    try:
        start, end = month_bounds(period)
        stored = estimate_meter(session, _meter_id(session, serial), start, end, actor=v.login)
    except InvalidInput as exc:
        session.rollback()
        context = {"section": "estimate", "serial": serial, "period": period, "problem": str(exc)}
        return render(request, v, "bo_estimate.html", context, 400)
    record(session, v, "estimate.accept", object_type="meter", object_id=serial.strip(),
           detail={"period": period, "intervals": stored})  # fmt: skip
    query = urlencode({"sayac": serial.strip(), "donem": period, "kabul": stored})
    target = f"/yonetim/tahmin?{query}"
    return RedirectResponse(target, status_code=303)


def _deliveries_page(
    request: Request, v: Viewer, session: DB, extra: dict[str, object], status: int = 200
) -> Response:
    rows = delivery_board(session, db_now(session), config=settings_of(request).sharing)
    context = {
        "rows": rows,
        "estimated": sum(1 for r in rows if r.estimated),
        "corrections": list_corrections(session)[:200],
        "countdown": lambda s: formatting.countdown(s, v.language),
        "section": "deliveries",
        **extra,
    }
    return render(request, v, "bo_deliveries.html", context, status)


@router.get("/teslimler", response_class=HTMLResponse)
def deliveries(request: Request, v: Staff, session: DB) -> Response:
    return _deliveries_page(request, v, session, {})


@router.post("/duzeltme/{correction_id}", dependencies=[Csrf])
def correction_answer(
    request: Request,
    v: Staff,
    session: DB,
    correction_id: int,
    answer: Annotated[str, Form()],
    by: Annotated[str, Form()] = "EPİAŞ",
) -> Response:
    """The market operator's answer to a correction (approved / rejected)."""
    if answer not in ("approved", "rejected"):
        return _deliveries_page(request, v, session, {"problem": f"unknown answer {answer!r}"}, 400)
    try:
        record_correction_answer(
            session, correction_id, approved=answer == "approved", by=by.strip()[:200] or "EPİAŞ",
            at=db_now(session),
        )  # fmt: skip
    except NotFound as exc:
        session.rollback()
        return _deliveries_page(request, v, session, {"problem": str(exc)}, 404)
    record(session, v, f"correction.{answer}", object_type="correction",
           object_id=str(correction_id))  # fmt: skip
    return RedirectResponse("/yonetim/teslimler", status_code=303)

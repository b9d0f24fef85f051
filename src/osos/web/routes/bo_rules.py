"""Back office of the rules in force: the regulatory settings (dated, never back-dated), the fee
table, the settlement calendar, and the scope's voluntary inclusions and company decisions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from osos import regulation
from osos.domain import FeeReason
from osos.errors import Conflict, InvalidInput, NotFound
from osos.scope import service as scope
from osos.sharing import fees
from osos.sharing.obligations import set_settlement_calendar, settlement_calendars
from osos.store.db import now as db_now
from osos.timeutil import month_bounds, parse_local
from osos.web.deps import DB, Csrf, Staff, Viewer, record, settings_of
from osos.web.pages import render

router = APIRouter(prefix="/yonetim", include_in_schema=False)


def _rules_page(
    request: Request, v: Viewer, session: DB, extra: dict[str, object], status: int = 200
) -> Response:
    context = {
        "history": regulation.history(session),
        "sections": regulation.SECTIONS,
        "fees": fees.list_fees(session),
        "reasons": list(FeeReason),
        "calendars": settlement_calendars(session),
        "section": "rules",
        **extra,
    }
    return render(request, v, "bo_rules.html", context, status)


@router.get("/kurallar", response_class=HTMLResponse)
def rules(request: Request, v: Staff, session: DB) -> Response:
    return _rules_page(request, v, session, {})


def _refused(request: Request, v: Viewer, session: DB, exc: Exception) -> Response:
    session.rollback()
    return _rules_page(request, v, session, {"problem": str(exc)}, 400)


@router.post("/kurallar", dependencies=[Csrf])
def setting_change(
    request: Request,
    v: Staff,
    session: DB,
    key: Annotated[str, Form()],
    field: Annotated[str, Form()],
    value: Annotated[str, Form()],
    valid_from: Annotated[str, Form()],
    reason: Annotated[str, Form()],
) -> Response:
    """One field of a setting from a date on (``regulation.set_value`` refuses the past and
    audits the change)."""
    try:
        regulation.set_value(
            session, settings_of(request), key, {field.strip(): regulation.parse_text(value)},
            valid_from=parse_local(valid_from), by=v.login, reason=reason,
        )  # fmt: skip
    except (InvalidInput, TypeError, ValueError) as exc:
        return _refused(request, v, session, exc)
    return RedirectResponse("/yonetim/kurallar", status_code=303)


@router.post("/kurallar/ucret", dependencies=[Csrf])
def fee_change(
    request: Request,
    v: Staff,
    session: DB,
    reason: Annotated[str, Form()],
    amount: Annotated[str, Form()],
    valid_from: Annotated[str, Form()],
    justification: Annotated[str, Form()],
) -> Response:
    try:
        value = Decimal(amount.strip().replace(",", "."))
        when = parse_local(valid_from)
        fees.change_fee(session, reason, value, valid_from=when, justification=justification)
    except (InvalidInput, InvalidOperation) as exc:
        return _refused(request, v, session, exc)
    record(session, v, "fee.change", object_type="fee_schedule", object_id=reason,
           detail={"amount": str(value), "valid_from": when.isoformat()})  # fmt: skip
    return RedirectResponse("/yonetim/kurallar", status_code=303)


@router.post("/kurallar/takvim", dependencies=[Csrf])
def calendar_change(
    request: Request,
    v: Staff,
    session: DB,
    period: Annotated[str, Form()],
    last_day: Annotated[str, Form()],
    pre_settlement: Annotated[str, Form()] = "",
) -> Response:
    """The market operator's settlement calendar of a month (moves pending rule-3 deadlines)."""
    try:
        month_bounds(period.strip())
        last = dt.date.fromisoformat(last_day.strip())
        pre = dt.date.fromisoformat(pre_settlement.strip()) if pre_settlement.strip() else None
        set_settlement_calendar(
            session, period.strip(), last, pre, config=settings_of(request).sharing
        )
    except (InvalidInput, ValueError) as exc:
        return _refused(request, v, session, exc)
    record(session, v, "calendar.set", object_type="settlement_calendar",
           object_id=period.strip(), detail={"last_day": last.isoformat()})  # fmt: skip
    return RedirectResponse("/yonetim/kurallar", status_code=303)


def _scope_page(
    request: Request, v: Viewer, session: DB, extra: dict[str, object], status: int = 200
) -> Response:
    context = {
        "inclusions": scope.list_inclusions(session),
        "decisions": scope.list_company_decisions(session),
        "section": "scope",
        **extra,
    }
    return render(request, v, "bo_scope.html", context, status)


@router.get("/kapsam", response_class=HTMLResponse)
def scope_page(request: Request, v: Staff, session: DB) -> Response:
    return _scope_page(request, v, session, {})


def _scope_refused(request: Request, v: Viewer, session: DB, exc: Exception) -> Response:
    session.rollback()
    return _scope_page(request, v, session, {"problem": str(exc)}, 400)


@router.post("/kapsam/talep", dependencies=[Csrf])
def inclusion_request(
    request: Request,
    v: Staff,
    session: DB,
    service_point: Annotated[str, Form()],
    requested_by: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """A voluntary inclusion request received by letter or at the desk."""
    try:
        request_id = scope.request_inclusion(
            session, service_point.strip(), requested_by=requested_by.strip()[:200],
            at=db_now(session), note=note.strip(),
        )  # fmt: skip
    except NotFound as exc:
        return _scope_refused(request, v, session, exc)
    record(session, v, "scope.inclusion_request", object_type="service_point",
           object_id=service_point.strip(), detail={"request_id": request_id})  # fmt: skip
    return RedirectResponse("/yonetim/kapsam", status_code=303)


@router.post("/kapsam/talep/{request_id}", dependencies=[Csrf])
def inclusion_decide(
    request: Request, v: Staff, session: DB, request_id: int, decision: Annotated[str, Form()]
) -> Response:
    try:
        if decision not in ("approve", "reject"):
            raise InvalidInput(f"unknown decision {decision!r}")
        scope.decide_inclusion(
            session, request_id, approve=decision == "approve", decided_by=v.login,
            at=db_now(session),
        )  # fmt: skip
    except (Conflict, InvalidInput, NotFound) as exc:
        return _scope_refused(request, v, session, exc)
    record(session, v, f"scope.inclusion_{decision}", object_type="inclusion_request",
           object_id=str(request_id))  # fmt: skip
    return RedirectResponse("/yonetim/kapsam", status_code=303)


@router.post("/kapsam/karar", dependencies=[Csrf])
def company_decision(
    request: Request,
    v: Staff,
    session: DB,
    service_point: Annotated[str, Form()],
    reason: Annotated[str, Form()],
) -> Response:
    """The company names a service point that must be in OSOS."""
    try:
        if not reason.strip():
            raise InvalidInput("a company decision needs its reason")
        scope.add_company_decision(
            session, service_point.strip(), reason=reason.strip(), decided_by=v.login,
            at=db_now(session),
        )  # fmt: skip
    except (InvalidInput, NotFound) as exc:
        return _scope_refused(request, v, session, exc)
    record(session, v, "scope.company_decision", object_type="service_point",
           object_id=service_point.strip(), detail={"reason": reason.strip()})  # fmt: skip
    return RedirectResponse("/yonetim/kapsam", status_code=303)

"""Back office of the sharing layer: API tokens (create — the secret shown once —, revoke, last
use), priced requests (approve, reject, fulfil, invoice, the file) and customers' consents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from osos.errors import Conflict, InvalidInput, NotFound
from osos.sharing import consents, fees, tokens
from osos.sharing import requests as priced
from osos.store.db import now as db_now
from osos.web import downloads, operations
from osos.web.deps import DB, Admin, Csrf, Staff, Viewer, record, settings_of
from osos.web.pages import render

router = APIRouter(prefix="/yonetim", include_in_schema=False)
REFUSED = (Conflict, InvalidInput, NotFound, consents.ConsentMissing)


def _tokens_page(
    request: Request, v: Viewer, session: DB, extra: dict[str, object], status: int = 200
) -> Response:
    context = {
        "rows": tokens.list_tokens(session),
        "organisations": operations.organisations(session),
        "section": "tokens",
        **extra,
    }
    response = render(request, v, "bo_tokens.html", context, status)
    response.headers["Cache-Control"] = "no-store"  # a new secret may be on it
    return response


@router.get("/tokenlar", response_class=HTMLResponse)
def token_list(request: Request, v: Staff, session: DB) -> Response:
    return _tokens_page(request, v, session, {})


@router.post("/tokenlar", dependencies=[Csrf])
def token_create(
    request: Request,
    v: Admin,
    session: DB,
    organisation: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
) -> Response:
    """A new token: its secret is on this answer only (stored as a hash, never shown again)."""
    try:
        issued = tokens.create_token(
            session, organisation, at=db_now(session), created_by=v.login, name=name.strip()
        )
    except NotFound as exc:
        return _tokens_page(request, v, session, {"problem": str(exc)}, 400)
    record(session, v, "token.create", object_type="api_token", object_id=str(issued.id),
           detail={"organisation": issued.organisation})  # fmt: skip
    return _tokens_page(request, v, session, {"issued": issued})


@router.post("/tokenlar/{token_id}/iptal", dependencies=[Csrf])
def token_revoke(v: Admin, session: DB, token_id: int) -> Response:
    tokens.revoke_token(session, token_id, at=db_now(session))
    record(session, v, "token.revoke", object_type="api_token", object_id=str(token_id))
    return RedirectResponse("/yonetim/tokenlar", status_code=303)


def _requests_page(
    request: Request, v: Viewer, session: DB, extra: dict[str, object], status: int = 200
) -> Response:
    rows = priced.list_requests(session, settings_of(request).sharing)
    context = {"rows": sorted(rows, key=lambda r: -r.id), "section": "requests", **extra}
    return render(request, v, "bo_requests.html", context, status)


@router.get("/talepler", response_class=HTMLResponse)
def request_list(request: Request, v: Staff, session: DB) -> Response:
    return _requests_page(request, v, session, {})


@router.post("/talepler/{request_id}", dependencies=[Csrf])
def request_action(
    request: Request,
    v: Staff,
    session: DB,
    request_id: int,
    action: Annotated[str, Form()],
    invoice_no: Annotated[str, Form()] = "",
) -> Response:
    """approve | reject | fulfil (build the file) | invoice; refusals say why."""
    at = db_now(session)
    try:
        if action in ("approve", "reject"):
            priced.decide_request(
                session, request_id, approve=action == "approve", by=v.login, at=at
            )
        elif action == "fulfil":
            priced.fulfil_request(session, request_id, at=at)
        elif action == "invoice":
            fees.invoice_request(session, request_id, invoice_no=invoice_no, at=at)
        else:
            raise InvalidInput(f"unknown action {action!r}")
    except REFUSED as exc:
        session.rollback()
        record(session, v, f"request.{action}", object_type="data_request",
               object_id=str(request_id), outcome="denied", detail={"why": str(exc)})  # fmt: skip
        session.commit()
        return _requests_page(request, v, session, {"problem": str(exc)}, 400)
    record(session, v, f"request.{action}", object_type="data_request", object_id=str(request_id),
           detail={"invoice_no": invoice_no} if action == "invoice" else None)  # fmt: skip
    return RedirectResponse("/yonetim/talepler", status_code=303)


@router.get("/talepler/{request_id}/dosya")
def request_download(v: Staff, session: DB, request_id: int) -> Response:
    name, content = priced.request_file(session, request_id, None)
    record(session, v, "export", object_type="data_request", object_id=str(request_id))
    return downloads.send_stored(content, name, "application/octet-stream")


def _consents_page(
    request: Request, v: Viewer, session: DB, extra: dict[str, object], status: int = 200
) -> Response:
    context = {
        "rows": consents.list_consents(session),
        "organisations": operations.organisations(session),
        "section": "consents",
        **extra,
    }
    return render(request, v, "bo_consents.html", context, status)


@router.get("/izinler", response_class=HTMLResponse)
def consent_list(request: Request, v: Staff, session: DB) -> Response:
    return _consents_page(request, v, session, {})


@router.post("/izinler", dependencies=[Csrf])
def consent_record(
    request: Request,
    v: Staff,
    session: DB,
    service_point: Annotated[str, Form()],
    organisation: Annotated[str, Form()],
    granted_by: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    """A consent the customer signed on paper (the form's reference in the note)."""
    try:
        consent_id = consents.record_consent(
            session, service_point, organisation, granted_by=granted_by, via="backoffice",
            recorded_by=v.login, at=db_now(session), note=note,
        )  # fmt: skip
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _consents_page(request, v, session, {"problem": str(exc)}, 400)
    record(session, v, "consent.record", object_type="service_point",
           object_id=service_point.strip(),
           detail={"consent_id": consent_id, "organisation": organisation})  # fmt: skip
    return RedirectResponse("/yonetim/izinler", status_code=303)


@router.post("/izinler/{consent_id}/iptal", dependencies=[Csrf])
def consent_revoke(v: Staff, session: DB, consent_id: int) -> Response:
    consents.revoke_consent(session, consent_id, at=db_now(session))
    record(session, v, "consent.revoke", object_type="consent", object_id=str(consent_id))
    return RedirectResponse("/yonetim/izinler", status_code=303)

"""The customer's own consents (KVKK) in the panel (``/izinlerim``): an Abone or Kurumsal user
lets an organisation outside its supply get its data through priced requests, and revokes it.
Only the customer decides: a supplier or OSB account has no such page, and another customer's
point or consent is answered 404, as if it did not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from osos.domain import UserKind
from osos.errors import InvalidInput, NotFound
from osos.readmodel.access import allowed_service_point_ids
from osos.sharing import consents
from osos.store.db import now as db_now
from osos.web import operations
from osos.web.deps import DB, Csrf, User, Viewer, record
from osos.web.pages import render

router = APIRouter(include_in_schema=False)
CUSTOMERS = (UserKind.ABONE, UserKind.KURUMSAL)


def _own_points(session: DB, v: Viewer) -> set[int]:
    if v.principal.kind not in CUSTOMERS:
        raise NotFound("consents are the customer's own")
    return allowed_service_point_ids(session, v.principal)


def _page(
    request: Request, v: Viewer, session: DB, extra: dict[str, object], status: int = 200
) -> Response:
    own = _own_points(session, v)
    context = {
        "rows": consents.list_consents(session, own),
        "points": sorted(operations.point_numbers(session, own)),
        "organisations": [o for o in operations.organisations(session) if o.kind == "supplier"],
        **extra,
    }
    return render(request, v, "consents.html", context, status)


@router.get("/izinlerim", response_class=HTMLResponse)
def my_consents(request: Request, v: User, session: DB) -> Response:
    return _page(request, v, session, {})


@router.post("/izinlerim", dependencies=[Csrf])
def grant(
    request: Request,
    v: User,
    session: DB,
    service_point: Annotated[str, Form()],
    organisation: Annotated[str, Form()],
) -> Response:
    own = _own_points(session, v)
    if service_point.strip() not in operations.point_numbers(session, own):
        raise NotFound(service_point)
    try:
        consent_id = consents.record_consent(
            session, service_point, organisation, granted_by=v.login, via="panel",
            recorded_by=v.login, at=db_now(session),
        )  # fmt: skip
    except (InvalidInput, NotFound) as exc:
        session.rollback()
        return _page(request, v, session, {"problem": str(exc)}, 400)
    record(session, v, "consent.grant", object_type="service_point",
           object_id=service_point.strip(),
           detail={"consent_id": consent_id, "organisation": organisation})  # fmt: skip
    return RedirectResponse("/izinlerim", status_code=303)


@router.post("/izinlerim/{consent_id}/iptal", dependencies=[Csrf])
def revoke(v: User, session: DB, consent_id: int) -> Response:
    consents.revoke_consent(
        session, consent_id, at=db_now(session), service_point_ids=_own_points(session, v)
    )
    record(session, v, "consent.revoke", object_type="consent", object_id=str(consent_id))
    return RedirectResponse("/izinlerim", status_code=303)

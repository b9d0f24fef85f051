"""Uyarılar: the alerts raised for the viewer and their own choice (on/off, daily or weekly,
kinds muted, SMS number). The form carries the CSRF token; the change is audited by
:func:`osos.alerts.preferences.save`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from osos.alerts import preferences, store
from osos.alerts.model import CUSTOMER_KINDS, OPERATOR_KINDS
from osos.errors import InvalidInput
from osos.store.db import now as db_now
from osos.web.deps import DB, Csrf, User, Viewer, record
from osos.web.pages import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, v: Viewer, session: DB, status: int = 200, **extra: object) -> Response:
    assert v.user_id is not None
    principal = v.principal
    kinds = OPERATOR_KINDS if principal.is_staff else CUSTOMER_KINDS
    context = {
        "alerts": store.visible_to(session, principal, db_now(session)),
        "pref": preferences.get(session, v.user_id),
        "kinds": [str(k) for k in kinds],
        "frequencies": list(preferences.FREQUENCIES),
        **extra,
    }
    return render(request, v, "alerts.html", context, status)


@router.get("/uyarilar", response_class=HTMLResponse)
def alerts_page(request: Request, v: User, session: DB) -> Response:
    record(session, v, "view", object_type="alerts")
    return _page(request, v, session)


@router.post("/uyarilar", dependencies=[Csrf], response_class=HTMLResponse)
def alerts_save(
    request: Request,
    v: User,
    session: DB,
    enabled: Annotated[str, Form()] = "",
    frequency: Annotated[str, Form()] = "daily",
    kind: Annotated[list[str] | None, Form()] = None,
    sms_phone: Annotated[str, Form()] = "",
) -> Response:
    """Save the choice: the kinds ticked are the ones wanted; the others are muted."""
    assert v.user_id is not None
    kinds = OPERATOR_KINDS if v.principal.is_staff else CUSTOMER_KINDS
    wanted = set(kind or [])
    try:
        preferences.save(
            session, v.user_id, enabled=enabled == "on", frequency=frequency,
            muted=[str(k) for k in kinds if str(k) not in wanted], sms_phone=sms_phone,
            actor=v.login,
        )  # fmt: skip
    except InvalidInput as exc:
        return _page(request, v, session, 400, error=str(exc))
    return _page(request, v, session, saved=True)

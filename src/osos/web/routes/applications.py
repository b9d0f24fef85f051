"""The public application form (reachable without login)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from osos.identity import applications, quotas
from osos.identity.applications import MAX_DOCUMENT_BYTES, ApplicationError, Upload
from osos.identity.quotas import QuotaExceeded, Use
from osos.settings import AbuseLimits
from osos.store.db import now as db_now
from osos.web.deps import DB, Csrf, Viewer, Who, settings_of
from osos.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/basvuru", response_class=HTMLResponse)
def application_form(request: Request, v: Who) -> Response:
    return render(request, v, "apply.html", {"form": {}, "max_mb": MAX_DOCUMENT_BYTES // 2**20})


def _take_quotas(session: Session, limits: AbuseLimits, ip: str, uploads: list[Upload]) -> None:
    """One application, and its documents (count and bytes), from this address today."""
    day = dt.timedelta(days=1)
    quotas.take(
        session,
        db_now(session),
        Use("application", ip, day, limits.applications_per_day),
        Use(
            "upload",
            ip,
            day,
            limits.uploads_per_day,
            sizes=[len(u.content) for u in uploads] or [0],
            size_limit=limits.upload_bytes_per_day,
        ),
    )


def _refused(request: Request, v: Viewer, exc: QuotaExceeded) -> Response:
    context = {"form": {}, "error": v.t("quota_exceeded"), "max_mb": MAX_DOCUMENT_BYTES // 2**20}
    page = render(request, v, "apply.html", context, 429)
    page.headers["Retry-After"] = str(math.ceil(exc.wait.total_seconds()))
    return page


@router.post("/basvuru", dependencies=[Csrf])
async def submit_application(
    request: Request,
    v: Who,
    session: DB,
    kind: Annotated[str, Form()],
    contact_name: Annotated[str, Form()],
    email: Annotated[str, Form()],
    documents: Annotated[list[UploadFile], File()],
    service_point_nos: Annotated[str, Form()] = "",
    company_name: Annotated[str, Form()] = "",
    tax_no: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    uploads = []
    for d in documents:
        content = await d.read(MAX_DOCUMENT_BYTES + 1)
        uploads.append(Upload(d.filename or "belge", content))
    try:
        _take_quotas(session, settings_of(request).web.abuse, v.ip, uploads)
    except QuotaExceeded as exc:
        return _refused(request, v, exc)
    form = {
        "kind": kind,
        "contact_name": contact_name,
        "email": email,
        "company_name": company_name,
        "tax_no": tax_no,
        "phone": phone,
        "note": note,
        "service_point_nos": service_point_nos,
    }
    try:
        created = applications.submit(
            session,
            settings_of(request),
            kind=kind,
            login="",
            service_point_nos=service_point_nos.replace(",", "\n").splitlines(),
            company_name=company_name,
            tax_no=tax_no,
            contact_name=contact_name,
            email=email,
            phone=phone,
            note=note,
            documents=uploads,
        )
    except ApplicationError as exc:
        return render(
            request,
            v,
            "apply.html",
            {"form": form, "error": v.t(exc.key), "max_mb": MAX_DOCUMENT_BYTES // 2**20},
            400,
        )
    return render(request, v, "apply_done.html", {"application": created})

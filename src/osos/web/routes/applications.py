"""The public application form (reachable without login)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from osos.identity import applications
from osos.identity.applications import MAX_DOCUMENT_BYTES, ApplicationError, Upload
from osos.web.deps import DB, Csrf, Who, settings_of
from osos.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/basvuru", response_class=HTMLResponse)
def application_form(request: Request, v: Who) -> Response:
    return render(request, v, "apply.html", {"form": {}, "max_mb": MAX_DOCUMENT_BYTES // 2**20})


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

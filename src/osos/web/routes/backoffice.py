"""The operators' back office (``/yonetim``): meters, communication, imports, findings, edits,
applications, users, outbox and the audit log."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from osos import audit, exports
from osos.errors import ImportFailed, NotFound
from osos.exports import Cell, Table, When
from osos.headend.commlog import comm_log
from osos.identity import accounts, applications, outbox
from osos.mdm.edits import EditRefused, edit_interval
from osos.mdm.vee import list_findings, resolve_finding
from osos.sharing.board import delivery_board
from osos.store.db import now as db_now
from osos.timeutil import local_date, parse_local
from osos.web import downloads, formatting, operations
from osos.web.deps import DB, Admin, Csrf, Staff, Viewer, settings_of
from osos.web.pages import render

router = APIRouter(prefix="/yonetim", include_in_schema=False)
AUDIT_EXPORT_ROWS = 100_000


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, v: Staff, session: DB) -> Response:
    statuses = operations.meter_statuses(session)
    return render(
        request,
        v,
        "bo_home.html",
        {
            "coverage": operations.coverage_today(session),
            "statuses": statuses[:200],
            "open_applications": len(applications.list_applications(session, "submitted")),
            "open_findings": len(list_findings(session, state="open")),
            "deliveries": Counter(r.state for r in delivery_board(session, db_now(session))),
            "unsent": sum(1 for m in outbox.recent(session) if m.sent_at is None),
            "section": "home",
        },
    )


@router.get("/hizmet-noktalari", response_class=HTMLResponse)
def points(request: Request, v: Staff, session: DB, q: str = "") -> Response:
    rows = operations.search_points(session, q)
    return render(request, v, "bo_points.html", {"rows": rows, "q": q, "section": "points"})


@router.get("/sayac/{serial}", response_class=HTMLResponse)
def meter(
    request: Request, v: Staff, session: DB, serial: str, okuma: int = 0, okunamaz: str = ""
) -> Response:
    """The meter's state and comm log, its "read now" button and a queued read's progress."""
    statuses = operations.meter_statuses(session, serial)
    if not statuses:
        raise NotFound(serial)
    status = statuses[0]
    log = comm_log(session, status.meter_id, limit=100)
    audit.record(
        session,
        actor=v.login,
        action="view",
        object_type="meter",
        object_id=serial,
        user_id=v.user_id,
        ip=v.ip,
        detail={"screen": "comm_log"},
    )
    context = {"m": status, "log": log, "section": "points", "job": okuma, "problem": okunamaz}
    return render(request, v, "bo_meter.html", context)


@router.get("/iletisim/{comm_id}/transcript")
def comm_transcript(v: Staff, session: DB, comm_id: int) -> Response:
    raw = operations.transcript(session, comm_id)
    if raw is None:
        raise NotFound(str(comm_id))
    audit.record(
        session,
        actor=v.login,
        action="export",
        object_type="comm_log",
        object_id=comm_id,
        user_id=v.user_id,
        ip=v.ip,
    )
    return Response(raw.decode("latin-1"), media_type="text/plain; charset=utf-8")


@router.get("/kayit-aktar", response_class=HTMLResponse)
def import_form(request: Request, v: Staff) -> Response:
    return render(request, v, "bo_import.html", {"section": "import"})


IMPORT_KINDS = ("registry", "readings", "profile")
CHUNK = 2**20


async def _save(upload: UploadFile, path: Path, limit: int) -> bool:
    """Copy the upload to ``path`` a chunk at a time; False (nothing kept) past ``limit``
    bytes — a file is imported whole, as the CLI imports it, or not at all."""
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > limit:
                return False
            out.write(chunk)
    return True


@router.post("/kayit-aktar", dependencies=[Csrf])
async def import_upload(
    request: Request,
    v: Staff,
    session: DB,
    registry: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "registry",
    skip_invalid: Annotated[bool, Form()] = False,
) -> Response:
    """The registry (service points, meters, supplies), or readings and load profiles of meters
    read by hand or by another system; a file with any invalid row imports nothing."""
    from osos.mdm.imports import import_profile, import_readings
    from osos.registry.importer import import_registry

    context: dict[str, object] = {"section": "import", "kind": kind}
    suffix = Path(registry.filename or "file.csv").suffix.lower()
    if kind not in IMPORT_KINDS or suffix not in (".csv", ".xlsx"):
        return render(
            request, v, "bo_import.html", {**context, "errors": [v.t("import_type")]}, 400
        )
    limit = settings_of(request).web.import_max_bytes
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}{suffix}"
        if not await _save(registry, path, limit):
            message = v.t("import_too_large", mb=f"{limit / 2**20:g}")
            return render(request, v, "bo_import.html", {**context, "errors": [message]}, 413)
        try:
            if kind == "registry":
                result: object = import_registry(
                    session, path, skip_invalid=skip_invalid, actor=v.login
                )
            elif kind == "readings":
                result = import_readings(session, path, limits=settings_of(request).validation)
            else:
                result = import_profile(session, path, limits=settings_of(request).validation)
        except ImportFailed as exc:
            session.rollback()
            return render(request, v, "bo_import.html", {**context, "errors": exc.errors}, 400)
    audit.record(
        session,
        actor=v.login,
        action=f"{kind}_import",
        user_id=v.user_id,
        ip=v.ip,
        detail={"file": registry.filename, "result": str(result)},
    )
    return render(request, v, "bo_import.html", {**context, "result": result})


@router.get("/bulgular", response_class=HTMLResponse)
def findings(request: Request, v: Staff, session: DB, durum: str = "open") -> Response:
    rows = list_findings(session, state="resolved" if durum == "resolved" else "open")
    return render(
        request, v, "bo_findings.html", {"rows": rows, "state": durum, "section": "findings"}
    )


@router.post("/bulgular/{finding_id}", dependencies=[Csrf])
def resolve(v: Staff, session: DB, finding_id: int, resolution: Annotated[str, Form()]) -> Response:
    resolve_finding(session, finding_id, user=v.login, resolution=resolution.strip()[:2000])
    return RedirectResponse("/yonetim/bulgular", status_code=303)


@router.get("/duzeltmeler", response_class=HTMLResponse)
def edits(request: Request, v: Staff, session: DB) -> Response:
    return render(
        request, v, "bo_edits.html", {"rows": operations.edits(session), "section": "edits"}
    )


@router.post("/duzeltmeler", dependencies=[Csrf])
def edit(
    request: Request,
    v: Staff,
    session: DB,
    serial: Annotated[str, Form()],
    end_at: Annotated[str, Form()],
    obis: Annotated[str, Form()],
    value: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """An operator's correction of one interval (the MDM keeps the old version and audits)."""
    statuses = operations.meter_statuses(session, serial.strip())
    try:
        if not statuses:
            raise EditRefused(f"unknown meter {serial!r}")
        when = parse_local(end_at)
        amount = Decimal(value.strip().replace(",", "."))
        edit_interval(
            session,
            statuses[0].meter_id,
            when,
            {obis.strip(): amount},
            user=v.login,
            reason=reason,
            user_id=v.user_id,
        )
    except (EditRefused, ValueError, InvalidOperation) as exc:
        session.rollback()
        return render(
            request,
            v,
            "bo_edits.html",
            {
                "rows": operations.edits(session),
                "section": "edits",
                "error": str(exc),
                "form": {
                    "serial": serial,
                    "end_at": end_at,
                    "obis": obis,
                    "value": value,
                    "reason": reason,
                },
            },
            400,
        )
    return RedirectResponse("/yonetim/duzeltmeler", status_code=303)


@router.get("/basvurular", response_class=HTMLResponse)
def application_list(request: Request, v: Staff, session: DB, durum: str = "") -> Response:
    rows = applications.list_applications(session, durum or None)
    return render(
        request,
        v,
        "bo_applications.html",
        {"rows": rows, "state": durum, "section": "applications"},
    )


@router.get("/basvurular/{application_id}", response_class=HTMLResponse)
def application_detail(request: Request, v: Staff, session: DB, application_id: int) -> Response:
    a = applications.get_application(session, application_id)
    return render(request, v, "bo_application.html", {"a": a, "section": "applications"})


@router.post("/basvurular/{application_id}", dependencies=[Csrf])
def application_decide(
    request: Request,
    v: Staff,
    session: DB,
    application_id: int,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
) -> Response:
    base = str(request.base_url).rstrip("/")
    try:
        applications.decide(
            session,
            settings_of(request),
            application_id,
            decision=decision,
            operator=v.login,
            note=note or None,
            organisation=organisation or None,
            panel_url=base,
        )
    except (applications.ApplicationError, accounts.AccountError) as exc:
        session.rollback()
        a = applications.get_application(session, application_id)
        return render(
            request,
            v,
            "bo_application.html",
            {"a": a, "error": f"{v.t(exc.key)} ({exc})", "section": "applications"},
            400,
        )
    return RedirectResponse(f"/yonetim/basvurular/{application_id}", status_code=303)


@router.get("/belge/{document_id}")
def application_document(v: Staff, session: DB, document_id: int) -> Response:
    d = applications.document(session, document_id)
    audit.record(
        session,
        actor=v.login,
        action="view",
        object_type="document",
        object_id=document_id,
        user_id=v.user_id,
        ip=v.ip,
    )
    return FileResponse(d.path, media_type=d.content_type, filename=d.filename)


@router.get("/kullanicilar", response_class=HTMLResponse)
def users(request: Request, v: Staff, session: DB) -> Response:
    return render(
        request, v, "bo_users.html", {"rows": accounts.list_users(session), "section": "users"}
    )


@router.post("/kullanicilar/{login}/durum", dependencies=[Csrf])
def user_state(v: Admin, session: DB, login: str, active: Annotated[str, Form()]) -> Response:
    accounts.set_active(session, login, active == "1")
    audit.record(
        session,
        actor=v.login,
        action="user_enabled" if active == "1" else "user_disabled",
        object_type="user",
        object_id=login[:64],
        user_id=v.user_id,
        ip=v.ip,
    )
    return RedirectResponse("/yonetim/kullanicilar", status_code=303)


@router.get("/giden-posta", response_class=HTMLResponse)
def outbox_list(request: Request, v: Staff, session: DB) -> Response:
    return render(
        request, v, "bo_outbox.html", {"rows": outbox.recent(session), "section": "outbox"}
    )


@router.get("/denetim", response_class=HTMLResponse)
def audit_log(request: Request, v: Staff, session: DB, kim: str = "", sonuc: str = "") -> Response:
    rows = operations.audit_entries(session, actor=kim, outcome=sonuc)
    return render(
        request, v, "bo_audit.html", {"rows": rows, "kim": kim, "sonuc": sonuc, "section": "audit"}
    )


def _audit_table(rows: Iterable[operations.AuditRow], v: Viewer) -> Table:
    """The audit log as shown; a failed login's name is whatever was typed, so the file's
    text cells are neutralised like every export's."""
    headers = [v.t(k) for k in ("time", "actor", "action", "object", "outcome")]
    body: Iterator[list[Cell]] = (
        [
            When(a.at, formatting.local_datetime(a.at, True, v.language)),
            a.actor,
            a.action,
            f"{a.object_type or ''} {a.object_id or ''}".strip(),
            a.outcome,
            a.ip,
            a.detail,
        ]
        for a in rows
    )
    return Table(v.t("bo_audit"), [*headers, "IP", v.t("detail")], body, language=v.language)


@router.get("/denetim.{fmt}")
def audit_export(v: Staff, session: DB, fmt: str, kim: str = "", sonuc: str = "") -> Response:
    """The audit log as shown (same filters), for the regulator or an investigation."""
    if fmt not in exports.FORMATS:
        raise NotFound(fmt)
    rows = operations.audit_rows(session, actor=kim, outcome=sonuc, limit=AUDIT_EXPORT_ROWS)
    spooled = exports.spool(_audit_table(rows, v), fmt)
    audit.record(
        session,
        actor=v.login,
        action="export",
        object_type="audit_log",
        user_id=v.user_id,
        ip=v.ip,
        detail={"rows": spooled.rows, "format": fmt},
    )
    name = exports.safe_name("Denetim", local_date(db_now(session)).isoformat())
    return downloads.send(spooled, fmt, f"{name}.{fmt}")

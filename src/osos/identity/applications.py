"""Account applications (OSOS talep başvurusu): submit with documents, review, decide.

Approval creates the account with a random password nobody is told and mails a one-time
activation link through the outbox: the customer sets the password on first use, so neither
the mail nor an operator ever holds it. The document files live under ``OSOS_HOME/uploads``
and are checked by their bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import audit
from osos.domain import UserKind
from osos.errors import NotFound, OsosError
from osos.identity import outbox
from osos.identity.accounts import create_user
from osos.identity.sessions import ACTIVATION_VALID, create_reset_token
from osos.settings import Settings
from osos.store.db import now as db_now
from osos.store.models.web import AccountApplication, ApplicationDocument

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_DOCUMENTS = 5
KINDS = ("abone", "tedarikci", "kurumsal")
STATUSES = ("submitted", "more_info", "approved", "rejected")
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


class ApplicationError(OsosError):
    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(detail or key)
        self.key = key


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


@dataclass(frozen=True)
class DocumentView:
    id: int
    filename: str
    content_type: str
    size: int
    path: str


@dataclass(frozen=True)
class ApplicationView:
    id: int
    reference: str
    kind: str
    login: str
    service_point_nos: tuple[str, ...]
    company_name: str | None
    tax_no: str | None
    contact_name: str
    email: str
    phone: str | None
    note: str | None
    status: str
    operator_note: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    documents: tuple[DocumentView, ...]


def sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the first bytes, or None for anything else."""
    for magic, kind, ext in _MAGIC:
        if content.startswith(magic):
            return kind, ext
    return None


def _view(session: Session, a: AccountApplication) -> ApplicationView:
    docs = session.scalars(
        select(ApplicationDocument).where(ApplicationDocument.application_id == a.id)
    )
    return ApplicationView(
        a.id,
        a.reference,
        a.kind,
        a.login,
        tuple(n for n in a.service_point_nos.splitlines() if n.strip()),
        a.company_name,
        a.tax_no,
        a.contact_name,
        a.email,
        a.phone,
        a.note,
        a.status,
        a.operator_note,
        a.decided_by,
        a.decided_at,
        a.created_at,
        tuple(DocumentView(d.id, d.filename, d.content_type, d.size, d.stored_path) for d in docs),
    )


def _checked_fields(
    kind: str,
    login: str,
    service_point_nos: list[str],
    company_name: str | None,
    email: str,
    contact_name: str,
) -> tuple[str, str, list[str]]:
    """(login, e-mail, service point numbers) of a valid application; else ApplicationError."""
    if kind not in KINDS:
        raise ApplicationError("app_kind_invalid")
    email = email.strip().lower()
    if "@" not in email or len(email) > 200:
        raise ApplicationError("app_email_invalid")
    if not contact_name.strip():
        raise ApplicationError("app_contact_required")
    nos = [n.strip() for n in service_point_nos if n.strip()]
    if kind == "abone":
        if not nos and login.strip():
            nos = [login.strip()]
        if not nos:
            raise ApplicationError("app_service_point_required")
        return nos[0], email, nos
    if not (company_name or "").strip():
        raise ApplicationError("app_company_required")
    return email, email, nos


def _checked_documents(documents: list[Upload]) -> list[tuple[Upload, str, str]]:
    """Each document with its content type and extension, by its bytes; else ApplicationError."""
    documents = [d for d in documents if d.content]
    if not documents:
        raise ApplicationError("app_documents_required")
    if len(documents) > MAX_DOCUMENTS:
        raise ApplicationError("app_too_many_documents")
    checked: list[tuple[Upload, str, str]] = []
    for d in documents:
        if len(d.content) > MAX_DOCUMENT_BYTES:
            raise ApplicationError("app_document_too_large", d.filename)
        kind_ext = sniff(d.content)
        if kind_ext is None:
            raise ApplicationError("app_document_type", d.filename)
        checked.append((d, *kind_ext))
    return checked


def _keep_documents(
    session: Session,
    settings: Settings,
    app: AccountApplication,
    checked: list[tuple[Upload, str, str]],
) -> None:
    folder = settings.home / "uploads" / app.reference
    folder.mkdir(parents=True, exist_ok=True)
    for n, (d, content_type, ext) in enumerate(checked, start=1):
        path = folder / f"{n}.{ext}"
        path.write_bytes(d.content)
        session.add(
            ApplicationDocument(
                application_id=app.id,
                filename=Path(d.filename).name[:255] or f"{n}.{ext}",
                content_type=content_type,
                size=len(d.content),
                sha256=hashlib.sha256(d.content).hexdigest(),
                stored_path=str(path),
                uploaded_at=db_now(session),
            )
        )


def submit(
    session: Session,
    settings: Settings,
    *,
    kind: str,
    login: str,
    service_point_nos: list[str],
    company_name: str | None,
    tax_no: str | None,
    contact_name: str,
    email: str,
    phone: str | None,
    note: str | None,
    documents: list[Upload],
) -> ApplicationView:
    """Check and keep an application with its documents; every problem is an ApplicationError."""
    login, email, nos = _checked_fields(
        kind, login, service_point_nos, company_name, email, contact_name
    )
    checked = _checked_documents(documents)
    reference = f"BSV-{db_now(session):%Y%m%d}-{secrets.token_hex(3).upper()}"
    app = AccountApplication(
        reference=reference,
        kind=kind,
        login=login.strip()[:200],
        service_point_nos="\n".join(nos),
        company_name=(company_name or "").strip() or None,
        tax_no=(tax_no or "").strip() or None,
        contact_name=contact_name.strip()[:200],
        email=email,
        phone=(phone or "").strip()[:32] or None,
        note=(note or "").strip() or None,
        status="submitted",
        created_at=db_now(session),
    )
    session.add(app)
    session.flush()
    _keep_documents(session, settings, app, checked)
    audit.record(
        session,
        actor=email,
        action="application_submitted",
        object_type="application",
        object_id=reference,
    )
    session.flush()
    return _view(session, app)


def list_applications(session: Session, status: str | None = None) -> list[ApplicationView]:
    query = select(AccountApplication).order_by(AccountApplication.created_at.desc())
    if status:
        query = query.where(AccountApplication.status == status)
    return [_view(session, a) for a in session.scalars(query.limit(500))]


def get_application(session: Session, application_id: int) -> ApplicationView:
    a = session.get(AccountApplication, application_id)
    if a is None:
        raise NotFound(f"application {application_id}")
    return _view(session, a)


def document(session: Session, document_id: int) -> DocumentView:
    d = session.get(ApplicationDocument, document_id)
    if d is None:
        raise NotFound(f"document {document_id}")
    return DocumentView(d.id, d.filename, d.content_type, d.size, d.stored_path)


def _generated_password() -> str:
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return core + secrets.choice(string.digits) + secrets.choice("!#%+-")


def _approve(
    session: Session,
    settings: Settings,
    a: AccountApplication,
    panel_url: str,
    organisation: str | None,
) -> None:
    """Create the account (its random password is never shown) and mail the activation link."""
    user = create_user(
        session,
        kind=UserKind(a.kind),
        login=a.login,
        password=_generated_password(),
        service_point_nos=[n for n in a.service_point_nos.splitlines() if n.strip()],
        organisation=organisation or a.company_name if a.kind != "abone" else None,
        email=a.email,
        full_name=a.contact_name,
    )
    a.user_id = user.id
    issued = create_reset_token(session, user.login, valid=ACTIVATION_VALID)
    assert issued is not None  # the account was created active just now
    link = f"{panel_url}/sifre-sifirla/{issued[0]}"
    days = ACTIVATION_VALID.days
    outbox.queue(
        session,
        settings,
        to=a.email,
        subject="OSOS kullanıcı bilgileriniz / your OSOS login",
        body=(
            f"Başvurunuz ({a.reference}) onaylandı.\n\nKullanıcı adı: {user.login}\n\n"
            f"Şifrenizi belirlemek için bu bağlantıyı açın (tek kullanımlık, {days} gün "
            f"geçerli):\n{link}\n\nSonra buradan girin: {panel_url}/giris\n\n"
            f"Your application was approved. Set your password with the link above "
            f"(single use, valid {days} days).\n"
        ),
    )


ANSWERS = {
    "reject": "Başvurunuz reddedildi.\n\n{note}\n",
    "more_info": "Başvurunuz için ek bilgi/evrak gerekiyor:\n\n{note}\n",
}
STATUS_OF = {"approve": "approved", "reject": "rejected", "more_info": "more_info"}


def decide(
    session: Session,
    settings: Settings,
    application_id: int,
    *,
    decision: str,
    operator: str,
    note: str | None,
    organisation: str | None = None,
    panel_url: str = "",
) -> ApplicationView:
    """approve (creates the account and mails the credentials), reject, or ask for more."""
    a = session.get(AccountApplication, application_id)
    if a is None:
        raise NotFound(f"application {application_id}")
    if a.status in ("approved", "rejected"):
        raise ApplicationError("app_already_decided")
    if decision not in STATUS_OF:
        raise ApplicationError("app_decision_invalid")
    if decision == "approve":
        _approve(session, settings, a, panel_url, organisation)
    else:
        outbox.queue(
            session,
            settings,
            to=a.email,
            subject=f"OSOS başvurusu {a.reference}",
            body=ANSWERS[decision].format(note=note or ""),
        )
    a.status = STATUS_OF[decision]
    a.operator_note = note
    a.decided_by = operator
    a.decided_at = db_now(session)
    audit.record(
        session,
        actor=operator,
        action=f"application_{decision}",
        object_type="application",
        object_id=a.reference,
    )
    session.flush()
    return _view(session, a)

"""Customers' recorded consents (KVKK): data of a service point goes to an organisation outside
its supply only when the point's customer consented to that organisation and has not revoked it.

The back office records a consent from a signed form, the customer grants and revokes one in
the panel; a priced request outside the requester's portfolio is refused without one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.errors import AccessDenied, InvalidInput, NotFound
from osos.store.models import Organisation, ServicePoint
from osos.store.models.sharing import DataConsent

VIA = ("backoffice", "panel")


class ConsentMissing(AccessDenied):
    """A request for another customer's data without that customer's recorded consent."""


@dataclass(frozen=True)
class ConsentView:
    id: int
    service_point: str
    organisation: str
    granted_by: str
    recorded_via: str
    recorded_by: str
    note: str | None
    granted_at: dt.datetime
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _organisation_id(session: Session, name: str) -> int:
    org_id = session.scalar(select(Organisation.id).where(Organisation.name == name.strip()))
    if org_id is None:
        raise NotFound(f"no organisation named {name!r}")
    return org_id


def _point_id(session: Session, no: str) -> int:
    sp_id = session.scalar(select(ServicePoint.id).where(ServicePoint.no == no.strip()))
    if sp_id is None:
        raise NotFound(f"no service point {no!r}")
    return sp_id


def record_consent(
    session: Session,
    service_point_no: str,
    organisation: str,
    *,
    granted_by: str,
    via: str,
    recorded_by: str,
    at: dt.datetime,
    note: str = "",
) -> int:
    """Record that the customer of ``service_point_no`` lets ``organisation`` get its data."""
    if via not in VIA:
        raise InvalidInput(f"consent is recorded via {' or '.join(VIA)}, not {via!r}")
    if not granted_by.strip():
        raise InvalidInput("a consent names the customer who gave it")
    row = DataConsent(
        service_point_id=_point_id(session, service_point_no),
        organisation_id=_organisation_id(session, organisation),
        granted_by=granted_by.strip()[:200],
        recorded_via=via,
        recorded_by=recorded_by[:200],
        note=note.strip() or None,
        granted_at=at,
    )
    session.add(row)
    session.flush()
    return row.id


def revoke_consent(
    session: Session,
    consent_id: int,
    *,
    at: dt.datetime,
    service_point_ids: Collection[int] | None = None,
) -> None:
    """Revoke a consent from now on; ``service_point_ids`` bounds a customer to its own points
    (another's consent is NotFound, as if it did not exist)."""
    row = session.get(DataConsent, consent_id)
    if row is None or (
        service_point_ids is not None and row.service_point_id not in service_point_ids
    ):
        raise NotFound(f"no consent {consent_id}")
    if row.revoked_at is None:
        row.revoked_at = at


def has_consent(
    session: Session, service_point_id: int, organisation_id: int, at: dt.datetime
) -> bool:
    found = session.scalar(
        select(DataConsent.id)
        .where(
            DataConsent.service_point_id == service_point_id,
            DataConsent.organisation_id == organisation_id,
            DataConsent.granted_at <= at,
            (DataConsent.revoked_at.is_(None)) | (DataConsent.revoked_at > at),
        )
        .limit(1)
    )
    return found is not None


def require_consent(
    session: Session, service_point_id: int, organisation_id: int | None, at: dt.datetime
) -> None:
    """Refuse (with the reason) another customer's data without its recorded consent."""
    if organisation_id is not None and has_consent(session, service_point_id, organisation_id, at):
        return
    no = session.scalar(select(ServicePoint.no).where(ServicePoint.id == service_point_id))
    raise ConsentMissing(
        f"KVKK: the customer of service point {no} has not consented to share its data "
        "with your organisation; ask the customer to grant it in the panel or send the "
        "signed consent form to the distribution company"
    )


def list_consents(
    session: Session, service_point_ids: Collection[int] | None = None
) -> list[ConsentView]:
    """Every consent, newest first; ``service_point_ids`` bounds it to a customer's points."""
    query = (
        select(DataConsent, ServicePoint.no, Organisation.name)
        .join(ServicePoint, ServicePoint.id == DataConsent.service_point_id)
        .join(Organisation, Organisation.id == DataConsent.organisation_id)
        .order_by(DataConsent.id.desc())
    )
    if service_point_ids is not None:
        query = query.where(DataConsent.service_point_id.in_(list(service_point_ids)))
    return [
        ConsentView(
            c.id,
            no,
            org,
            c.granted_by,
            c.recorded_via,
            c.recorded_by,
            c.note,
            c.granted_at,
            c.revoked_at,
        )
        for c, no, org in session.execute(query).all()
    ]

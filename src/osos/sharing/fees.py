"""The fee table and the fee report for the regulator, and the invoice of a priced request.

Fees change from a date on (``fee_schedule``); a request keeps the fee in force when it was
recorded. A fulfilled request is invoiced once, with the number of the company's invoice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import FeeReason
from osos.errors import Conflict, InvalidInput
from osos.sharing.requests import get_request, set_fee
from osos.store.db import now as db_now
from osos.store.models import Organisation, ServicePoint
from osos.store.models.sharing import DataRequest, FeeSchedule
from osos.timeutil import local_iso, month_bounds

CHARGED = ("approved", "fulfilled", "invoiced")


@dataclass(frozen=True)
class FeeEntry:
    reason: str
    amount: Decimal
    valid_from: dt.datetime
    justification: str | None


def list_fees(session: Session) -> list[FeeEntry]:
    """The fee table, newest first per reason."""
    rows = session.scalars(
        select(FeeSchedule).order_by(FeeSchedule.reason, FeeSchedule.valid_from.desc())
    )
    return [FeeEntry(r.reason, r.amount, r.valid_from, r.justification) for r in rows]


def change_fee(
    session: Session, reason: str, amount: Decimal, *, valid_from: dt.datetime, justification: str
) -> None:
    """A new fee from now or later (never back-dated: recorded requests keep theirs)."""
    if reason not in set(FeeReason):
        raise InvalidInput(f"unknown fee reason {reason!r}")
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(f"not an amount: {amount}")
    if not justification.strip():
        raise InvalidInput("a fee needs its justification (reported to the regulator)")
    if valid_from < db_now(session):
        raise InvalidInput("a fee takes effect from now or later, never in the past")
    set_fee(session, reason, amount, valid_from=valid_from, justification=justification.strip())


def invoice_request(session: Session, request_id: int, *, invoice_no: str, at: dt.datetime) -> None:
    """Record the invoice of a fulfilled request (once)."""
    row = get_request(session, request_id)
    if row.status != "fulfilled":
        raise Conflict(f"request {request_id} is {row.status}, not fulfilled")
    if not invoice_no.strip():
        raise InvalidInput("an invoice needs its number")
    row.invoice_no, row.invoiced_at, row.status = invoice_no.strip()[:64], at, "invoiced"


@dataclass(frozen=True)
class FeeLine:
    request_id: int
    date: str
    requester: str
    organisation: str | None
    service_point: str
    reason: str
    justification: str | None
    fee: Decimal
    status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "date": self.date,
            "requester": self.requester,
            "organisation": self.organisation,
            "service_point": self.service_point,
            "reason": self.reason,
            "justification": self.justification,
            "fee": str(self.fee),
            "status": self.status,
        }


def fee_report(session: Session, period: str) -> list[FeeLine]:
    """Fees charged in a month (approved, fulfilled or invoiced requests), each with its reason: the
    periodic report to the regulator."""
    start, end = month_bounds(period)
    rows = session.execute(
        select(DataRequest, Organisation.name, ServicePoint.no)
        .outerjoin(Organisation, Organisation.id == DataRequest.organisation_id)
        .join(ServicePoint, ServicePoint.id == DataRequest.service_point_id)
        .where(
            DataRequest.created_at >= start,
            DataRequest.created_at < end,
            DataRequest.status.in_(CHARGED),
        )
        .order_by(DataRequest.created_at, DataRequest.id)
    ).all()
    return [
        FeeLine(
            r.id,
            (local_iso(r.created_at) or "")[:10],
            r.requester,
            org,
            no,
            r.reason,
            r.justification,
            r.fee,
            r.status,
        )
        for r, org, no in rows
    ]

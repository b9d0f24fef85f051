"""Priced requests for data outside the plan, and the fee report for the regulator.

Consumers and suppliers get the data of their plan free of charge. Another period, another
resolution, a meter outside the portfolio, or water/gas/heat meter data for those utilities is
recorded, priced from the fee table (``fee_schedule``, else the configured defaults), approved
in the back office, fulfilled as a file (xlsx or csv), and reported with each fee's reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import exports
from osos.domain import FeeReason, MeterKind
from osos.errors import Conflict, InvalidInput, NotFound
from osos.exports import Cell, Column, Table, When
from osos.readmodel.access import Principal, Sight, Window, covered, grant, supply_windows
from osos.readmodel.intervals import IntervalSource, service_point_intervals
from osos.readmodel.points import service_point_id
from osos.readmodel.readouts import ReadoutLine, readouts
from osos.settings import SharingConfig
from osos.store.models import Installation, Meter, Organisation, ServicePoint
from osos.store.models.sharing import DataRequest, FeeSchedule
from osos.timeutil import local_iso, month_bounds

JUSTIFICATIONS: dict[str, str] = {
    FeeReason.OTHER_PERIOD: "Plan dışı dönem: arşivden ek sorgu ve dosya hazırlama maliyeti",
    FeeReason.OTHER_RESOLUTION: "Plan dışı çözünürlük: ek hesaplama ve dosya hazırlama maliyeti",
    FeeReason.OUTSIDE_PORTFOLIO: "Portföy dışı sayaç: ek okuma ve doğrulama maliyeti",
    FeeReason.UTILITY_METER: "Su/gaz/ısı sayacı verisi: OSOS altyapı kullanım bedeli",
}
PLAN_MINUTES = (15, 60)  # the resolutions of the free plan (load profile, settlement period)
FORMATS = ("xlsx", "csv")
INTERVAL_HEADERS = (
    Column("Başlangıç"),
    Column("Bitiş"),
    *(Column(name, 3) for name in ("Çekiş (kWh)", "Veriş (kWh)")),
    Column("Kaynak"),
)


def classify(
    *,
    visible: bool,
    windows: list[Window],
    start: dt.datetime,
    end: dt.datetime,
    minutes: int,
    meter_kind: MeterKind,
) -> str | None:
    """Why a request is outside the free plan (a fee reason), or None when it is inside."""
    if meter_kind is not MeterKind.ELECTRICITY:
        return FeeReason.UTILITY_METER
    if not visible:
        return FeeReason.OUTSIDE_PORTFOLIO
    if covered(windows, start, end) < end - start:
        return FeeReason.OTHER_PERIOD
    if minutes not in PLAN_MINUTES:
        return FeeReason.OTHER_RESOLUTION
    return None


def fee_for(
    session: Session, reason: str, at: dt.datetime, config: SharingConfig
) -> tuple[Decimal, str]:
    """The fee and its justification in force at ``at``: the fee table, else the defaults."""
    row = session.scalars(
        select(FeeSchedule)
        .where(FeeSchedule.reason == reason, FeeSchedule.valid_from <= at)
        .order_by(FeeSchedule.valid_from.desc())
        .limit(1)
    ).first()
    if row is not None:
        return row.amount, row.justification or JUSTIFICATIONS.get(reason, reason)
    return config.fee(reason), JUSTIFICATIONS.get(reason, reason)


def set_fee(
    session: Session, reason: str, amount: Decimal, *, valid_from: dt.datetime, justification: str
) -> None:
    """A new fee for ``reason`` from ``valid_from`` (earlier fees stay for earlier requests)."""
    session.add(
        FeeSchedule(
            reason=reason, amount=amount, valid_from=valid_from, justification=justification
        )
    )


def meter_kind_of(session: Session, service_point_id: int, at: dt.datetime) -> MeterKind:
    kind = session.scalar(
        select(Meter.kind)
        .join(Installation, Installation.meter_id == Meter.id)
        .where(Installation.service_point_id == service_point_id, Installation.installed_at <= at)
        .order_by(Installation.installed_at.desc())
        .limit(1)
    )
    return kind or MeterKind.ELECTRICITY


@dataclass(frozen=True)
class RequestView:
    id: int
    service_point: str
    reason: str
    fee: Decimal
    currency: str
    status: str
    start: dt.datetime
    end: dt.datetime
    minutes: int
    file_format: str
    justification: str | None
    requester: str
    created_at: dt.datetime
    file_name: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service_point": self.service_point,
            "reason": self.reason,
            "fee": str(self.fee),
            "currency": self.currency,
            "status": self.status,
            "start": local_iso(self.start),
            "end": local_iso(self.end),
            "minutes": self.minutes,
            "format": self.file_format,
            "justification": self.justification,
            "requester": self.requester,
            "created_at": local_iso(self.created_at),
            "file_name": self.file_name,
        }


def _view(session: Session, row: DataRequest, config: SharingConfig) -> RequestView:
    no = session.scalar(select(ServicePoint.no).where(ServicePoint.id == row.service_point_id))
    return RequestView(
        row.id,
        no or "",
        row.reason,
        row.fee,
        config.currency,
        row.status,
        row.start,
        row.end,
        row.minutes,
        row.file_format,
        row.justification,
        row.requester,
        row.created_at,
        row.file_name,
    )


def record_request(
    session: Session,
    *,
    service_point_id: int,
    reason: str,
    requester: str,
    organisation_id: int | None,
    start: dt.datetime,
    end: dt.datetime,
    minutes: int,
    file_format: str,
    at: dt.datetime,
    config: SharingConfig,
) -> RequestView:
    """Record and price a request outside the plan; it waits for approval."""
    if file_format not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, got {file_format!r}")
    if end <= start:
        raise InvalidInput("the end must be after the start")
    fee, justification = fee_for(session, reason, at, config)
    row = DataRequest(
        organisation_id=organisation_id,
        requester=requester,
        reason=reason,
        service_point_id=service_point_id,
        start=start,
        end=end,
        minutes=minutes,
        file_format=file_format,
        fee=fee,
        justification=justification,
        status="recorded",
        created_at=at,
    )
    session.add(row)
    session.flush()
    return _view(session, row, config)


def _request(session: Session, request_id: int) -> DataRequest:
    row = session.get(DataRequest, request_id)
    if row is None:
        raise NotFound(f"no data request {request_id}")
    return row


def decide_request(
    session: Session, request_id: int, *, approve: bool, by: str, at: dt.datetime
) -> None:
    """Back office: approve (the fee is due) or reject a recorded request."""
    row = _request(session, request_id)
    if row.status != "recorded":
        raise Conflict(f"request {request_id} is already {row.status}")
    row.status = "approved" if approve else "rejected"
    row.decided_by, row.decided_at = by, at


def ask(
    session: Session,
    principal: Principal,
    no: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    minutes: int,
    file_format: str,
    requester: str,
    at: dt.datetime,
    config: SharingConfig,
) -> RequestView | None:
    """A market participant's request for the data of ``no``: None when it is inside the free
    plan (the GET endpoints give it), else recorded and priced; NotFound for an unknown point."""
    sp_id = service_point_id(session, no)
    if sp_id is None:
        raise NotFound(f"service point {no!r} not found")
    windows = supply_windows(session, principal, sp_id)
    reason = classify(
        visible=bool(windows),
        windows=windows,
        start=start,
        end=end,
        minutes=minutes,
        meter_kind=meter_kind_of(session, sp_id, end),
    )
    if reason is None:
        return None
    return record_request(
        session,
        service_point_id=sp_id,
        reason=reason,
        requester=requester,
        organisation_id=principal.organisation_id,
        start=start,
        end=end,
        minutes=minutes,
        file_format=file_format,
        at=at,
        config=config,
    )


def _value(line: ReadoutLine) -> Cell:
    return line.quantity if line.quantity is not None else line.value


def _readout_table(session: Session, sight: Sight, row: DataRequest) -> Table:
    """The readouts of the paid range: only the meters' values while installed at the point."""
    body: list[list[Cell]] = [
        [When(r.read_at), line.obis, _value(line), line.unit]
        for r in readouts(session, sight, row.start, row.end)
        for line in sorted(r.lines, key=lambda line: line.obis)
    ]
    headers = ["Okuma zamanı", "OBIS", "Değer", "Birim"]
    return Table("Veri", headers, body, banner=False)


def _interval_table(
    session: Session, sight: Sight, row: DataRequest, source: IntervalSource
) -> Table:
    intervals = source(session, sight.point.id, row.start, row.end, row.minutes)
    body: list[list[Cell]] = [
        [
            When(i.start),
            When(i.end),
            i.withdrawal_kwh if i.source != "missing" else None,
            i.supply_kwh if i.source != "missing" else None,
            i.source,
        ]
        for i in intervals
    ]
    return Table("Veri", INTERVAL_HEADERS, body, banner=False)


def request_table(session: Session, row: DataRequest, source: IntervalSource) -> Table:
    """What a paid file holds: what the request granted, of the point's own meters."""
    sight = grant(session, row.service_point_id, row.start, row.end)
    if row.reason == FeeReason.UTILITY_METER:
        return _readout_table(session, sight, row)
    return _interval_table(session, sight, row, source)


def fulfil_request(
    session: Session,
    request_id: int,
    *,
    at: dt.datetime,
    source: IntervalSource | None = None,
) -> str:
    """Build the file of an approved request and keep it for download; returns its name."""
    row = _request(session, request_id)
    if row.status != "approved":
        raise Conflict(f"request {request_id} is {row.status}, not approved")
    table = request_table(session, row, source or service_point_intervals)
    no = session.scalar(select(ServicePoint.no).where(ServicePoint.id == row.service_point_id))
    spooled = exports.spool(table, row.file_format)
    row.file_content = b"".join(spooled.chunks())
    row.file_name = (
        f"osos-talep-{row.id}-{no}-{local_iso(row.start)}-{row.minutes}dk.{row.file_format}"
    ).replace(":", "")
    row.status, row.fulfilled_at = "fulfilled", at
    return row.file_name


def list_requests(
    session: Session, config: SharingConfig, organisation_id: int | None = None
) -> list[RequestView]:
    query = select(DataRequest).order_by(DataRequest.id)
    if organisation_id is not None:
        query = query.where(DataRequest.organisation_id == organisation_id)
    return [_view(session, row, config) for row in session.scalars(query)]


def request_file(
    session: Session, request_id: int, organisation_id: int | None
) -> tuple[str, bytes]:
    """The fulfilled file of a request; NotFound for another organisation's request."""
    row = session.get(DataRequest, request_id)
    if row is None or (organisation_id is not None and row.organisation_id != organisation_id):
        raise NotFound(f"no data request {request_id}")
    if row.file_content is None or row.file_name is None:
        raise NotFound(f"request {request_id} is {row.status}: no file yet")
    return row.file_name, row.file_content


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
    """Fees charged in a month (approved or fulfilled requests), each with its reason: the
    periodic report to the regulator."""
    start, end = month_bounds(period)
    rows = session.execute(
        select(DataRequest, Organisation.name, ServicePoint.no)
        .outerjoin(Organisation, Organisation.id == DataRequest.organisation_id)
        .join(ServicePoint, ServicePoint.id == DataRequest.service_point_id)
        .where(
            DataRequest.created_at >= start,
            DataRequest.created_at < end,
            DataRequest.status.in_(("approved", "fulfilled")),
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

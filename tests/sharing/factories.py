"""Small builders for the registry rows the sharing and scope tests need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from osos.channels import to_milli
from osos.domain import CommMode, MeterKind, OrganisationKind
from osos.store.models import (
    Installation,
    Meter,
    Organisation,
    ServicePoint,
    SupplyPeriod,
    profile_intervals,
)

SINCE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def organisation(session: Session, name: str, kind: OrganisationKind) -> Organisation:
    org = Organisation(name=name, kind=kind)
    session.add(org)
    session.flush()
    return org


def service_point(
    session: Session,
    no: str,
    *,
    comm_mode: CommMode | None = CommMode.DIAL_OUT,
    host: str | None = None,
    port: int | None = None,
    ct: Decimal = Decimal(1),
    meter_kind: MeterKind = MeterKind.ELECTRICITY,
    **fields: Any,
) -> ServicePoint:
    """A service point; with ``comm_mode`` also a meter installed there since 2025."""
    sp = ServicePoint(no=no, **fields)
    session.add(sp)
    session.flush()
    if comm_mode is not None:
        meter = Meter(
            serial=f"M{no}", flag="MSY", comm_mode=comm_mode, host=host, port=port, kind=meter_kind
        )
        session.add(meter)
        session.flush()
        session.add(
            Installation(
                meter_id=meter.id,
                service_point_id=sp.id,
                installed_at=SINCE,
                ct_ratio=ct,
                vt_ratio=Decimal(1),
            )
        )
        session.flush()
    return sp


def meter_id(session: Session, sp: ServicePoint) -> int:
    session.refresh(sp)
    return sp.installations[0].meter_id


def index_rows(session: Session, meter: int, points: list[tuple[dt.datetime, Decimal]]) -> None:
    """1.8.0 indexes at the given interval ends."""
    session.execute(
        insert(profile_intervals),
        [{"meter_id": meter, "end_at": at, "r1_8_0": to_milli(v)} for at, v in points],
    )


def supply(
    session: Session,
    sp: ServicePoint,
    supplier: Organisation,
    start: dt.datetime,
    end: dt.datetime | None,
) -> None:
    session.add(
        SupplyPeriod(
            service_point_id=sp.id, supplier_id=supplier.id, valid_from=start, valid_to=end
        )
    )
    session.flush()

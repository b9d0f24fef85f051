"""Service points as every screen, file and API shows them: the header with the current meter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.store.models import Installation, Meter, ServicePoint


@dataclass(frozen=True)
class ServicePointView:
    """The meter header every screen shows, plus what the screens need to compute limits."""

    id: int
    no: str
    title: str | None
    etso_code: str | None
    region: str | None
    center: str | None
    district: str | None
    meter_serial: str | None
    flag: str | None
    meter_id: int | None
    multiplier: Decimal | None
    installed_power_kva: Decimal | None
    contract_power_kw: Decimal | None
    tariff_group: str | None
    customer_organisation_id: int | None


def view_of(
    sp: ServicePoint, installation: Installation | None, meter: Meter | None
) -> ServicePointView:
    """The frozen header of a service point and its current installation (when it has one)."""
    return ServicePointView(
        id=sp.id,
        no=sp.no,
        title=sp.title,
        etso_code=sp.etso_code,
        region=sp.region,
        center=sp.center,
        district=sp.district,
        meter_serial=meter.serial if meter else None,
        flag=meter.flag if meter else None,
        meter_id=meter.id if meter else None,
        multiplier=installation.multiplier if installation else None,
        installed_power_kva=sp.installed_power_kva,
        contract_power_kw=sp.contract_power_kw,
        tariff_group=sp.tariff_group.value if sp.tariff_group else None,
        customer_organisation_id=sp.customer_organisation_id,
    )


def service_point_view(session: Session, service_point_id: int) -> ServicePointView | None:
    """The header of a service point with its current meter (the latest installation)."""
    sp = session.get(ServicePoint, service_point_id)
    if sp is None:
        return None
    row = session.execute(
        select(Installation, Meter)
        .join(Meter, Meter.id == Installation.meter_id)
        .where(Installation.service_point_id == sp.id)
        .order_by(Installation.installed_at.desc())
        .limit(1)
    ).first()
    installation, meter = (row[0], row[1]) if row else (None, None)
    return view_of(sp, installation, meter)


def service_point_views(session: Session, ids: Iterable[int]) -> list[ServicePointView]:
    """The headers of these service points, by number."""
    views = [v for v in (service_point_view(session, i) for i in sorted(set(ids))) if v]
    return sorted(views, key=lambda v: v.no)


def service_point_id(session: Session, no: str) -> int | None:
    found: int | None = session.scalar(select(ServicePoint.id).where(ServicePoint.no == no.strip()))
    return found


def service_point_nos(session: Session, ids: Iterable[int]) -> list[str]:
    return list(session.scalars(select(ServicePoint.no).where(ServicePoint.id.in_(list(ids)))))

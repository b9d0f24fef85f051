"""Who may see which service point, and for which dates: one answer for the panel and the API.

A service point the caller may not see is answered exactly like one that does not exist
(``NotFound``), so that no one learns which installation numbers are real.

A readout inside a supplier's dates still carries the frozen values of earlier billing periods
(``1.8.0*1``, ``1.6.0*2``, ``0.1.2*n``); :func:`within_supply` drops those whose period ended
before the supply began, for every screen, export and API that shows readout values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from osos.domain import OrganisationKind, UserKind
from osos.errors import NotFound
from osos.obis import base_obis, billing_period
from osos.protocol.iec62056_21.errors import TimestampError
from osos.protocol.iec62056_21.timestamps import parse_timestamp
from osos.store.models import (
    Installation,
    Meter,
    Organisation,
    ServicePoint,
    SupplyPeriod,
    user_service_points,
)
from osos.timeutil import UTC, month_start_before

UNBOUNDED_START = dt.datetime(1900, 1, 1, tzinfo=UTC)
"""Start of the one window of everyone who sees a service point without a supply period."""

Window = tuple[dt.datetime, dt.datetime | None]


@dataclass(frozen=True)
class Principal:
    """The caller: a panel user (by kind) or an API token (``kind="api"``, by organisation)."""

    kind: UserKind | Literal["api"]
    user_id: int | None
    organisation_id: int | None
    login: str

    @property
    def is_staff(self) -> bool:
        return self.kind in (UserKind.OPERATOR, UserKind.ADMIN)


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


def _organisation_kind(session: Session, organisation_id: int | None) -> OrganisationKind | None:
    if organisation_id is None:
        return None
    return session.scalar(select(Organisation.kind).where(Organisation.id == organisation_id))


def _effective_kind(session: Session, principal: Principal) -> UserKind | None:
    """The access rule that applies; an API token acts as the kind of its organisation."""
    if principal.kind != "api":
        return UserKind(principal.kind)
    org_kind = _organisation_kind(session, principal.organisation_id)
    if org_kind is OrganisationKind.SUPPLIER:
        return UserKind.TEDARIKCI
    if org_kind in (OrganisationKind.CORPORATE, OrganisationKind.OSB):
        return UserKind.KURUMSAL
    if org_kind in (OrganisationKind.DISTRIBUTION, OrganisationKind.MARKET_OPERATOR):
        return UserKind.OPERATOR
    return None


def allowed_service_point_ids(
    session: Session, principal: Principal, at: dt.datetime | None = None
) -> set[int]:
    """Service points the principal may see; for a supplier, those supplied at ``at`` if given."""
    kind = _effective_kind(session, principal)
    if kind in (UserKind.OPERATOR, UserKind.ADMIN):
        return set(session.scalars(select(ServicePoint.id)))
    if kind is UserKind.ABONE:
        if principal.user_id is None:
            return set()
        return set(
            session.scalars(
                select(user_service_points.c.service_point_id).where(
                    user_service_points.c.user_id == principal.user_id
                )
            )
        )
    if principal.organisation_id is None:
        return set()
    if kind is UserKind.TEDARIKCI:
        query = select(SupplyPeriod.service_point_id).where(
            SupplyPeriod.supplier_id == principal.organisation_id
        )
        if at is not None:
            query = query.where(
                SupplyPeriod.valid_from <= at,
                or_(SupplyPeriod.valid_to.is_(None), SupplyPeriod.valid_to > at),
            )
        return set(session.scalars(query))
    if kind is UserKind.KURUMSAL:
        return set(
            session.scalars(
                select(ServicePoint.id).where(
                    or_(
                        ServicePoint.customer_organisation_id == principal.organisation_id,
                        ServicePoint.osb_organisation_id == principal.organisation_id,
                    )
                )
            )
        )
    return set()


def supply_windows(session: Session, principal: Principal, service_point_id: int) -> list[Window]:
    """The periods the principal may see data of; empty when it may not see the point at all."""
    kind = _effective_kind(session, principal)
    if kind is UserKind.TEDARIKCI:
        rows = session.execute(
            select(SupplyPeriod.valid_from, SupplyPeriod.valid_to)
            .where(
                SupplyPeriod.supplier_id == principal.organisation_id,
                SupplyPeriod.service_point_id == service_point_id,
            )
            .order_by(SupplyPeriod.valid_from)
        ).all()
        return [(row[0], row[1]) for row in rows]
    if service_point_id in allowed_service_point_ids(session, principal):
        return [(UNBOUNDED_START, None)]
    return []


def clip_range(
    windows: list[Window], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) inside the windows, in order; empty when none overlaps."""
    parts: list[tuple[dt.datetime, dt.datetime]] = []
    for w_start, w_end in sorted(windows, key=lambda w: w[0]):
        lo = max(start, w_start)
        hi = end if w_end is None else min(end, w_end)
        if lo < hi:
            parts.append((lo, hi))
    return parts


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


def require_service_point(session: Session, principal: Principal, no: str) -> ServicePointView:
    """The service point by number, or ``NotFound`` — also when the principal may not see it."""
    sp_id = session.scalar(select(ServicePoint.id).where(ServicePoint.no == no.strip()))
    if sp_id is None or not supply_windows(session, principal, sp_id):
        raise NotFound(f"service point {no!r} not found")
    view = service_point_view(session, sp_id)
    if view is None:  # deleted between the two queries
        raise NotFound(f"service point {no!r} not found")
    return view


RESET_TIME = "0.1.2"
"""The register whose ``*n`` value is the time of the n-th last billing reset."""


class RegisterValue(Protocol):
    """One value of a readout, as the panel's lines and the API's rows both carry it."""

    @property
    def obis(self) -> str: ...

    @property
    def value(self) -> str: ...

    @property
    def value_time(self) -> dt.datetime | None: ...


V = TypeVar("V", bound=RegisterValue)


def reset_times(values: Iterable[RegisterValue]) -> dict[int, dt.datetime]:
    """The billing resets a readout states (``0.1.2*n``): n → when, UTC."""
    found: dict[int, dt.datetime] = {}
    for v in values:
        n = billing_period(v.obis)
        if n is None or base_obis(v.obis) != RESET_TIME:
            continue
        when = v.value_time
        if when is None:  # most meters write the reset time as the value itself
            try:
                when = parse_timestamp(v.value)
            except TimestampError:
                continue
        if when is not None:
            found[n] = when.astimezone(UTC)
    return found


def billing_period_end(n: int, read_at: dt.datetime, resets: dict[int, dt.datetime]) -> dt.datetime:
    """When the period of ``*n`` values ended: the reset the meter states, else the local month
    start ``n - 1`` months before the read (Turkish meters reset at 00:00 on day 1)."""
    return resets.get(n) or month_start_before(read_at, n - 1)


def within_supply(values: Sequence[V], read_at: dt.datetime, windows: Sequence[Window]) -> list[V]:
    """The values of one readout (taken at ``read_at``) whose period the windows cover.

    Current values follow the readout (the caller checks ``read_at``); a frozen value ``*n`` is
    kept only when its billing period ended inside a window, and the time the meter stamped on
    it (a freeze time, or the peak of a demand register) lies inside one too — a supplier does
    not see the months, nor a peak, before it supplied the point. With the unbounded window of
    a subscriber, all stay.
    """
    resets = reset_times(values)

    def covered(at: dt.datetime) -> bool:
        return any(lo < at and (hi is None or at <= hi) for lo, hi in windows)

    kept: list[V] = []
    for v in values:
        n = billing_period(v.obis)
        if n is None or (
            covered(billing_period_end(n, read_at, resets))
            and (v.value_time is None or covered(v.value_time))
        ):
            kept.append(v)
    return kept

"""Demo accounts on the demo registry: one of each kind, with known passwords (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.domain import OrganisationKind, UserKind
from osos.identity.accounts import create_user
from osos.store.models import Installation, Organisation, ServicePoint, SupplyPeriod, User


@dataclass(frozen=True)
class DemoLogin:
    kind: UserKind
    login: str
    password: str
    note: str
    role: str = ""  # set where one kind has two demo logins: "utility" (a Tedarikçi login)

    @property
    def key(self) -> str:
        """What tells this demo login from the others: its role, else its kind."""
        return self.role or self.kind.value


def _first_metered_point(session: Session) -> ServicePoint | None:
    return session.scalar(
        select(ServicePoint)
        .join(Installation, Installation.service_point_id == ServicePoint.id)
        .order_by(ServicePoint.no)
        .limit(1)
    )


def _busiest_organisation(session: Session, kind: OrganisationKind) -> Organisation | None:
    """The organisation of ``kind`` with the most service points (a good demo)."""
    if kind in (OrganisationKind.SUPPLIER, OrganisationKind.UTILITY):  # supplies its points
        count = (
            select(SupplyPeriod.supplier_id.label("org"), func.count().label("n"))
            .group_by(SupplyPeriod.supplier_id)
            .subquery()
        )
    else:
        count = (
            select(ServicePoint.customer_organisation_id.label("org"), func.count().label("n"))
            .group_by(ServicePoint.customer_organisation_id)
            .subquery()
        )
    return session.scalar(
        select(Organisation)
        .join(count, count.c.org == Organisation.id)
        .where(Organisation.kind == kind)
        .order_by(count.c.n.desc(), Organisation.name)
        .limit(1)
    )


@dataclass(frozen=True)
class _Wanted:
    login: DemoLogin
    service_point_nos: tuple[str, ...] = ()
    organisation: str | None = None
    full_name: str | None = None


def ensure_demo_users(session: Session) -> list[DemoLogin]:
    """One account of each kind on the registry's data; existing demo accounts are kept."""
    wanted: list[_Wanted] = []
    sp = _first_metered_point(session)
    if sp is not None:
        note = f"hizmet noktası {sp.no}"
        demo = DemoLogin(UserKind.ABONE, sp.no, "Demo2026!abone", note)
        wanted.append(_Wanted(demo, (sp.no,), full_name=sp.title))
    supplier = _busiest_organisation(session, OrganisationKind.SUPPLIER)
    if supplier is not None:
        demo = DemoLogin(
            UserKind.TEDARIKCI, "tedarikci.demo@osos.local", "Demo2026!tedarik", supplier.name
        )
        wanted.append(_Wanted(demo, organisation=supplier.name))
    utility = _busiest_organisation(session, OrganisationKind.UTILITY)
    if utility is not None:  # a water, gas or heat company logs in as a Tedarikçi: its meters
        demo = DemoLogin(
            UserKind.TEDARIKCI, "su.demo@osos.local", "Demo2026!suidaresi", utility.name, "utility"
        )
        wanted.append(_Wanted(demo, organisation=utility.name))
    corporate = _busiest_organisation(session, OrganisationKind.CORPORATE)
    if corporate is not None:
        demo = DemoLogin(
            UserKind.KURUMSAL, "kurumsal.demo@osos.local", "Demo2026!kurumsal", corporate.name
        )
        wanted.append(_Wanted(demo, organisation=corporate.name))
    wanted.append(
        _Wanted(
            DemoLogin(
                UserKind.OPERATOR, "operator.demo@osos.local", "Demo2026!isletme", "back office"
            )
        )
    )
    wanted.append(
        _Wanted(
            DemoLogin(UserKind.ADMIN, "admin.demo@osos.local", "Demo2026!yonetici", "back office")
        )
    )
    for w in wanted:
        if session.scalar(select(User.id).where(User.login == w.login.login)) is None:
            create_user(
                session,
                kind=w.login.kind,
                login=w.login.login,
                password=w.login.password,
                service_point_nos=w.service_point_nos,
                organisation=w.organisation,
                full_name=w.full_name,
            )
    session.flush()
    return [w.login for w in wanted]

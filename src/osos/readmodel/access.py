"""Who may see which service point, and for which dates: one answer for the panel, the API and
the paid files.

A subscriber sees its own service points, a supplier those it supplies for the dates it supplies
them, a corporate user (or an OSB) its organisation's, the distribution company's staff every
one, and the market operator only the service points that are in OSOS. An API token acts as the
kind of its organisation. A service point the caller may not see is answered exactly like one
that does not exist (:class:`NotVisible`, a ``NotFound``), so that no one learns which
installation numbers are real.

What a caller may see of one service point is a :class:`Sight`: the point's header and the
windows of time it may see. Every read of the read model takes a sight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from osos.domain import OrganisationKind, UserKind
from osos.errors import NotFound
from osos.readmodel.points import ServicePointView, service_point_id, service_point_view
from osos.scope.service import in_osos_ids
from osos.store.db import now as db_now
from osos.store.models import Organisation, ServicePoint, SupplyPeriod, user_service_points
from osos.timeutil import UTC

UNBOUNDED_START = dt.datetime(1900, 1, 1, tzinfo=UTC)
"""Start of the one window of everyone who sees a service point without a supply period."""

Window = tuple[dt.datetime, dt.datetime | None]


class NotVisible(NotFound):
    """Not there, or not for this caller; ``detail`` says what was asked (for the audit)."""

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.detail: dict[str, Any] = detail


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
class Sight:
    """What one caller may see of one service point: its header and the windows of time."""

    point: ServicePointView
    windows: tuple[Window, ...] = field(default=((UNBOUNDED_START, None),))

    def parts(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """The parts of [start, end) inside the windows, in order."""
        return clip_range(self.windows, start, end)

    def covers(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether the windows cover all of [start, end)."""
        return covered(self.windows, start, end) >= end - start

    def open_at(self, at: dt.datetime) -> bool:
        """Whether a window is open at ``at`` (the caller sees the point now)."""
        return any(lo <= at and (hi is None or at < hi) for lo, hi in self.windows)

    @property
    def supply_windows(self) -> tuple[Window, ...]:
        """The windows that have a start (a supplier's dates; the panel states them)."""
        return tuple(w for w in self.windows if w[0] != UNBOUNDED_START)


def clip_range(
    windows: Sequence[Window], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) inside the windows, in order; empty when none overlaps."""
    parts: list[tuple[dt.datetime, dt.datetime]] = []
    for w_start, w_end in sorted(windows, key=lambda w: w[0]):
        lo = max(start, w_start)
        hi = end if w_end is None else min(end, w_end)
        if lo < hi:
            parts.append((lo, hi))
    return parts


def covered(windows: Sequence[Window], start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    return sum(((hi - lo) for lo, hi in clip_range(windows, start, end)), dt.timedelta(0))


def inside(column: Any, windows: Sequence[Window]) -> Any:
    """SQL: ``column`` lies in one of the windows (start included, end excluded)."""
    return or_(*(and_(column >= lo, *(() if hi is None else (column < hi,))) for lo, hi in windows))


# --------------------------------------------------------------------------------------------
# The rules


class Rule(Enum):
    STAFF = "staff"  # the distribution company: every service point
    OSOS_ONLY = "osos_only"  # the market operator: the service points in OSOS
    OWN = "own"  # a subscriber: its own service points
    SUPPLY = "supply"  # a supplier: its portfolio, for the dates it supplies
    ORGANISATION = "organisation"  # a corporate user or an OSB: its organisation's
    NONE = "none"


USER_RULES: Mapping[UserKind, Rule] = {
    UserKind.OPERATOR: Rule.STAFF,
    UserKind.ADMIN: Rule.STAFF,
    UserKind.ABONE: Rule.OWN,
    UserKind.TEDARIKCI: Rule.SUPPLY,
    UserKind.KURUMSAL: Rule.ORGANISATION,
}
ORGANISATION_RULES: Mapping[OrganisationKind, Rule] = {
    OrganisationKind.SUPPLIER: Rule.SUPPLY,
    OrganisationKind.UTILITY: Rule.SUPPLY,  # its water/gas/heat meters, for the dates it has them
    OrganisationKind.CORPORATE: Rule.ORGANISATION,
    OrganisationKind.OSB: Rule.ORGANISATION,
    OrganisationKind.DISTRIBUTION: Rule.STAFF,
    OrganisationKind.MARKET_OPERATOR: Rule.OSOS_ONLY,
}


def rule_of(session: Session, principal: Principal) -> Rule:
    """The access rule of a caller; an API token acts as the kind of its organisation."""
    if principal.kind != "api":
        return USER_RULES.get(UserKind(principal.kind), Rule.NONE)
    if principal.organisation_id is None:
        return Rule.NONE
    kind = session.scalar(
        select(Organisation.kind).where(Organisation.id == principal.organisation_id)
    )
    return Rule.NONE if kind is None else ORGANISATION_RULES.get(kind, Rule.NONE)


def _supplied(principal: Principal, at: dt.datetime | None) -> Any:
    query = select(SupplyPeriod.service_point_id).where(
        SupplyPeriod.supplier_id == principal.organisation_id
    )
    if at is not None:
        query = query.where(
            SupplyPeriod.valid_from <= at,
            or_(SupplyPeriod.valid_to.is_(None), SupplyPeriod.valid_to > at),
        )
    return query


def _candidates(rule: Rule, principal: Principal) -> Any:
    """The query of the service point ids a rule lets the caller see (OSOS_ONLY: all)."""
    if rule in (Rule.STAFF, Rule.OSOS_ONLY):
        return select(ServicePoint.id)
    if rule is Rule.OWN:
        return select(user_service_points.c.service_point_id).where(
            user_service_points.c.user_id == principal.user_id
        )
    return select(ServicePoint.id).where(
        or_(
            ServicePoint.customer_organisation_id == principal.organisation_id,
            ServicePoint.osb_organisation_id == principal.organisation_id,
        )
    )


def allowed_service_point_ids(
    session: Session, principal: Principal, at: dt.datetime | None = None
) -> set[int]:
    """Service points the principal may see; for a supplier, those supplied at ``at`` if given."""
    rule = rule_of(session, principal)
    if rule is Rule.NONE or (rule is Rule.OWN and principal.user_id is None):
        return set()
    if rule in (Rule.SUPPLY, Rule.ORGANISATION) and principal.organisation_id is None:
        return set()
    if rule is Rule.SUPPLY:
        return set(session.scalars(_supplied(principal, at)))
    if rule is Rule.OSOS_ONLY:
        return in_osos_ids(session, at or db_now(session))
    return set(session.scalars(_candidates(rule, principal)))


def supply_windows(session: Session, principal: Principal, service_point_id: int) -> list[Window]:
    """The periods the principal may see data of; empty when it may not see the point at all."""
    rule = rule_of(session, principal)
    if rule is Rule.SUPPLY:
        rows = session.execute(
            select(SupplyPeriod.valid_from, SupplyPeriod.valid_to)
            .where(
                SupplyPeriod.supplier_id == principal.organisation_id,
                SupplyPeriod.service_point_id == service_point_id,
            )
            .order_by(SupplyPeriod.valid_from)
        ).all()
        return [(row[0], row[1]) for row in rows]
    if rule is Rule.OSOS_ONLY:
        seen = service_point_id in in_osos_ids(session, db_now(session))
    elif rule is Rule.NONE or (rule is Rule.OWN and principal.user_id is None):
        seen = False
    else:
        query = _candidates(rule, principal).subquery()
        seen = session.scalar(select(query).where(query.c[0] == service_point_id)) is not None
    return [(UNBOUNDED_START, None)] if seen else []


# --------------------------------------------------------------------------------------------
# Sights


def require_service_point(session: Session, principal: Principal, no: str) -> ServicePointView:
    """The service point by number, or ``NotFound`` — also when the principal may not see it."""
    return see(session, principal, no).point


def see(session: Session, principal: Principal, no: str) -> Sight:
    """What the principal may see of the service point ``no``; NotVisible when nothing."""
    sp_id = service_point_id(session, no)
    windows = supply_windows(session, principal, sp_id) if sp_id is not None else []
    view = service_point_view(session, sp_id) if windows and sp_id is not None else None
    if view is None:
        raise NotVisible(f"service point {no!r} not found")
    return Sight(view, tuple(windows))


def grant(session: Session, service_point_id: int, start: dt.datetime, end: dt.datetime) -> Sight:
    """The sight an approved request gives: the service point over [start, end) only."""
    view = service_point_view(session, service_point_id)
    if view is None:
        raise NotVisible(f"service point id {service_point_id} not found")
    return Sight(view, ((start, end),))


def portfolio(session: Session, principal: Principal) -> list[Sight]:
    """Every service point the principal may see, by number, with its windows."""
    rule = rule_of(session, principal)
    ids = allowed_service_point_ids(session, principal)
    windows: dict[int, list[Window]] = {}
    if rule is Rule.SUPPLY:
        for sp_id, lo, hi in session.execute(
            select(SupplyPeriod.service_point_id, SupplyPeriod.valid_from, SupplyPeriod.valid_to)
            .where(SupplyPeriod.supplier_id == principal.organisation_id)
            .order_by(SupplyPeriod.valid_from)
        ):
            windows.setdefault(sp_id, []).append((lo, hi))
    views = sorted(
        (v for v in (service_point_view(session, i) for i in ids) if v is not None),
        key=lambda v: v.no,
    )
    return [Sight(v, tuple(windows.get(v.id, [(UNBOUNDED_START, None)]))) for v in views]

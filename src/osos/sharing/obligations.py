"""What is owed to the market operator: one ledger row per service point and period that ended.

Planning only writes rows (in the caller's short transaction); nothing here reads meter data
or talks to the network.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from osos.domain import Generation
from osos.scope.service import in_osos_ids
from osos.settings import SharingConfig
from osos.sharing.payload import Period, Rule, due_at, periods_ending
from osos.store.models import ServicePoint
from osos.store.models.sharing import Delivery, SettlementCalendar
from osos.timeutil import month_bounds, month_start_before, period_of

log = logging.getLogger(__name__)


def rule_of(sp: ServicePoint, in_osos: bool) -> Rule | None:
    """Which delivery rule applies to a service point (None: nothing to deliver)."""
    if sp.balancing_unit:
        return Rule.BALANCING_UNIT
    if sp.generation is not Generation.NONE:
        return Rule.GENERATION
    return Rule.SETTLEMENT if in_osos else None


def _calendar_day(session: Session, period: Period) -> dt.date | None:
    row = session.get(SettlementCalendar, period_of(period.start))
    return None if row is None else row.last_day


def set_settlement_calendar(
    session: Session,
    period: str,
    last_day: dt.date,
    pre_settlement_day: dt.date | None = None,
    *,
    config: SharingConfig,
) -> None:
    """Record the operator's settlement calendar of a month (YYYY-MM); pending deadlines move."""
    start, end = month_bounds(period)
    row = session.get(SettlementCalendar, period)
    if row is None:
        session.add(
            SettlementCalendar(
                period=period, last_day=last_day, pre_settlement_day=pre_settlement_day
            )
        )
    else:
        row.last_day, row.pre_settlement_day = last_day, pre_settlement_day
    deadline = due_at(Rule.SETTLEMENT, Period(start, end), config, last_day)
    for delivery in session.scalars(
        select(Delivery).where(
            Delivery.rule == int(Rule.SETTLEMENT),
            Delivery.status.in_(("pending", "ready")),
            Delivery.period_start == start,
        )
    ):
        delivery.due_at = deadline


def _owed_periods(rule: Rule, now: dt.datetime, config: SharingConfig) -> list[Period]:
    """Periods of ``rule`` that ended within the look-back (rule 3: back to the last month)."""
    after = now - config.lookback
    if rule is Rule.SETTLEMENT:
        after = min(after, month_start_before(now) - dt.timedelta(seconds=1))
    return [
        p
        for p in periods_ending(rule, after, now)
        if config.obligations_from is None or p.start >= config.obligations_from
    ]


def plan(session: Session, now: dt.datetime, config: SharingConfig) -> int:
    """Create the ledger rows of every period that has ended (within the look-back): what is due.

    Several head-ends may plan at once: on PostgreSQL the rows go in a savepoint, and the
    unique constraint keeps whichever run came first.
    """
    osos = in_osos_ids(session, now)
    by_rule: dict[Rule, list[ServicePoint]] = {r: [] for r in Rule}
    for sp in session.scalars(select(ServicePoint)):
        rule = rule_of(sp, sp.id in osos)
        if rule is not None:
            by_rule[rule].append(sp)
    new: list[Delivery] = []
    for rule, sps in by_rule.items():
        periods = _owed_periods(rule, now, config) if sps else []
        if not periods:
            continue
        existing = {
            (sp_id, start)
            for sp_id, start in session.execute(
                select(Delivery.service_point_id, Delivery.period_start).where(
                    Delivery.rule == int(rule), Delivery.period_start >= periods[0].start
                )
            )
        }
        for period in periods:
            calendar = _calendar_day(session, period) if rule is Rule.SETTLEMENT else None
            deadline = due_at(rule, period, config, calendar)
            new += [
                Delivery(
                    rule=int(rule),
                    service_point_id=sp.id,
                    period_start=period.start,
                    period_end=period.end,
                    due_at=deadline,
                    status="pending",
                    created_at=now,
                )
                for sp in sps
                if (sp.id, period.start) not in existing
            ]
    return _insert(session, new)


def _insert(session: Session, new: list[Delivery]) -> int:
    if not new:
        return 0
    if session.get_bind().dialect.name != "postgresql":
        session.add_all(new)  # SQLite: one writer at a time, no race to lose
        session.flush()
        return len(new)
    try:
        with session.begin_nested():
            session.add_all(new)
    except IntegrityError:
        log.info("deliveries: another run planned the same obligations; theirs stand")
        return 0
    return len(new)

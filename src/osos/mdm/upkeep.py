"""Validation and determinant upkeep as data arrives, without an operator running a batch.

The head-end calls :class:`ValidationHook` after its ticks. It takes the readouts stored since
its watermark (``mdm_watermarks``), validates each meter that received them over the range the
new data touched (plus enough before it for the checks over runs of intervals), stores the
findings (once), flags the service-point months under the new data dirty and recomputes a
bounded number of dirty months. Work per run is bounded; a backlog (first start on a full
database, a long outage back-filled) is worked off on the following ticks.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from osos.domain import ReadSource
from osos.mdm import bulk_store, determinants, vee
from osos.mdm.model import INTERVAL
from osos.mdm.validate import Finding
from osos.regulation import settings_at
from osos.runtime import Runtime
from osos.settings import Settings, ValidationLimits
from osos.store import partitions
from osos.store.db import now as db_now
from osos.store.db import transaction
from osos.store.models import Meter, Readout, ServicePoint, profile_intervals
from osos.store.models.mdm import UpkeepWatermark, ValidationFinding

log = logging.getLogger(__name__)

WATERMARK = "validation"
#: How far before a readout its load-profile rows may lie (the head-end back-fills up to 40 days).
BACKFILL = dt.timedelta(days=62)
#: Longer than any head-end store transaction, twice over (see :func:`new_data`).
SETTLE = dt.timedelta(minutes=5)
#: A month that failed to compute is tried again after this long (the data may have been fixed).
RETRY_FAILED = dt.timedelta(days=1)
#: A register readout is checked against the day before it (index backwards, sum checks).
READ_LOOKBACK = dt.timedelta(days=1)

Validator = Callable[..., Sequence[Finding]]


@dataclass(frozen=True)
class MeterRange:
    """What new data one meter received: its readouts' times and the interval ends they wrote."""

    meter_id: int
    serial: str
    first_read: dt.datetime
    last_read: dt.datetime
    first_end: dt.datetime | None = None
    last_end: dt.datetime | None = None


@dataclass(frozen=True)
class UpkeepSummary:
    readouts: int = 0
    meters: int = 0
    findings: int = 0
    months_dirty: int = 0
    months_recomputed: int = 0
    errors: int = 0
    behind: bool = False  # a full batch: more is waiting

    def line(self) -> str:
        return (
            f"validation upkeep: {self.readouts} new readout(s) of {self.meters} meter(s), "
            f"{self.findings} new finding(s), {self.months_dirty} month(s) marked, "
            f"{self.months_recomputed} recomputed, {self.errors} error(s)"
            + (", more waiting" if self.behind else "")
        )


def _watermark(session: Session) -> UpkeepWatermark:
    row = session.get(UpkeepWatermark, WATERMARK)
    if row is None:
        row = UpkeepWatermark(name=WATERMARK, readout_id=0, updated_at=db_now(session))
        session.add(row)
        session.flush()
    return row


def new_data(
    session: Session, after_id: int, batch: int, settled: dt.datetime | None = None
) -> tuple[list[MeterRange], int, int, bool]:
    """The meters with readouts whose id is above ``after_id`` (at most ``batch`` readouts, in
    id order) → (their ranges, readouts taken, the highest id taken, whether the batch was full).

    With ``settled``, the batch stops at the first head-end readout read after it: ids are
    handed out before commit, so a younger id may be visible while an older one is still being
    written; waiting until the head-end's short store transactions are surely over means the
    watermark never passes a readout that commits late.
    """
    rows = session.execute(
        select(Readout.id, Readout.meter_id, Readout.read_at, Readout.source, Meter.serial)
        .join(Meter, Meter.id == Readout.meter_id)
        .where(Readout.id > after_id)
        .order_by(Readout.id)
        .limit(batch)
    ).all()
    full = len(rows) >= batch
    readouts = []
    for row in rows:
        if settled is not None and row.source is ReadSource.HEADEND and row.read_at > settled:
            full = False
            break
        readouts.append(row)
    if not readouts:
        return [], 0, after_id, False
    by_meter: dict[int, list[tuple[int, dt.datetime]]] = {}
    serials: dict[int, str] = {}
    for readout_id, meter_id, read_at, _source, serial in readouts:
        by_meter.setdefault(meter_id, []).append((readout_id, read_at))
        serials[meter_id] = serial
    table = profile_intervals
    ranges = []
    for meter_id, reads in sorted(by_meter.items()):
        times = [t for _, t in reads]
        first_read, last_read = min(times), max(times)
        first_end, last_end = session.execute(
            select(func.min(table.c.end_at), func.max(table.c.end_at)).where(
                table.c.meter_id == meter_id,
                table.c.end_at >= first_read - BACKFILL,
                table.c.end_at <= last_read + READ_LOOKBACK,
                table.c.readout_id.in_([i for i, _ in reads]),
            )
        ).one()
        ranges.append(
            MeterRange(meter_id, serials[meter_id], first_read, last_read, first_end, last_end)
        )
    return ranges, len(readouts), readouts[-1][0], full


def window(
    session: Session, r: MeterRange, limits: ValidationLimits
) -> tuple[dt.datetime, dt.datetime]:
    """The ``(start, end]`` to validate for the new data of one meter.

    It starts at the stored interval before the new ones (so a gap between old and new data is
    found whole) and at least long enough before them for a run check (zero consumption,
    prolonged estimate) to see a run that began earlier — but never before the meter's first
    stored interval, which would read as missing intervals.
    """
    start = r.first_read - READ_LOOKBACK
    end = r.last_read
    if r.first_end is not None and r.last_end is not None:
        lookback = max(limits.zero_consumption, limits.estimate_prolonged) + INTERVAL
        start = min(start, r.first_end - INTERVAL - lookback)
        table = profile_intervals
        previous = session.execute(
            select(func.max(table.c.end_at)).where(
                table.c.meter_id == r.meter_id,
                table.c.end_at < r.first_end,
                table.c.end_at >= r.first_end - BACKFILL,
            )
        ).scalar_one()
        if previous is not None:
            start = min(start, previous)
        end = max(end, r.last_end)
    # Not before the meter's first interval: time before it is no gap (a new meter).
    first_stored = session.execute(
        select(func.min(profile_intervals.c.end_at)).where(
            profile_intervals.c.meter_id == r.meter_id, profile_intervals.c.end_at > start
        )
    ).scalar_one()
    if first_stored is not None:
        start = max(start, first_stored - INTERVAL)
    return start, end


def validate_new(
    factory: sessionmaker[Session],
    *,
    now: dt.datetime | None = None,
    settle: dt.timedelta = SETTLE,
    batch: int = 200,
    limits: ValidationLimits,
    validator: Validator = vee.validate_meter,
) -> UpkeepSummary:
    """Validate the meters with readouts past the watermark (one batch), store their findings,
    mark their months dirty and move the watermark.

    One transaction per meter, so the head-end's writes never wait long for ours (SQLite); a
    failing meter is logged and skipped (``osos validate`` can run it again).
    """
    findings = dirty = errors = 0
    with transaction(factory) as session:
        after = _watermark(session).readout_id
        settled = None if now is None else now - settle
        ranges, taken, last_id, full = new_data(session, after, batch, settled)
    for r in ranges:
        try:
            with transaction(factory) as session:
                start, end = window(session, r, limits)
                before = _finding_count(session, r.meter_id)
                validator(session, r.meter_id, start, end, limits=limits)
                created = _finding_count(session, r.meter_id) - before
                changed = r.first_read
                if r.first_end is not None:
                    changed = min(changed, r.first_end - INTERVAL)
                marked = determinants.mark_dirty(session, r.meter_id, changed, end)
            findings, dirty = findings + created, dirty + marked
        except Exception:
            errors += 1
            log.exception("validation upkeep: meter %s skipped", r.serial)
    if taken:
        with transaction(factory) as session:
            mark = _watermark(session)
            mark.readout_id, mark.updated_at = max(mark.readout_id, last_id), db_now(session)
    return UpkeepSummary(
        readouts=taken,
        meters=len(ranges),
        findings=findings,
        months_dirty=dirty,
        errors=errors,
        behind=full,
    )


def _finding_count(session: Session, meter_id: int) -> int:
    return session.execute(
        select(func.count()).where(ValidationFinding.meter_id == meter_id)
    ).scalar_one()


def refresh_months(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    limit: int,
    failed: set[tuple[int, str]] | None = None,
) -> int:
    """Recompute up to ``limit`` dirty months; returns how many.

    The months of one period go through the set-based run together, in one transaction. When
    that fails, they are tried one transaction each, so that a month that cannot be computed is
    logged and added to ``failed`` (which later runs pass back) and does not hold up the others.
    """
    failed = set() if failed is None else failed
    with factory() as session:
        months = determinants.dirty_months(session, limit=limit + len(failed))
    by_period: dict[str, list[int]] = {}
    for sp_id, period in [m for m in months if m not in failed][:limit]:
        by_period.setdefault(period, []).append(sp_id)
    done = 0
    for period, sp_ids in sorted(by_period.items()):
        try:
            with transaction(factory) as session:
                points = session.execute(
                    select(ServicePoint).where(ServicePoint.id.in_(sp_ids))
                ).scalars()
                done += bulk_store.compute_and_store(session, period, settings, list(points))
        except Exception:
            log.warning("validation upkeep: %s in bulk failed; month by month", period)
            done += _one_by_one(factory, settings, period, sp_ids, failed)
    return done


def _one_by_one(
    factory: sessionmaker[Session],
    settings: Settings,
    period: str,
    sp_ids: list[int],
    failed: set[tuple[int, str]],
) -> int:
    done = 0
    for sp_id in sp_ids:
        try:
            with transaction(factory) as session:
                determinants.refresh(session, sp_id, period, settings)
            done += 1
        except Exception:
            failed.add((sp_id, period))
            log.exception(
                "validation upkeep: month %s of service point id %d failed", period, sp_id
            )
    return done


class ValidationHook:
    """The head-end's after-tick hook: validation and determinant upkeep at most once per
    ``every`` on the tick's clock — or on every tick while a backlog is being worked off.

    Never raises into the head-end: a failed run is logged and retried at the next one.
    The composition root (:mod:`osos.app.headend`) passes it to the head-end.
    """

    def __init__(
        self,
        every: dt.timedelta = dt.timedelta(minutes=15),
        *,
        settle: dt.timedelta = SETTLE,
        batch: int = 200,
        months: int = 50,
        limits: ValidationLimits | None = None,
        validator: Validator = vee.validate_meter,
    ) -> None:
        self.every = every
        self.settle = settle
        self.batch = batch
        self.months = months
        self.limits = limits
        self.validator = validator
        self.last_run: dt.datetime | None = None
        self.behind = False
        self.failed_months: set[tuple[int, str]] = set()  # left aside, tried again daily
        self.failed_since: dt.datetime | None = None

    def __call__(self, runtime: Runtime, now: dt.datetime) -> UpkeepSummary | None:
        if not self.behind and self.last_run is not None and now - self.last_run < self.every:
            return None
        self.last_run = now
        if self.failed_since is None or now - self.failed_since >= RETRY_FAILED:
            self.failed_months.clear()
            self.failed_since = now
        try:
            summary = self.run(runtime, now)
        except Exception:  # the meter reading must go on; the next run starts from the watermark
            self.behind = False
            log.exception("validation upkeep failed; retried in %s", self.every)
            return None
        self.behind = summary.behind
        log.info(summary.line())
        return summary

    @staticmethod
    def _limits_now(runtime: Runtime, now: dt.datetime | None) -> ValidationLimits:
        """The validation limits in force now (:mod:`osos.regulation`)."""
        with runtime.sessions() as session:
            at = now or runtime.clock.now()
            return settings_at(session, runtime.settings, at).validation

    def run(self, runtime: Runtime, now: dt.datetime | None = None) -> UpkeepSummary:
        with transaction(runtime.sessions) as session:  # PostgreSQL: months ahead of the data
            partitions.ensure_ahead(session.connection(), now or db_now(session))
        summary = validate_new(
            runtime.sessions,
            now=now,
            settle=self.settle,
            batch=self.batch,
            limits=self.limits or self._limits_now(runtime, now),
            validator=self.validator,
        )
        failed = len(self.failed_months)
        recomputed = refresh_months(
            runtime.sessions, runtime.settings, limit=self.months, failed=self.failed_months
        )
        return replace(
            summary,
            months_recomputed=recomputed,
            errors=summary.errors + len(self.failed_months) - failed,
            behind=summary.behind or recomputed >= self.months,
        )

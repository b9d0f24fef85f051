"""Validation, estimation and editing of stored data (VEE), with everything recorded.

Findings are stored once per (meter, code, register, start) and listed for the back office;
estimates are stored as ``source=estimated`` rows through the same ingest as actual reads (an
actual read replaces them later, keeping the estimate in ``profile_interval_history``). An
operator's edit is :mod:`osos.mdm.edits`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos import audit
from osos.domain import DataSource
from osos.errors import NotFound
from osos.mdm import loading
from osos.mdm.determinants import mark_dirty
from osos.mdm.estimate import SHAPE_WEEKS, WEEK, EstimatedInterval, estimate_gaps
from osos.mdm.model import INTERVAL, REGISTERS, MeterData
from osos.mdm.validate import Code, Finding, ReadClock, validate
from osos.readings import IntervalRecord
from osos.settings import ValidationLimits
from osos.store.db import now as db_now
from osos.store.intervals import store_profile
from osos.store.models import Meter, Readout
from osos.store.models.mdm import ValidationFinding

HISTORY = dt.timedelta(days=28)


def _meter(session: Session, meter_id: int) -> Meter:
    meter = session.get(Meter, meter_id)
    if meter is None:
        raise NotFound(f"unknown meter id {meter_id}")
    return meter


# --------------------------------------------------------------------------------------------
# Validation


def validate_meter(
    session: Session,
    meter_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    limits: ValidationLimits,
) -> list[Finding]:
    """Check a meter's data over ``(start, end]`` and store the findings (never the data)."""
    meter = _meter(session, meter_id)
    profiles = loading.profile_series(session, [meter_id], start - HISTORY, end)
    reads = loading.register_reads(session, [meter_id], start, end)
    clocks = [
        ReadClock(read_at, meter_time)
        for read_at, meter_time in session.execute(
            select(Readout.read_at, Readout.meter_time).where(
                Readout.meter_id == meter_id, Readout.read_at >= start, Readout.read_at <= end
            )
        )
    ]
    data = MeterData(meter_id, meter.serial, profiles[meter_id], reads[meter_id])
    findings = validate(data, start, end, clocks=clocks, limits=limits)
    store_findings(session, findings)
    return findings


#: Findings over a run of intervals: a window that cuts a run (validation in chunks as data
#: arrives) reports part of it again, which continues the stored finding instead of a new one.
RUN_CODES = frozenset(
    {Code.MISSING_INTERVALS, Code.POWER_FAIL, Code.CLOCK_SET, Code.ZERO_CONSUMPTION,
     Code.ESTIMATE_PROLONGED}
)  # fmt: skip


def _overlapping_run(session: Session, f: Finding) -> ValidationFinding | None:
    return (
        session.execute(
            select(ValidationFinding)
            .where(
                ValidationFinding.meter_id == f.meter_id,
                ValidationFinding.code == f.code.value,
                ValidationFinding.register == f.register,
                ValidationFinding.start_at <= f.end,
                ValidationFinding.end_at >= f.start,
            )
            .order_by(ValidationFinding.start_at)
            .limit(1)
        )
        .scalars()
        .first()
    )


def store_findings(session: Session, findings: Sequence[Finding]) -> int:
    """Insert new findings; one already stored keeps its state, its detail is refreshed.

    A run finding overlapping a stored one of the same kind is that finding seen again through
    another window: the stored one is extended, not repeated.
    """
    created = 0
    for f in findings:
        row = session.execute(
            select(ValidationFinding).where(
                ValidationFinding.meter_id == f.meter_id,
                ValidationFinding.code == f.code.value,
                ValidationFinding.register == f.register,
                ValidationFinding.start_at == f.start,
            )
        ).scalar_one_or_none()
        if row is None and f.code in RUN_CODES:
            row = _overlapping_run(session, f)
            if row is not None:
                if f.start <= row.start_at:  # this window saw the whole run
                    row.detail = f.detail
                row.end_at = max(row.end_at, f.end)
                continue
        if row is None:
            session.add(
                ValidationFinding(
                    code=f.code.value,
                    meter_id=f.meter_id,
                    register=f.register,
                    start_at=f.start,
                    end_at=f.end,
                    detail=f.detail,
                    state="open",
                    detected_at=db_now(session),
                )
            )
            session.flush()
            created += 1
        else:
            row.end_at, row.detail = f.end, f.detail
    session.flush()
    return created


@dataclass(frozen=True)
class FindingView:
    """A stored finding as the back office lists it."""

    id: int
    code: str
    meter_serial: str
    register: str
    start: dt.datetime
    end: dt.datetime
    detail: str
    state: str
    detected_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_by: str | None
    resolution: str | None


def list_findings(
    session: Session,
    *,
    state: str | None = "open",
    meter_serial: str | None = None,
    code: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 500,
) -> list[FindingView]:
    """Findings newest first, filtered by state (None: all), meter, code, detection time."""
    statement = select(ValidationFinding, Meter.serial).join(
        Meter, Meter.id == ValidationFinding.meter_id
    )
    if state is not None:
        statement = statement.where(ValidationFinding.state == state)
    if meter_serial is not None:
        statement = statement.where(Meter.serial == meter_serial)
    if code is not None:
        statement = statement.where(ValidationFinding.code == code)
    if since is not None:
        statement = statement.where(ValidationFinding.detected_at >= since)
    statement = statement.order_by(
        ValidationFinding.start_at.desc(), ValidationFinding.id.desc()
    ).limit(limit)
    return [
        FindingView(
            f.id,
            f.code,
            serial,
            f.register,
            f.start_at,
            f.end_at,
            f.detail,
            f.state,
            f.detected_at,
            f.resolved_at,
            f.resolved_by,
            f.resolution,
        )
        for f, serial in session.execute(statement)
    ]


def resolve_finding(session: Session, finding_id: int, *, user: str, resolution: str) -> None:
    """Close a finding with who and why (audited)."""
    row = session.get(ValidationFinding, finding_id)
    if row is None:
        raise NotFound(f"unknown finding {finding_id}")
    row.state, row.resolved_at, row.resolved_by = "resolved", db_now(session), user
    row.resolution = resolution
    audit.record(
        session,
        actor=user,
        action="mdm.finding.resolve",
        object_type="finding",
        object_id=finding_id,
        detail={"code": row.code, "resolution": resolution},
    )


# --------------------------------------------------------------------------------------------
# Estimation


def propose_estimates(
    session: Session, meter_id: int, start: dt.datetime, end: dt.datetime
) -> list[EstimatedInterval]:
    """The estimates :func:`estimate_meter` would store, stored nowhere: what the back office
    shows an operator to review before accepting them."""
    look_back = SHAPE_WEEKS * WEEK + INTERVAL
    profile = loading.profile_series(
        session, [meter_id], start - look_back, end + dt.timedelta(days=7)
    )[meter_id]
    # Anchors beyond the loaded window: the nearest actual rows either side.
    return estimate_gaps(profile, REGISTERS, start, end, history=profile)


def estimate_meter(
    session: Session,
    meter_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    actor: str = "estimation",
) -> int:
    """Store estimates for the meter's missing intervals in ``(start, end]`` that lie between
    actual values; returns how many rows were stored."""
    meter = _meter(session, meter_id)
    rows = propose_estimates(session, meter_id, start, end)
    if not rows:
        return 0
    records = [
        IntervalRecord(r.end, {o: Decimal(v).scaleb(-3) for o, v in r.values.items()}) for r in rows
    ]
    result = store_profile(
        session,
        meter_id=meter_id,
        records=records,
        readout_id=None,
        source=DataSource.ESTIMATED,
        actor=actor,
    )
    mark_dirty(session, meter_id, rows[0].end - INTERVAL, rows[-1].end)
    audit.record(
        session,
        actor=actor,
        action="mdm.estimate",
        object_type="meter",
        object_id=meter.serial,
        detail={"intervals": result.inserted, "from": str(rows[0].end), "to": str(rows[-1].end)},
    )
    return result.inserted


# --------------------------------------------------------------------------------------------
# Edits

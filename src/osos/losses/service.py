"""One month's run: load, detect, enrich cover findings with their counters from the raw
bytes, store. The CLI, the back office and the head-end's hook call this."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from osos.settings import LossLimits
from osos.store.db import now as db_now
from osos.store.raw import raw_of
from osos.timeutil import month_bounds

from .detect import detect
from .events import cover_counts
from .findings import Finding, Kind
from .loading import load_inputs
from .store import SaveResult, save


def run_period(
    session: Session, period: str, limits: LossLimits
) -> tuple[list[Finding], SaveResult]:
    """Detect the findings of ``period`` (YYYY-MM) up to now and store them."""
    low, high = month_bounds(period)
    high = min(high, db_now(session))
    if high <= low:
        return [], SaveResult(0, 0, 0)
    return run_window(session, low, high, limits)


def run_window(
    session: Session, low: dt.datetime, high: dt.datetime, limits: LossLimits
) -> tuple[list[Finding], SaveResult]:
    findings = [
        _with_counter(session, f)
        for f in detect(load_inputs(session, low, high, limits), low, high, limits)
    ]
    return findings, save(session, findings)


def _with_counter(session: Session, finding: Finding) -> Finding:
    """A cover opening's counter (second value group) from the readout's own bytes."""
    if finding.kind not in (Kind.TERMINAL_COVER, Kind.MAIN_COVER) or finding.readout_id is None:
        return finding
    found = raw_of(session, finding.readout_id)
    count = cover_counts(found.raw if found else b"").get(finding.evidence.get("register", ""))
    if count is None:
        return finding
    return Finding(
        finding.service_point, finding.kind, finding.start, finding.end,
        {**finding.evidence, "count": count}, finding.meter, finding.readout_id,
    )  # fmt: skip

"""The head-end's after-tick hook: the month's loss detectors at most once per ``every``, so
the worklist follows the reads without an operator pressing "scan"."""

from __future__ import annotations

import datetime as dt
import logging

from osos.runtime import Runtime
from osos.store.db import transaction
from osos.timeutil import DAY, month_start_before, period_of

from .service import run_period
from .store import SaveResult

log = logging.getLogger(__name__)
LATE_READS = 2 * DAY  # the month before is scanned again while its last reads still arrive


class LossHook:
    """Runs this month (and, early in a month, the one before); never raises into the
    head-end: a failed run is logged and tried again at the next one."""

    def __init__(self, every: dt.timedelta = dt.timedelta(hours=1)) -> None:
        self.every = every
        self.last_run: dt.datetime | None = None

    def periods(self, now: dt.datetime) -> list[str]:
        first = month_start_before(now)
        if now - first < LATE_READS:
            return [period_of(month_start_before(now, 1)), period_of(now)]
        return [period_of(now)]

    def __call__(self, runtime: Runtime, now: dt.datetime) -> list[SaveResult] | None:
        if self.last_run is not None and now - self.last_run < self.every:
            return None
        self.last_run = now
        out = []
        try:
            for period in self.periods(now):
                with transaction(runtime.sessions) as session:
                    out.append(run_period(session, period, runtime.settings.losses)[1])
        except Exception:  # the meter reading must go on
            log.exception("loss detection failed; tried again in %s", self.every)
            return None
        return out

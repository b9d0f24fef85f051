"""The head-end's after-tick hook: ``osos alerts run`` at most once per ``every``
(``OSOS_ALERTS_HEADEND_MIN``), on the tick's clock, in its own transaction; and once more as
soon as a first back-fill under way at the last run is complete (not an ``every`` later)."""

from __future__ import annotations

import datetime as dt
import logging

from osos.alerts.send import RunSummary, run
from osos.alerts.sms import SmsSender, sms_sender
from osos.headend.backfill import backfill_state
from osos.runtime import Runtime
from osos.store import db

log = logging.getLogger(__name__)


class AlertsHook:
    def __init__(self, every: dt.timedelta, sms: SmsSender | None = None) -> None:
        self.every = every
        self.sms = sms
        self.last_run: dt.datetime | None = None
        self.held = False  # the last run found points still in their first back-fill

    def _backfill_done(self, runtime: Runtime, now: dt.datetime) -> bool:
        with runtime.sessions() as session:
            return backfill_state(session, now).complete

    def __call__(self, runtime: Runtime, now: dt.datetime) -> RunSummary | None:
        if self.last_run is not None and now - self.last_run < self.every:
            if not (self.held and self._backfill_done(runtime, now)):
                return None
            log.info("alerts: the first back-fill is complete, running now")
        self.last_run = now
        sms = self.sms or sms_sender(runtime.settings.alerts.sms_url)
        with db.transaction(runtime.sessions) as session:
            summary = run(session, runtime.settings, sms, now)
        self.held = summary.backfilling > 0
        if summary.raised or summary.emails or summary.sms or summary.held:
            log.info(
                "alerts: %d raised, %d e-mail(s), %d SMS, %d held (first back-fill)",
                summary.raised, summary.emails, summary.sms, summary.held,
            )  # fmt: skip
        return summary

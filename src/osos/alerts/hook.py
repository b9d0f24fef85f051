"""The head-end's after-tick hook: ``osos alerts run`` at most once per ``every``
(``OSOS_ALERTS_HEADEND_MIN``), on the tick's clock, in its own transaction."""

from __future__ import annotations

import datetime as dt
import logging

from osos.alerts.send import RunSummary, run
from osos.alerts.sms import SmsSender, sms_sender
from osos.runtime import Runtime
from osos.store import db

log = logging.getLogger(__name__)


class AlertsHook:
    def __init__(self, every: dt.timedelta, sms: SmsSender | None = None) -> None:
        self.every = every
        self.sms = sms
        self.last_run: dt.datetime | None = None

    def __call__(self, runtime: Runtime, now: dt.datetime) -> RunSummary | None:
        if self.last_run is not None and now - self.last_run < self.every:
            return None
        self.last_run = now
        sms = self.sms or sms_sender(runtime.settings.alerts.sms_url)
        with db.transaction(runtime.sessions) as session:
            summary = run(session, runtime.settings, sms, now)
        if summary.raised or summary.emails or summary.sms:
            log.info(
                "alerts: %d raised, %d e-mail(s), %d SMS", summary.raised, summary.emails,
                summary.sms,
            )  # fmt: skip
        return summary

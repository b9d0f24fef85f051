"""Deliveries to the market operator: what is owed, what is ready, what was sent.

The work is split so that no network I/O happens inside a transaction:

1. :func:`osos.sharing.obligations.plan` — ledger rows for every period that has ended;
2. :func:`osos.sharing.ledger.prepare` — complete data becomes ``ready`` content, deadlines
   at risk raise alerts, changed estimates queue corrections (one short transaction);
3. :mod:`osos.sharing.sender` — ready rows are claimed, sent with no transaction open, and
   each receipt recorded in its own transaction.

The head-end runs 1–2 after its ticks (:class:`DeliveryHook`) and the composition root runs the
sender beside it as its own task; ``osos deliver run`` does all three once (:func:`run_due`).
"""

from __future__ import annotations

import datetime as dt
import logging

from osos.headend.backfill import backfill_state
from osos.mdm.deadline_estimates import estimate_until
from osos.readmodel.intervals import IntervalSource, service_point_intervals
from osos.regulation import settings_at
from osos.runtime import Runtime
from osos.settings import SharingConfig
from osos.sharing.ledger import (
    Estimator,
    RunSummary,
    prepare,
    queue_corrections,
)
from osos.sharing.obligations import plan
from osos.sharing.sender import send_ready
from osos.sharing.transport import Transport, transport_for
from osos.store import db

log = logging.getLogger(__name__)


def decide_due(
    runtime: Runtime,
    now: dt.datetime,
    *,
    config: SharingConfig | None = None,
    source: IntervalSource | None = None,
    summary: RunSummary | None = None,
    estimator: Estimator | None = estimate_until,
) -> RunSummary:
    """Plan what is owed, make complete deliveries ready (estimating what is missing close to
    the deadline), raise alerts, queue corrections: one short transaction, no network.
    Points still in their first back-fill wait unalerted. Without ``config``, the deadlines in
    force at ``now`` (:mod:`osos.regulation`)."""
    summary = summary or RunSummary()
    source = source or service_point_intervals
    with db.transaction(runtime.sessions) as session:
        config = config or settings_at(session, runtime.settings, now).sharing
        summary.planned += plan(session, now, config)
        held = backfill_state(session, now).service_point_ids
        prepare(session, now, config, source, summary, estimator, held)
        queue_corrections(session, now, config, source, summary)
    return summary


def delivery_transport(runtime: Runtime, config: SharingConfig | None = None) -> Transport:
    """The transport the runtime's ``OSOS_DELIVERY_URL`` names (``ConfigError`` when it names
    none), retrying as ``config`` says."""
    config = config or runtime.settings.sharing
    return transport_for(
        runtime.settings.sharing.delivery_url,
        attempts=config.http_attempts,
        backoff_s=config.http_backoff_s,
        timeout_s=config.http_timeout_s,
    )


def run_due(
    runtime: Runtime,
    now: dt.datetime,
    *,
    transport: Transport | None = None,
    config: SharingConfig | None = None,
    source: IntervalSource | None = None,
) -> RunSummary:
    """Everything due at ``now``, once: decide, then send (``osos deliver run``). The transport
    defaults to the settings' ``OSOS_DELIVERY_URL``."""
    summary = decide_due(runtime, now, config=config, source=source)
    own = transport is None
    transport = transport or delivery_transport(runtime, config)
    try:
        return send_ready(runtime, transport, now, summary)
    finally:
        if own:
            transport.close()


class DeliveryHook:
    """The head-end's after-tick hook: :func:`decide_due` at most once per ``every`` on the
    tick's clock, idle while ``OSOS_DELIVERY_URL`` is not set (logged once). It never sends:
    the sender task does (:class:`osos.sharing.sender.DeliverySender`)."""

    def __init__(
        self,
        every: dt.timedelta = dt.timedelta(minutes=5),
        config: SharingConfig | None = None,
        source: IntervalSource | None = None,
    ) -> None:
        self.every = every
        self.config = config
        self.source = source
        self.last_run: dt.datetime | None = None
        self._warned = False

    def __call__(self, runtime: Runtime, now: dt.datetime) -> RunSummary | None:
        if self.last_run is not None and now - self.last_run < self.every:
            return None
        if not runtime.settings.sharing.delivery_url:
            if not self._warned:
                log.info("deliveries idle: OSOS_DELIVERY_URL is not set")
                self._warned = True
            return None
        self.last_run = now
        summary = decide_due(runtime, now, config=self.config, source=self.source)
        if summary.planned or summary.alerts or summary.corrections_queued:
            log.info(
                "deliveries: planned %d, %d waiting for data (%d on the first back-fill), "
                "%d new alert(s), %d correction(s) queued",
                summary.planned,
                summary.waiting,
                summary.held,
                len(summary.alerts),
                summary.corrections_queued,
            )
        return summary

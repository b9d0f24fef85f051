"""Sending what the ledger made ready, outside any transaction.

Each round claims a batch of ``ready`` deliveries and ``queued`` corrections in one short
transaction (``SKIP LOCKED``: two senders never take the same row), sends them with no
transaction open — a slow receiver holds no lock and no connection — and records each
receipt in a transaction of its own. The receiver gets an ``Idempotency-Key`` (the file name),
so a row sent again after its sender died is recognised. :class:`DeliverySender` runs rounds
as its own task beside the head-end, on one transport (one HTTP client) for its lifetime.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.runtime import Runtime
from osos.sharing.ledger import RunSummary, file_name, release_stale_claims
from osos.sharing.payload import to_xlsx
from osos.sharing.transport import Outgoing, Receipt, Transport
from osos.store import db
from osos.store.models import ServicePoint
from osos.store.models.sharing import Delivery, DeliveryCorrection

log = logging.getLogger(__name__)

BATCH = 50


@dataclass(frozen=True)
class Claimed:
    """One row taken for sending: a delivery, or a correction of one (``correction_id``)."""

    delivery_id: int
    correction_id: int | None
    name: str
    content: str
    content_sha256: str

    def outgoing(self) -> Outgoing:
        xlsx = to_xlsx(json.loads(self.content))
        return Outgoing(self.name, self.content.encode(), self.content_sha256, xlsx)


def claim(session: Session, now: dt.datetime, limit: int = BATCH) -> list[Claimed]:
    """Take up to ``limit`` rows to send (``sending``, stamped ``now``)."""
    release_stale_claims(session, now)
    taken: list[Claimed] = []
    for delivery in session.scalars(
        select(Delivery)
        .where(Delivery.status == "ready")
        .order_by(Delivery.due_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ):
        sp = session.get(ServicePoint, delivery.service_point_id)
        assert sp is not None and delivery.content and delivery.content_sha256
        delivery.status, delivery.last_attempt_at = "sending", now
        name = file_name(delivery, sp)
        taken.append(Claimed(delivery.id, None, name, delivery.content, delivery.content_sha256))
    room = limit - len(taken)
    if room <= 0:
        return taken
    for correction in session.scalars(
        select(DeliveryCorrection)
        .where(DeliveryCorrection.status == "queued")
        .order_by(DeliveryCorrection.id)
        .limit(room)
        .with_for_update(skip_locked=True)
    ):
        corrected = session.get(Delivery, correction.delivery_id)
        assert corrected is not None
        sp = session.get(ServicePoint, corrected.service_point_id)
        assert sp is not None
        correction.status, correction.sent_at = "sending", now
        name = file_name(corrected, sp, f"-c{correction.id}")
        content, digest = correction.content, correction.content_sha256
        taken.append(Claimed(corrected.id, correction.id, name, content, digest))
    return taken


def _record_delivery(
    session: Session, item: Claimed, receipt: Receipt, now: dt.datetime, summary: RunSummary
) -> None:
    delivery = session.get(Delivery, item.delivery_id)
    assert delivery is not None
    delivery.attempts += receipt.attempts
    delivery.last_attempt_at = now
    delivery.destination = receipt.destination[:500]
    delivery.receiver_status = receipt.status
    delivery.receiver_answer = receipt.answer
    if not receipt.ok:
        delivery.status = "ready"  # the content stands; the next round tries again
        delivery.error = receipt.answer or "not delivered"
        summary.failed += 1
        log.warning("delivery %s failed: %s", item.name, receipt.answer)
        return
    delivery.status, delivery.sent_at, delivery.ack, delivery.error = "sent", now, receipt.ack, None
    if now > delivery.due_at:
        summary.sent_late += 1
    else:
        summary.sent += 1


def _record_correction(
    session: Session, item: Claimed, receipt: Receipt, now: dt.datetime, summary: RunSummary
) -> None:
    correction = session.get(DeliveryCorrection, item.correction_id)
    assert correction is not None
    correction.receiver_status = receipt.status
    correction.receiver_answer = receipt.answer
    if receipt.ok:
        correction.status, correction.sent_at = "pending", now  # the operator decides
        summary.corrections_sent += 1
    else:
        correction.status = "queued"


def record(
    session: Session, item: Claimed, receipt: Receipt, now: dt.datetime, summary: RunSummary
) -> None:
    """What the receiver answered, for one claimed row."""
    if item.correction_id is None:
        _record_delivery(session, item, receipt, now, summary)
    else:
        _record_correction(session, item, receipt, now, summary)


def send_ready(
    runtime: Runtime, transport: Transport, now: dt.datetime, summary: RunSummary | None = None
) -> RunSummary:
    """Claim, send and record until nothing is ready (a round of the sender)."""
    summary = summary or RunSummary()
    while True:
        with db.transaction(runtime.sessions) as session:
            batch = claim(session, now)
        if not batch:
            return summary
        for item in batch:
            receipt = transport.send(item.outgoing())  # no transaction is open here
            with db.transaction(runtime.sessions) as session:
                record(session, item, receipt, now, summary)


class DeliverySender:
    """Rounds of :func:`send_ready` every ``every`` until stopped, in a worker thread, on one
    transport for its lifetime; a failed round is logged and the next one tries again."""

    def __init__(
        self, runtime: Runtime, transport: Transport, every: dt.timedelta = dt.timedelta(seconds=30)
    ) -> None:
        self.runtime = runtime
        self.transport = transport
        self.every = every

    def round(self) -> RunSummary:
        summary = send_ready(self.runtime, self.transport, self.runtime.clock.now())
        if summary.sent or summary.sent_late or summary.failed or summary.corrections_sent:
            log.info(
                "deliveries sent: %d on time, %d late, %d failed, %d correction(s)",
                summary.sent,
                summary.sent_late,
                summary.failed,
                summary.corrections_sent,
            )
        return summary

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await asyncio.to_thread(self.round)
                except Exception:  # the sender must outlive a database or receiver outage
                    log.exception("delivery sender round failed; retried in %s", self.every)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.every.total_seconds())
        finally:
            self.transport.close()

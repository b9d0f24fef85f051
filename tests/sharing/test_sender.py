"""The sender holds no transaction while a receiver is slow, and a killed sender's claims return."""

from __future__ import annotations

import threading

from sqlalchemy import text, update

from osos.runtime import Runtime
from osos.sharing.deliveries import decide_due
from osos.sharing.ledger import CLAIM_TIMEOUT, RunSummary
from osos.sharing.sender import claim, send_ready
from osos.sharing.transport import Outgoing, Receipt
from osos.store import db
from osos.store.models.sharing import Delivery
from osos.timeutil import parse_local
from tests.sharing.conftest import FakeSource
from tests.sharing.test_deliveries import CONFIG, _registry

NOW = parse_local("2026-10-05T01:00")


class SlowReceiver:
    """A transport that answers only when the test lets it, and records what it saw."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.answer = threading.Event()
        self.names: list[str] = []

    def send(self, item: Outgoing) -> Receipt:
        self.names.append(item.name)
        self.arrived.set()
        assert self.answer.wait(30), "the test never let the receiver answer"
        return Receipt(True, "slow://", 200, "ok", f"ack-{len(self.names)}")

    def close(self) -> None:
        pass


def test_a_slow_receiver_holds_no_lock(runtime: Runtime, fake_source: FakeSource) -> None:
    _registry(runtime, fake_source)
    decided = decide_due(runtime, NOW, config=CONFIG, source=fake_source)
    assert decided.planned > 0 and decided.sent == 0
    receiver = SlowReceiver()
    summary = RunSummary()
    sending = threading.Thread(target=send_ready, args=(runtime, receiver, NOW, summary))
    sending.start()
    try:
        assert receiver.arrived.wait(30)
        # while the receiver thinks, every delivery row can be locked and written at once
        with db.transaction(runtime.sessions) as s:
            if runtime.is_sqlite:
                s.execute(update(Delivery).values(error=None))  # needs the one write lock
            else:
                s.execute(text("SELECT id FROM deliveries FOR UPDATE NOWAIT"))
                s.execute(text("SET LOCAL lock_timeout = '1s'"))
                s.execute(update(Delivery).values(error=None))
    finally:
        receiver.answer.set()
        sending.join(30)
    assert not sending.is_alive()
    assert summary.sent + summary.sent_late == len(receiver.names) > 0
    with db.transaction(runtime.sessions) as s:
        states = {d.status for d in s.query(Delivery)}
    assert "ready" not in states and "sending" not in states


def test_a_killed_senders_claims_return(runtime: Runtime, fake_source: FakeSource) -> None:
    _registry(runtime, fake_source)
    decide_due(runtime, NOW, config=CONFIG, source=fake_source)
    with db.transaction(runtime.sessions) as s:
        taken = claim(s, NOW)  # a sender claims, then dies before any receipt
    assert taken
    with db.transaction(runtime.sessions) as s:
        assert claim(s, NOW + CLAIM_TIMEOUT / 2) == []  # still someone's
    with db.transaction(runtime.sessions) as s:
        again = claim(s, NOW + CLAIM_TIMEOUT * 2)  # given back, and taken again
    assert sorted(c.delivery_id for c in again) == sorted(c.delivery_id for c in taken)

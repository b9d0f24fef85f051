"""A DLMS push call on the dial-in listener, stored like a reading (see :mod:`.push`): one
comm-log row (direction dial-in, purpose ``push``, the bytes as its transcript when refused),
a readout of kind ``push`` with the call's bytes and the mapped values, through the same
write-behind queue as every session."""

from __future__ import annotations

import logging

from sqlalchemy import select

from osos.domain import CommMode, ReadSource
from osos.headend.flush import SessionRecord
from osos.headend.push import Push, decode_pushes
from osos.headend.readplan import ReadOutcome
from osos.headend.scheduler import Scheduler
from osos.protocol.dlms.errors import DlmsError
from osos.store.ingest import PreparedReadout, prepare_values
from osos.store.models import Meter

log = logging.getLogger(__name__)


async def receive_push(scheduler: Scheduler, peer: str, data: bytes) -> int:
    """Store the pushes of one call; returns how many were stored."""
    try:
        pushes = decode_pushes(data)
    except DlmsError as exc:
        log.warning("push from %s: not stored: %s", peer, exc)
        return 0
    stored = 0
    for push in pushes:
        if push.ciphered or not push.serial:
            log.warning("push from %s: not stored (%s)", peer, _why(push))
            continue
        serial = push.serial
        meter = await scheduler.db.run(
            lambda s, serial=serial: s.execute(  # type: ignore[misc]
                select(Meter.id, Meter.protocol, Meter.dlms_authentication).where(
                    Meter.serial == serial
                )
            ).first()
        )
        if meter is None:
            log.warning("push from %s: unknown meter serial %r", peer, serial)
            continue
        record = _record(peer, data, push, meter.id, scheduler)
        if meter.dlms_authentication not in (None, "none") or not meter.protocol.is_dlms:
            record.outcome = ReadOutcome(
                error="push: an unauthenticated push for a meter registered with security",
                failed_step="push",
                identity_mismatch=f"{serial} (unauthenticated push)",
            )
            record.readout = None
        await scheduler.writer.submit(record)
        stored += record.readout is not None
    return stored


def _why(push: Push) -> str:
    return (
        "ciphered: the meter's keys are not looked up by system title"
        if push.ciphered
        else ("no logical device name or serial in it")
    )


def _record(
    peer: str, data: bytes, push: Push, meter_id: int, scheduler: Scheduler
) -> SessionRecord:
    now = scheduler.clock.now()
    readout = PreparedReadout(
        meter_id=meter_id,
        read_at=now,
        raw=data,
        kind="push",
        source=ReadSource.HEADEND,
        identification="DLMS push",
        meter_time=push.sent_at,
        values=prepare_values(push.values),
    )
    return SessionRecord(
        meter_id=meter_id,
        job_list=(),
        outcome=ReadOutcome(identification="DLMS push", readout_ok=True),
        ended_at=now,
        profile_done=True,
        direction=CommMode.DIAL_IN,
        purpose="push",
        peer=peer,
        started_at=now,
        traffic=(0, len(data), data),
        readout=readout,
        serial=push.serial or "",
    )

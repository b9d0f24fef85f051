"""A DLMS push call on the dial-in listener, stored like a reading (see :mod:`.push`): one
comm-log row (direction dial-in, purpose ``push``, the bytes as its transcript when refused),
a readout of kind ``push`` with the call's bytes and the mapped values, through the same
write-behind queue as every session.

Which meter pushed: a general-glo-ciphering push names its system title
(``meters.dlms_meter_system_title``); a plain push names its serial in the body; a
glo-ciphered push, or a plain one naming no serial, is known only by the frame's address
(``dlms_server_logical``/``dlms_server_physical``, one DLMS meter registered at it). A meter
that cannot be told is logged and nothing is stored. A ciphered push that does not open or
authenticate with the meter's keys, or whose invocation counter does not grow past the last
one, is a failed comm-log row of that meter, never data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from osos.domain import CommMode, Protocol, ReadSource
from osos.headend.flush import SessionRecord
from osos.headend.frame_counters import accept_received
from osos.headend.push import Layer, Push, PushSource, open_push, pushed_apdus, read_push
from osos.headend.readplan import ReadOutcome
from osos.headend.scheduler import Scheduler
from osos.protocol.dlms.errors import DlmsError, SecurityError
from osos.protocol.dlms.security import Keys
from osos.store.ingest import PreparedReadout, prepare_values
from osos.store.models import Meter
from osos.store.secrets import secrets_of

log = logging.getLogger(__name__)
DLMS_PROTOCOLS = tuple(p for p in Protocol if p.is_dlms)


@dataclass(frozen=True)
class PushMeter:
    """The registered meter a push belongs to (keys opened only for a ciphered push)."""

    meter_id: int
    serial: str
    is_dlms: bool
    secured: bool  # registered with a password or keys: a plain push proves nothing
    keys: Keys | None = None
    system_title: bytes | None = None  # the meter's own, from the registry


async def receive_push(scheduler: Scheduler, peer: str, data: bytes) -> int:
    """Store the pushes of one call; returns how many were stored."""
    try:
        units = pushed_apdus(data)
    except DlmsError as exc:
        log.warning("push from %s: not stored: %s", peer, exc)
        return 0
    stored = 0
    for apdu, source in units:
        try:
            push = read_push(apdu, source)
        except DlmsError as exc:
            log.warning("push from %s (%s): not stored: %s", peer, source, exc)
            continue
        found = await scheduler.db.run(lambda s, push=push: find_meter(s, push))  # type: ignore[misc]
        if isinstance(found, str):
            log.warning("push from %s (%s): not stored: %s", peer, source, found)
            continue
        record = await _decide(scheduler, peer, data, push, found)
        await scheduler.writer.submit(record)
        stored += record.readout is not None
    return stored


async def _decide(
    scheduler: Scheduler, peer: str, data: bytes, push: Push, meter: PushMeter
) -> SessionRecord:
    if push.ciphered is None:
        record = _record(peer, data, push, meter.meter_id, scheduler)
        if meter.secured or not meter.is_dlms:
            return _refused(
                record,
                "push: an unauthenticated push for a meter registered with security",
                identity=f"{push.serial or meter.serial} (unauthenticated push)",
            )
        return record
    if meter.keys is None:
        record = _record(peer, data, push, meter.meter_id, scheduler)
        return _refused(record, f"push: ciphered, but meter {meter.serial} has no keys registered")
    try:
        opened = open_push(push, meter.keys, meter.system_title)
    except DlmsError as exc:  # SecurityError included: the tag does not verify
        log.warning("push from %s: meter %s: refused: %s", peer, meter.serial, exc)
        record = _record(peer, data, push, meter.meter_id, scheduler)
        return _refused(record, f"push: authentication failed: {exc}")
    record = _record(peer, data, opened, meter.meter_id, scheduler)
    if opened.serial and opened.serial != meter.serial:
        return _refused(
            record,
            f"push: names meter {opened.serial}, its keys are meter {meter.serial}'s",
            identity=opened.serial,
        )
    counter = push.invocation_counter or 0
    try:
        await scheduler.db.run(lambda s: accept_received(s, meter.meter_id, counter))
    except SecurityError as exc:
        log.warning("push from %s: meter %s: %s", peer, meter.serial, exc)
        return _refused(record, f"push: {exc}")
    return record


def find_meter(session: Session, push: Push) -> PushMeter | str:
    """The meter the push belongs to, or why none can be named."""
    title = push.system_title
    if title is not None:
        meters = list(
            session.scalars(select(Meter).where(Meter.dlms_meter_system_title == title.hex()))
        )
        if not meters:
            return f"no meter registered with system title {title.hex()}"
    elif push.ciphered is None and push.serial:
        meters = list(session.scalars(select(Meter).where(Meter.serial == push.serial)))
        if not meters:
            return f"unknown meter serial {push.serial!r}"
    else:
        if push.source is None:
            return "no system title, serial or address to tell the meter by"
        meters = list(session.scalars(_at_address(push.source)))
        what = "ciphered without a system title" if push.ciphered else "no serial in it"
        if not meters:
            return f"{what}, and no DLMS meter is registered at {push.source}"
        if len(meters) > 1:
            serials = ", ".join(sorted(m.serial for m in meters))
            return f"{what}, and {len(meters)} meters are registered at {push.source}: {serials}"
    (meter,) = meters
    return _push_meter(session, meter, ciphered=push.ciphered is not None)


def _at_address(source: PushSource) -> Select[Meter]:
    query = select(Meter).where(
        Meter.protocol.in_(DLMS_PROTOCOLS), Meter.dlms_server_logical == source.logical
    )
    if source.layer is Layer.HDLC:
        physical = Meter.dlms_server_physical
        query = query.where(
            physical.is_(None) if source.physical is None else physical == source.physical
        )
    return query


def _push_meter(session: Session, meter: Meter, ciphered: bool) -> PushMeter:
    secured = meter.dlms_authentication not in (None, "none") or bool(meter.dlms_encryption_key)
    keys = None
    if ciphered and meter.dlms_encryption_key and meter.dlms_authentication_key:
        secrets = secrets_of(session)
        keys = Keys(
            bytes.fromhex(secrets.open(meter.dlms_encryption_key, meter.serial) or ""),
            bytes.fromhex(secrets.open(meter.dlms_authentication_key, meter.serial) or ""),
        )
    title = meter.dlms_meter_system_title
    return PushMeter(
        meter.id,
        meter.serial,
        meter.protocol.is_dlms,
        secured,
        keys,
        bytes.fromhex(title) if title else None,
    )


def _refused(record: SessionRecord, error: str, identity: str | None = None) -> SessionRecord:
    record.outcome = ReadOutcome(error=error, failed_step="push", identity_mismatch=identity)
    record.readout = None
    return record


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

"""One session's edges: the link opened and closed around the reader, and the report of what
the session did once its record was stored."""

from __future__ import annotations

import logging

from osos.errors import NotFound
from osos.headend.config import Connector, HeadendConfig, MeterReadReport, timeouts_for
from osos.headend.dlms_reading import DlmsMeterReader
from osos.headend.flush import SessionRecord, SessionStored
from osos.headend.jobs import MeterTarget
from osos.headend.reading import MeterReader
from osos.headend.readplan import ReadOutcome, ReadRequest
from osos.headend.redact import redact
from osos.headend.storage import MemorySink
from osos.protocol.dlms.security import FrameCounter
from osos.store.intervals import ProfileIngestResult
from osos.timeutil import Clock
from osos.transport.base import Transport, TransportError

log = logging.getLogger("osos.headend.scheduler")


async def run_link(
    target: MeterTarget,
    request: ReadRequest,
    sink: MemorySink,
    link: Transport | None,
    config: HeadendConfig,
    connector: Connector,
    clock: Clock,
    counter: FrameCounter | None = None,
) -> tuple[ReadOutcome, int, int, bytes]:
    """Open the link, run the meter's protocol reader over it, close it: (outcome, sent,
    received, transcript). ``counter``: the HLS-GMAC invocation counters reserved for the call."""
    timeouts = timeouts_for(target, config)
    try:
        link = link or connector(target)
    except NotFound as exc:
        return ReadOutcome(error=f"connect: {exc}", failed_step="connect"), 0, 0, b""
    try:
        await link.open(timeout=timeouts.connect)
    except TransportError as exc:
        await link.close()
        return ReadOutcome(error=f"connect: {exc}", failed_step="connect"), 0, 0, b""
    try:
        reader: MeterReader | DlmsMeterReader
        if request.dlms is not None:
            reader = DlmsMeterReader(
                link, request, sink, clock=clock, timeouts=timeouts, counter=counter
            )
        else:
            reader = MeterReader(link, request, sink, clock=clock, timeouts=timeouts)
        outcome = await reader.run()
    finally:
        await link.close()
    secret = request.dlms.password if request.dlms is not None else request.password
    return outcome, link.bytes_sent, link.bytes_received, redact(link.transcript, secret)


def report(
    target: MeterTarget,
    record: SessionRecord,
    sink: MemorySink | None,
    request: ReadRequest,
    stored: SessionStored,
) -> MeterReadReport:
    """What one session did, for the CLI, the tests and the log."""
    outcome = record.outcome
    values = sink.values if sink is not None else ()
    log.log(
        logging.INFO if outcome.error is None else logging.WARNING,
        "meter %s: %s%s; %d value(s), intervals +%d =%d !%d",
        target.serial,
        outcome.outcome,
        f" ({outcome.error})" if outcome.error else "",
        len(values),
        stored.profile.inserted,
        stored.profile.unchanged,
        stored.profile.conflicts,
    )
    return MeterReadReport(
        serial=target.serial,
        outcome=outcome.outcome,
        error=outcome.error,
        values=values,
        profile=stored.profile,
        profile_range=(
            (request.profile_from, request.profile_to or record.ended_at)
            if request.profile_from is not None
            else None
        ),
        clock=sink.clock_check if sink is not None else None,
        comm_log_id=stored.comm_log_id,
        jobs=stored.jobs,
    )


class Crashed(ReadOutcome):
    """The outcome of a session that raised: recorded as an internal error, then re-raised."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(error=f"internal error: {exc!r}", failed_step="internal")
        self.exc = exc


def deferred(target: MeterTarget) -> MeterReadReport:
    return MeterReadReport(
        serial=target.serial,
        outcome="deferred",
        error="the modem is in a session of another head-end; jobs given back",
        values=(),
        profile=ProfileIngestResult(),
        profile_range=None,
        clock=None,
        comm_log_id=None,
    )


def first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]

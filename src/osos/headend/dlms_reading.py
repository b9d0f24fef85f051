"""One reading session with a DLMS/COSEM meter: the protocol package's sans-io
:class:`~osos.protocol.dlms.reader.DlmsReader` driven over a transport.

The counterpart of :mod:`osos.headend.reading` (IEC 62056-21), with the same request, sink
and outcome: the reader decides every byte, this module moves them with the same bounded
waits and hands the results over as :class:`ReadoutData` (the registers, the raw bytes being
every frame of the session in wire order), one :class:`ProfileChunk` (the intervals of the
range reads that answered whole) and the event logs read after it over the same range as
one :class:`EventLogData` (the P.98 representation, the frames of those reads), so the
store cannot tell which protocol read a meter.
Framing by the registry's protocol: the IP wrapper, HDLC over TCP, or HDLC after an IEC
62056-21 sign-on (mode E).
"""

from __future__ import annotations

import datetime as dt
import logging

from osos.errors import DataRejected
from osos.headend.identity import check_identity
from osos.headend.readplan import (
    DlmsAccess,
    EventLogData,
    ProfileChunk,
    ReadFailed,
    ReadOutcome,
    ReadoutData,
    ReadRequest,
    ReadSink,
    Timeouts,
)
from osos.headend.redact import redact
from osos.protocol.dlms.association import Authentication, ClientSettings
from osos.protocol.dlms.errors import DlmsError
from osos.protocol.dlms.hdlc import HdlcAddress
from osos.protocol.dlms.link import HdlcLink, Link, WrapperLink
from osos.protocol.dlms.meter_profiles import DlmsProfile, profile_by_key, profile_for
from osos.protocol.dlms.mode_e import ModeE
from osos.protocol.dlms.read_plan import ReadPlan
from osos.protocol.dlms.reader import DlmsReader
from osos.protocol.dlms.security import FrameCounter, Keys
from osos.protocol.iec62056_21.adapter import log_values
from osos.readings import ClockCheck
from osos.timeutil import Clock, SystemClock
from osos.transport.base import Transport, TransportError, loop_time

log = logging.getLogger(__name__)

DEFAULT_TITLE = b"OSOS\x00\x00\x00\x01"
PRE_ASSOCIATION = frozenset({"IDLE", "LINKING", "LINKED", "ASSOCIATING", "AUTHENTICATING"})


def client_settings(access: DlmsAccess, profile: DlmsProfile) -> ClientSettings:
    """The association's settings from the registry's DLMS columns."""
    keys = None
    if access.encryption_key and access.authentication_key:
        keys = Keys(bytes.fromhex(access.encryption_key), bytes.fromhex(access.authentication_key))
    return ClientSettings(
        client_sap=access.client_sap,
        server_logical=access.server_logical,
        server_physical=access.server_physical,
        authentication=Authentication(access.authentication),
        password=access.password.encode("latin-1") if access.password else None,
        keys=keys if access.authentication == "hls-gmac" else None,
        system_title=bytes.fromhex(access.system_title) if access.system_title else DEFAULT_TITLE,
        deviation=profile.deviation,
    )


def dlms_link(access: DlmsAccess) -> Link:
    if access.framing == "wrapper":
        return WrapperLink(access.client_sap, access.server_logical)
    server = HdlcAddress.server(access.server_logical, access.server_physical)
    return HdlcLink(HdlcAddress(access.client_sap), server)


def meter_profile(request: ReadRequest) -> DlmsProfile:
    key = request.dlms.profile if request.dlms is not None else None
    if key:
        try:
            return profile_by_key(key)
        except KeyError:
            pass  # an IEC profile key, or a typo: the FLAG decides
    return profile_for(request.flag)


class DlmsMeterReader:
    """Runs one :class:`ReadRequest` of a DLMS meter over an open transport; never raises
    for a meter fault (see :class:`ReadOutcome`)."""

    def __init__(
        self,
        link: Transport,
        request: ReadRequest,
        sink: ReadSink,
        *,
        clock: Clock | None = None,
        timeouts: Timeouts | None = None,
        counter: FrameCounter | None = None,
    ) -> None:
        assert request.dlms is not None
        self.link = link
        self.request = request
        self.access = request.dlms
        self.sink = sink
        self.clock = clock or SystemClock()
        self.timeouts = timeouts or Timeouts()
        self.counter = counter
        self.outcome = ReadOutcome()
        self.profile = meter_profile(request)
        self._step = "association"

    def plan(self) -> ReadPlan:
        request = self.request
        start = request.profile_from
        return ReadPlan(
            registers=None if request.readout else (),
            clock=request.readout or request.clock_check,
            max_drift=request.max_drift if request.clock_check else None,
            # the reader reads rows after this: the first interval end wanted minus a second
            profile_from=start - dt.timedelta(seconds=1) if start is not None else None,
            profile_to=request.profile_to,
            profile_chunk=request.profile_chunk,
        )

    async def run(self) -> ReadOutcome:
        now = self.clock.now()
        reader = DlmsReader(
            self.plan(),
            client_settings(self.access, self.profile),
            dlms_link(self.access),
            self.profile,
            now=now,
            counter=self.counter,
        )
        deadline = loop_time() + self.timeouts.session
        try:
            if self.access.framing == "mode-e":
                await self._mode_e(deadline)
            await self._drive(reader, deadline)
        except TransportError as exc:
            self._fail(self._step, str(exc))
        except DlmsError as exc:
            self._fail(self._step, f"protocol error: {exc}")
        try:
            await self._hand_over(reader)
        except DataRejected as exc:  # the store refuses a value (e.g. finer than 0.001)
            self.outcome.error = None
            self._fail(self._step, f"not stored: {exc}")
        return self.outcome

    async def _mode_e(self, deadline: float) -> None:
        """The IEC 62056-21 sign-on, then ``ACK 2 Z 2``: the line continues in HDLC."""
        self._step = "identification"
        mode = ModeE(self.request.address)
        await self.link.send(mode.start())
        while (ident := mode.receive(await self._receive(deadline))) is None:
            pass
        self.outcome.identification = ident.to_bytes().decode("ascii", "replace").strip()
        await self.link.send(mode.switch())
        await self.link.set_baud(mode.baud)
        self._step = "association"

    async def _receive(self, deadline: float) -> bytes:
        step_deadline = min(deadline, loop_time() + self.timeouts.step)
        return await self.link.receive(
            inter_byte_timeout=self.timeouts.inter_byte, deadline=step_deadline
        )

    async def _drive(self, reader: DlmsReader, deadline: float) -> None:
        reader.start()
        while not reader.done:
            data = reader.data_to_send()
            if data:
                await self.link.send(data)
            if reader.done:
                break
            self._step = self._current_step(reader)
            reader.receive_data(await self._receive(deadline))

    def _current_step(self, reader: DlmsReader) -> str:
        if reader.client.state.name in PRE_ASSOCIATION:
            return "association"
        if reader.client.state.name in ("RELEASING", "UNLINKING"):
            return "release"
        if reader.result.event_frames is not None:
            return "event log"
        return "profile" if reader.profile_wanted else "readout"

    @property
    def _proven(self) -> bool:
        """An association with a password or keys that the meter accepted (values came)."""
        return self.access.authentication != "none"

    def _fail(self, step: str, message: str) -> None:
        if self.outcome.error is not None:
            return
        self.outcome.failed_step = step
        self.outcome.error = message if message.startswith(step) else f"{step}: {message}"
        log.info("meter %s: %s", self.request.serial, self.outcome.error)

    async def _hand_over(self, reader: DlmsReader) -> None:
        """Store what arrived whole, then judge the session."""
        result = reader.result
        raw = redact(b"".join(f for _direction, f in result.transcript), self.access.password)
        ident = self.outcome.identification or f"DLMS/COSEM {self.profile.key}"
        self.outcome.identification = ident
        if reader.failed and self.outcome.error is None:
            self._fail(self._step, result.errors[-1] if result.errors else "session ended")
        self.outcome.notes.extend(e for e in result.errors if e != self.outcome.error)
        if result.values:
            try:
                check_identity(self.request, result.values, self.outcome, verified=self._proven)
            except ReadFailed as exc:
                self.outcome.error = None  # the identity is the reason, whatever came before
                self._fail(exc.step, str(exc))
                return
            meter_time = result.clock.meter_time if result.clock is not None else None
            data = ReadoutData(raw, ident, tuple(result.values), meter_time, tuple(result.errors))
            await self.sink.readout(data)
            self.outcome.readout_ok = True
        elif self.request.readout:
            self._fail("readout", "no register answered")
        if result.clock is not None and self.request.clock_check:
            c = result.clock
            check = ClockCheck(c.meter_time, c.head_end_time, c.drift, c.set_to, c.accepted)
            self.outcome.clock = check
            await self.sink.clock(check)
        await self._hand_over_profile(reader, raw, ident)
        await self._hand_over_events(reader, ident)

    async def _hand_over_profile(self, reader: DlmsReader, raw: bytes, ident: str) -> None:
        request = self.request
        if request.profile_from is None:
            return
        records = tuple(reader.result.records)
        complete = (
            not reader.failed
            and self.outcome.error is None
            and reader.profile_chunks == reader.profile_wanted > 0
        )
        if records:
            await self.sink.profile(
                ProfileChunk(
                    raw=raw,
                    identification=ident,
                    records=records,
                    requested_from=request.profile_from,
                    requested_to=request.profile_to or self.clock.now(),
                    complete=complete,
                )
            )
            self.outcome.profile_chunks += reader.profile_chunks
            self.outcome.profile_records += len(records)
        if complete:
            self.outcome.profile_ok = True
        elif self.outcome.error is None:
            self._fail("profile", "the load profile was not readable")

    async def _hand_over_events(self, reader: DlmsReader, ident: str) -> None:
        """The event logs that answered, as the IEC P.98 path stores its log: a response of
        kind ``event_log`` holding the frames of those reads, its events as ``P.98*k``."""
        result = reader.result
        if not result.event_logs_read:
            return
        raw = redact(result.event_log_raw, self.access.password)
        await self.sink.event_log(
            EventLogData(raw, ident, log_values(sorted(result.events, key=lambda e: e[0])))
        )

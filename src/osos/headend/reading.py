"""One reading session with one meter: the codec's sans-io client driven over a transport.

The codec's :class:`~osos.protocol.iec62056_21.session.ClientSession` decides every byte; this
module moves the bytes, bounds every wait (an inter-byte timeout, a deadline per step and one
per session) and hands what arrived to a :class:`ReadSink` as soon as it is complete, so a
line that drops mid-profile loses nothing that had arrived whole. Per-model choices (R2 or R5,
baud switch, P.01 request and layout, time format) come from the codec's meter-profile table.

Sequence: readout (mode 0); then, when the profile or the clock is wanted, a second sign-on in
programming mode: password from the registry → meter time (0.9.1/0.9.2) → time set when the
drift exceeds the limit → P.01 in chunks → the event log (P.98) when the meter profile says the
meter keeps one → B0.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from osos.errors import DataRejected, ProtocolError
from osos.headend.identity import check_identity
from osos.headend.readplan import (
    EventLogData,
    ProfileChunk,
    ReadFailed,
    ReadOutcome,
    ReadoutData,
    ReadRequest,
    ReadSink,
    Timeouts,
)
from osos.protocol.iec62056_21.adapter import (
    event_values,
    interval_records,
    meter_clock,
    parse_meter_clock,
    read_values,
)
from osos.protocol.iec62056_21.datasets import tokenize
from osos.protocol.iec62056_21.errors import ProfileError, SessionError
from osos.protocol.iec62056_21.eventlog import event_log_request, frame_text, parse_event_log
from osos.protocol.iec62056_21.events import (
    BadBcc,
    DataReceived,
    ErrorReceived,
    Event,
    Identified,
    NeedMoreData,
    PartialBlockReceived,
    PasswordAccepted,
    PasswordRejected,
    PasswordRequested,
    ProfileReceived,
    ReadoutReceived,
    SessionClosed,
    WriteAccepted,
)
from osos.protocol.iec62056_21.framing import ParityCodec
from osos.protocol.iec62056_21.messages import DataMessage
from osos.protocol.iec62056_21.profile import scan_profile
from osos.protocol.iec62056_21.session import PROGRAMMING, READOUT, ClientSession
from osos.readings import EVENT_LOG_LEAD, ClockCheck
from osos.timeutil import LOCAL_TZ, Clock, SystemClock
from osos.transport.base import ReceiveTimeout, Transport, TransportError, loop_time

log = logging.getLogger(__name__)

READOUT_ATTEMPTS = 3  # sign-ons per readout when its BCC fails (mode C cannot repeat one)


class MeterReader:
    """Runs one :class:`ReadRequest` over an open transport; never raises for a meter fault."""

    def __init__(
        self,
        link: Transport,
        request: ReadRequest,
        sink: ReadSink,
        *,
        clock: Clock | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.link = link
        self.request = request
        self.sink = sink
        self.clock = clock or SystemClock()
        self.timeouts = timeouts or Timeouts()
        self.session = self._new_session()
        self.outcome = ReadOutcome()
        self._bcc_errors = 0
        self._session_deadline = 0.0
        self._partial: list[bytes] = []
        self._step = "connect"

    def _new_session(self) -> ClientSession:
        return ClientSession(
            address=self.request.address,
            profile=self.request.meter_profile,
            parity=ParityCodec(software=self.request.software_parity),
        )

    async def run(self) -> ReadOutcome:
        """Every step the request asks for; a failing step ends the session (see outcome)."""
        self._session_deadline = loop_time() + self.timeouts.session
        try:
            if self.request.readout:
                await self._readout()
            if self.request.wants_programming:
                if self.request.password is None:
                    raise ReadFailed("password", "no meter password in the registry")
                if self.request.readout and self.timeouts.pause:
                    await asyncio.sleep(self.timeouts.pause)
                await self._programming()
        except ReadFailed as exc:
            self._fail(exc.step, str(exc))
        except TransportError as exc:
            self._fail(self._step, str(exc))
        except (ProtocolError, SessionError) as exc:
            self._fail(self._step, f"protocol error: {exc}")
        except DataRejected as exc:  # the store refuses a value (e.g. finer than 0.001)
            self._fail(self._step, f"not stored: {exc}")
        finally:
            self.outcome.bcc_errors = self._bcc_errors + self.session.bcc_errors
        return self.outcome

    def _fail(self, step: str, message: str) -> None:
        self.outcome.failed_step = step
        self.outcome.error = message if message.startswith(step) else f"{step}: {message}"
        log.info("meter %s: %s", self.request.serial, self.outcome.error)

    # -- exchanges

    async def _send(self, data: bytes) -> None:
        await self.link.send(data)

    async def _next(self, step: str) -> Event:
        """The next meaningful event of this step: more bytes, NAK on bad BCC, ACK on partial."""
        self._step = step
        deadline = min(loop_time() + self.timeouts.step, self._session_deadline)
        heard = 0  # bytes this step that made no message yet: noise, when the line goes quiet
        while True:
            event = self.session.next_event()
            if isinstance(event, NeedMoreData):
                try:
                    data = await self.link.receive(
                        inter_byte_timeout=self.timeouts.inter_byte, deadline=deadline
                    )
                except ReceiveTimeout as exc:
                    if heard:
                        raise ReadFailed(
                            step, f"{heard} bytes but no valid message (line noise?)"
                        ) from exc
                    raise
                heard += len(data)
                self.session.receive_data(data)
                continue
            heard = 0
            if isinstance(event, BadBcc):
                if step == "readout":
                    return event  # mode C has no repeat for a readout: sign on again
                try:
                    await self._send(self.session.send_nak())
                except SessionError as exc:
                    raise ReadFailed(step, f"bad BCC {event.count} times, gave up") from exc
                continue
            if isinstance(event, PartialBlockReceived):
                self._partial.append(event.raw)
                await self._send(self.session.send_ack())
                continue
            if isinstance(event, SessionClosed):
                raise ReadFailed(step, event.reason)
            return event

    async def _sign_on(self, mode: str) -> Identified:
        await self._send(self.session.send_request())
        event = await self._next("identification")
        if not isinstance(event, Identified):
            raise ReadFailed("identification", f"unexpected {type(event).__name__}")
        text = event.identification.to_bytes().decode("ascii").strip()
        self.outcome.identification = text
        await self._send(self.session.send_option_select(mode))
        await self.link.set_baud(self.session.baud)
        return event

    async def _readout(self) -> None:
        for attempt in range(READOUT_ATTEMPTS):
            await self._sign_on(READOUT)
            self._partial = []
            event = await self._next("readout")
            if not isinstance(event, BadBcc):
                break
            self._bcc_errors += self.session.bcc_errors
            self.session = self._new_session()
            if attempt + 1 == READOUT_ATTEMPTS:
                raise ReadFailed("readout", f"bad BCC in {READOUT_ATTEMPTS} readouts, gave up")
        if not isinstance(event, ReadoutReceived):
            raise ReadFailed("readout", f"unexpected {type(event).__name__}")
        values = read_values(event.data_sets)
        check_identity(self.request, values, self.outcome, verified=False)
        data = ReadoutData(
            raw=event.raw,
            identification=self.outcome.identification or "",
            values=values,
            meter_time=meter_clock(values, self.session.profile),
            errors=event.errors,
        )
        await self.sink.readout(data)
        self.outcome.readout_ok = True

    async def _programming(self) -> None:
        await self._sign_on(PROGRAMMING)
        event = await self._next("password")
        if not isinstance(event, PasswordRequested):
            raise ReadFailed("password", f"no P0 from the meter ({type(event).__name__})")
        assert self.request.password is not None
        await self._send(self.session.send_password(self.request.password))
        event = await self._next("password")
        if isinstance(event, PasswordRejected):
            await self._break()
            raise ReadFailed("password", "password rejected by the meter")
        if not isinstance(event, PasswordAccepted):
            raise ReadFailed("password", f"unexpected {type(event).__name__}")
        if self.request.clock_check:
            await self._clock()
        if self.request.profile_from is not None:
            await self._profile()
            if self.session.profile.event_log:
                await self._event_log(self.session.profile.event_log)
        await self._break()

    async def _break(self) -> None:
        with contextlib.suppress(SessionError):  # the meter may have signed off already
            await self._send(self.session.send_break())

    async def _read_register(self, address: str) -> str | None:
        await self._send(self.session.send_read(address))
        event = await self._next("clock")
        if isinstance(event, ErrorReceived):
            return None
        if not isinstance(event, DataReceived) or not event.data_sets:
            raise ReadFailed("clock", f"unexpected answer to {address}")
        return event.data_sets[0].first.text

    async def _clock(self) -> None:
        profile = self.session.profile
        time_text = await self._read_register(profile.time_address)
        date_text = await self._read_register(profile.date_address)
        now = self.clock.now()
        meter_time = (
            parse_meter_clock(date_text, time_text, profile) if time_text and date_text else None
        )
        if meter_time is None:
            self.outcome.notes.append("meter time not readable")
            return
        check = ClockCheck(meter_time, now, meter_time - now)
        if abs(check.drift) > self.request.max_drift:
            target = self.clock.now()
            accepted = await self._write_clock(target, meter_time)
            check = ClockCheck(meter_time, now, check.drift, target, accepted)
            if not accepted:
                self.outcome.notes.append("time set rejected by the meter")
        self.outcome.clock = check
        await self.sink.clock(check)

    async def _write_clock(self, target: dt.datetime, meter_time: dt.datetime) -> bool:
        await self._send(self.session.send_time_set(target))
        event = await self._next("time set")
        if not isinstance(event, WriteAccepted):
            return False
        if target.astimezone(LOCAL_TZ).date() != meter_time.astimezone(LOCAL_TZ).date():
            await self._send(self.session.send_date_set(target))
            event = await self._next("time set")
            return isinstance(event, WriteAccepted)
        return True

    async def _event_log(self, address: str) -> None:
        """The meter's event log over the profile's range (its covers, magnet, outages)."""
        assert self.request.profile_from is not None
        since = self.request.profile_from - EVENT_LOG_LEAD
        args = event_log_request(since, self.request.profile_to)
        await self._send(self.session.send_read(address, args))
        event = await self._next("event log")
        if isinstance(event, ErrorReceived):
            self.outcome.notes.append(f"{address}: the meter answered {event.text!r}")
            return
        if not isinstance(event, DataReceived):
            raise ReadFailed("event log", f"unexpected {type(event).__name__}")
        try:
            entries = parse_event_log(frame_text(event.raw))
        except ProfileError as exc:
            raise ReadFailed("event log", str(exc)) from exc
        values = event_values(entries, self.session.profile)
        await self.sink.event_log(
            EventLogData(event.raw, self.outcome.identification or "", values)
        )

    async def _profile(self) -> None:
        request = self.request
        assert request.profile_from is not None
        end = request.profile_to or self.clock.now()
        start = request.profile_from
        while start <= end:
            chunk_end = min(end, start + request.profile_chunk)
            await self._profile_chunk(start, chunk_end)
            start = chunk_end + dt.timedelta(minutes=1)
        self.outcome.profile_ok = True

    async def _profile_chunk(self, start: dt.datetime, end: dt.datetime) -> None:
        self._partial = []
        await self._send(self.session.send_profile_request(start, end))
        try:
            event = await self._next("profile")
        except TransportError:
            await self._store_partial(start, end)
            raise
        if isinstance(event, ErrorReceived):
            raise ReadFailed("profile", f"the meter answered {event.text!r} to P.01")
        if not isinstance(event, ProfileReceived):
            raise ReadFailed("profile", f"unexpected {type(event).__name__}")
        records = interval_records(event.profile)
        if event.errors:
            self.outcome.notes.append(f"P.01 {start:%Y-%m-%d %H:%M}: {event.errors[0]}")
            log.warning("meter %s: P.01 parse problems: %s", self.request.serial, event.errors)
        await self.sink.profile(
            ProfileChunk(
                raw=event.raw,
                identification=self.outcome.identification or "",
                records=records,
                requested_from=start,
                requested_to=end,
                complete=True,
                errors=event.errors,
            )
        )
        self.outcome.profile_chunks += 1
        self.outcome.profile_records += len(records)

    async def _store_partial(self, start: dt.datetime, end: dt.datetime) -> None:
        """The line dropped mid-profile: keep the blocks that arrived whole (BCC checked)."""
        if not self._partial:
            return
        text = "".join(DataMessage.from_bytes(frame).data for frame in self._partial)
        text = text[: text.rfind("\n") + 1]  # whole lines only
        items, _errors, _complete, _rest = tokenize(text)
        profile, errors = scan_profile(items, self.session.profile.profile_layout)
        records = interval_records(profile)
        if not records:
            return
        await self.sink.profile(
            ProfileChunk(
                raw=b"".join(self._partial),
                identification=self.outcome.identification or "",
                records=records,
                requested_from=start,
                requested_to=end,
                complete=False,
                errors=tuple(errors),
            )
        )
        self.outcome.profile_chunks += 1
        self.outcome.profile_records += len(records)

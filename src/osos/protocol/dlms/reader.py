"""The high-level DLMS reader, sans-io: what to read in, domain values out.

Given a :class:`ReadPlan` (registers, the clock with an optional set when it drifts, the
load profile from the last stored interval), it drives link → association → GETs (and the
clock SET) → release → link close over a :class:`~.client.DlmsClient`, and turns every
answer into :class:`~osos.readings.ReadValue` / :class:`~osos.readings.IntervalRecord` with
the :mod:`.adapter`. The head-end only moves bytes and persists the frame counter::

    reader = DlmsReader(plan, settings, link, profile, now=clock.now(), counter=counter)
    reader.start()
    while not reader.done:
        transport.write(reader.data_to_send())
        reader.receive_data(await transport.read_some())   # with a deadline
    result = reader.result      # values, records, clock check, errors, transcript

A refused register is a note in ``result.errors``, not the end of the read.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable

from osos.readings import EVENT_LOG_LEAD, ClockCheck

from .adapter import interval_records, log_events, read_value
from .association import ClientSettings
from .axdr import Data
from .classes import ScalerUnit, capture_objects, clock_time, date_time_data, profile_rows
from .client import (
    ActionDone,
    Associated,
    Closed,
    DlmsClient,
    Event,
    GetDone,
    LinkUp,
    NeedMoreData,
    Released,
    ServiceFailed,
    SetDone,
)
from .cosem import AttributeDescriptor, ClassId, RangeDescriptor, SelectiveAccess
from .dates import DateTime
from .errors import DlmsError
from .link import Link
from .meter_profiles import DlmsProfile, EventLogSpec, RegisterSpec
from .read_plan import ReadPlan, ReadResult
from .security import FrameCounter
from .xdlms import Result, result_name

MULTIPLE_REFERENCES = 0x000200  # conformance bit 14: GET with-list


Handler = Callable[[Event], None]


class DlmsReader:
    def __init__(
        self,
        plan: ReadPlan,
        settings: ClientSettings,
        link: Link,
        profile: DlmsProfile,
        *,
        now: dt.datetime,
        counter: FrameCounter | None = None,
        challenge: bytes | None = None,
    ) -> None:
        self.plan = plan
        self.profile = profile
        self.now = now
        self.client = DlmsClient(settings, link, counter=counter, challenge=challenge)
        self.result = ReadResult(transcript=self.client.transcript)
        self.done = False
        self.failed = False  # the session ended early (association, a link or decode error)
        self.profile_chunks = 0  # range reads that answered (their records are in result)
        self.profile_wanted = 0  # range reads queued (known once the capture objects are)
        self._steps: deque[tuple[Callable[[], None], Handler]] = deque()
        self._handler: Handler | None = None
        self._scalers: dict[AttributeDescriptor, ScalerUnit] = {}
        self._columns: tuple[AttributeDescriptor, ...] = ()
        self._period = profile.capture_period

    # -- driving

    def start(self) -> None:
        self._steps.extend(
            [
                (self.client.connect, self._expect(LinkUp)),
                (self.client.associate, self._on_associated),
            ]
        )
        self._next()

    def data_to_send(self) -> bytes:
        return self.client.data_to_send()

    def receive_data(self, data: bytes) -> None:
        try:
            self.client.receive_data(data)
            while not isinstance(event := self.client.next_event(), NeedMoreData):
                self._dispatch(event)
        except DlmsError as exc:
            self._fail(str(exc))

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, Closed):
            self._finish()
            return
        if isinstance(event, ServiceFailed):
            self.result.errors.append(str(event.error))
        elif self._handler is not None:
            self._handler(event)
        self._next()

    def _next(self) -> None:
        while self._steps:
            issue, handler = self._steps.popleft()
            self._handler = handler
            try:
                issue()
            except DlmsError as exc:
                self._fail(str(exc))
                return
            if isinstance(event := self.client.next_event(), NeedMoreData):
                return
            handler(event)  # the wrapper link answers connect at once
        if not self.done and self.client.state.name == "CLOSED":
            self._finish()

    def _fail(self, message: str) -> None:
        self.failed = True
        self.result.errors.append(message)
        self._steps.clear()
        self._finish()

    def _finish(self) -> None:
        self.done = True
        cipher = self.client.cipher
        self.result.invocation_counter = cipher.last_sent if cipher is not None else None

    def _expect(self, kind: type) -> Handler:
        def handle(event: Event) -> None:
            if not isinstance(event, kind):
                self._fail(f"expected {kind.__name__}, got {type(event).__name__}")

        return handle

    # -- plan

    def _on_associated(self, event: Event) -> None:
        if not isinstance(event, Associated):
            self._fail(f"association failed: {event!r}")
            return
        conformance = event.initiate.conformance if event.initiate else 0
        with_list = bool(conformance & MULTIPLE_REFERENCES)
        if self.plan.clock:
            clock = AttributeDescriptor(ClassId.CLOCK, self.profile.clock, 2)
            self._steps.append((lambda: self.client.get(clock), self._on_clock))
        for spec in self._wanted():
            self._queue_register(spec, with_list)
        if self.plan.profile_from is not None:
            self._queue_profile(with_list)
            for log in self.profile.event_logs:
                self._queue_event_log(log)
        self._steps.append((self.client.release, self._expect(Released)))
        self._steps.append((self.client.disconnect, lambda event: None))

    def _wanted(self) -> list[RegisterSpec]:
        if self.plan.registers is None:
            return list(self.profile.registers)
        specs = [self.profile.register(code) for code in self.plan.registers]
        for code, spec in zip(self.plan.registers, specs, strict=True):
            if spec is None:
                self.result.errors.append(f"register {code}: not in the meter profile's table")
        return [s for s in specs if s is not None]

    def _get(
        self,
        items: tuple[AttributeDescriptor, ...],
        with_list: bool,
        handle: Callable[[tuple[Result, ...]], None],
    ) -> None:
        """GET ``items`` with one with-list request, or one request each."""
        if with_list and len(items) > 1:

            def on_list(event: Event) -> None:
                if isinstance(event, GetDone):
                    handle(event.results)

            self._steps.append((lambda: self.client.get_list([(i, None) for i in items]), on_list))
            return
        collected: list[Result] = []
        for index, item in enumerate(items):

            def on_one(event: Event, last: bool = index == len(items) - 1) -> None:
                if isinstance(event, GetDone):
                    collected.extend(event.results)
                if last:
                    handle(tuple(collected))

            self._steps.append((lambda item=item: self.client.get(item), on_one))  # type: ignore[misc]

    def _queue_register(self, spec: RegisterSpec, with_list: bool) -> None:
        items = spec.attributes()

        def handle(results: tuple[Result, ...]) -> None:
            if len(results) != len(items) or results[0].data is None:
                error = results[0].error if results else 0
                self.result.errors.append(f"{items[0]}: {result_name(error)} ({spec.osos})")
                return
            found = {a.attribute: r.data for a, r in zip(items, results, strict=True)}
            scaler_data = found.get(spec.scaler_attribute or -1)
            scaler = ScalerUnit.from_data(scaler_data) if scaler_data is not None else None
            capture = found.get(spec.time_attribute or -1)
            value = read_value(spec, results[0].data, scaler, capture, self.profile.deviation)
            if spec.unit is not None and value.unit != spec.unit:
                self.result.errors.append(
                    f"{spec.osos}: unit {value.unit!r}, expected {spec.unit!r}"
                )
            self.result.values.append(value)

        self._get(items, with_list, handle)

    def _on_clock(self, event: Event) -> None:
        if not isinstance(event, GetDone) or event.results[0].data is None:
            self.result.errors.append("clock: not readable")
            return
        meter_time = clock_time(event.results[0].data, self.profile.deviation)
        if meter_time is None:
            self.result.errors.append("clock: the meter's time is not specified")
            return
        drift = meter_time - self.now
        self.result.clock = ClockCheck(meter_time, self.now, drift)
        limit = self.plan.max_drift
        if limit is not None and abs(drift) > limit:
            item = AttributeDescriptor(ClassId.CLOCK, self.profile.clock, 2)
            value = date_time_data(self.now, self.profile.deviation)
            self._steps.appendleft((lambda: self.client.set(item, value), self._on_clock_set))

    def _on_clock_set(self, event: Event) -> None:
        check = self.result.clock
        if isinstance(event, SetDone) and check is not None:
            self.result.clock = ClockCheck(
                check.meter_time, check.head_end_time, check.drift, self.now, event.result == 0
            )

    def _queue_profile(self, with_list: bool) -> None:
        lp = self.profile.load_profile
        head = (AttributeDescriptor(7, lp, 3), AttributeDescriptor(7, lp, 4))

        def on_head(results: tuple[Result, ...]) -> None:
            if not results or results[0].data is None:
                self.result.errors.append(f"load profile {lp}: capture objects not readable")
                return
            self._columns = capture_objects(results[0].data)
            if len(results) > 1 and results[1].data is not None:
                self._period = results[1].data.as_int()
            scaled = tuple(
                AttributeDescriptor(c.class_id, c.obis, 3)
                for c in self._columns
                if c.class_id in (ClassId.REGISTER, ClassId.EXTENDED_REGISTER)
            )
            ranges = self._ranges()
            self.profile_wanted = len(ranges)
            self._steps.extendleft(
                reversed(
                    [
                        (lambda r=r: self.client.get(self._buffer_item(), r), self._on_buffer)  # type: ignore[misc]
                        for r in ranges
                    ]
                )
            )
            if scaled:
                self._get_first(scaled, with_list)

        self._get(head, with_list, on_head)

    def _get_first(self, items: tuple[AttributeDescriptor, ...], with_list: bool) -> None:
        """Queue the scaler GETs before the steps already queued (the buffer read)."""
        rest = list(self._steps)
        self._steps.clear()
        self._get(
            items,
            with_list,
            lambda results: self._scalers.update(
                {
                    item: ScalerUnit.from_data(r.data)
                    for item, r in zip(items, results, strict=False)
                    if r.data is not None
                }
            ),
        )
        self._steps.extend(rest)

    def _buffer_item(self) -> AttributeDescriptor:
        return AttributeDescriptor(7, self.profile.load_profile, 2)

    def _ranges(self, lead: dt.timedelta = dt.timedelta(0)) -> list[SelectiveAccess]:
        """Range access from the last stored interval on (``lead`` earlier), in chunks: what
        arrived whole is kept when the line drops in a later chunk."""
        start = (self.plan.profile_from or self.now) - lead + dt.timedelta(seconds=1)
        end = self.plan.profile_to or self.now
        step = self.plan.profile_chunk or (end - start + dt.timedelta(seconds=1))
        dev = self.profile.deviation
        ranges = []
        while True:
            upto = min(end, start + step - dt.timedelta(seconds=1))
            ranges.append(
                RangeDescriptor.by_clock(
                    DateTime.from_utc(start, dev), DateTime.from_utc(upto, dev)
                ).to_access()
            )
            if upto >= end:
                return ranges
            start = upto + dt.timedelta(seconds=1)

    def _on_buffer(self, event: Event) -> None:
        if not isinstance(event, GetDone) or event.results[0].data is None:
            error = event.results[0].error if isinstance(event, GetDone) else 0
            self.result.errors.append(f"{self._buffer_item()}: {result_name(error)}")
            return
        buffer: Data = event.results[0].data
        rows = profile_rows(buffer, self._columns, self._period, self.profile.deviation)
        records, notes = interval_records(rows, self._columns, self._scalers, self.profile)
        low = self.plan.profile_from
        self.result.records.extend(r for r in records if low is None or r.end_at > low)
        self.result.errors.extend(notes)
        self.profile_chunks += 1

    # -- event logs (after the profile, over its range)

    def _queue_event_log(self, log: EventLogSpec) -> None:
        """Capture objects, then the buffer by range in the profile's chunks; a meter that
        lacks the log says so in a note and the session goes on."""
        head = AttributeDescriptor(ClassId.PROFILE_GENERIC, log.obis, 3)

        def issue_head() -> None:
            self._event_frame(start=True)
            self.client.get(head)

        def on_head(event: Event) -> None:
            self._event_frame()
            if not isinstance(event, GetDone) or event.results[0].data is None:
                error = event.results[0].error if isinstance(event, GetDone) else 0
                self.result.errors.append(f"event log {log.obis}: {result_name(error)}")
                return
            columns = capture_objects(event.results[0].data)
            buffer = AttributeDescriptor(ClassId.PROFILE_GENERIC, log.obis, 2)
            self._steps.extendleft(
                reversed(
                    [
                        (
                            lambda r=r: self.client.get(buffer, r),  # type: ignore[misc]
                            lambda e: self._on_event_buffer(e, log, columns),
                        )
                        for r in self._ranges(EVENT_LOG_LEAD)
                    ]
                )
            )

        self._steps.append((issue_head, on_head))

    def _event_frame(self, *, start: bool = False) -> None:
        """Mark the transcript's event-log frames: from the first request to the last answer."""
        here = len(self.result.transcript)
        if self.result.event_frames is None:
            self.result.event_frames = (here, here)
        elif not start:
            self.result.event_frames = (self.result.event_frames[0], here)

    def _on_event_buffer(
        self, event: Event, log: EventLogSpec, columns: tuple[AttributeDescriptor, ...]
    ) -> None:
        self._event_frame()
        if not isinstance(event, GetDone) or event.results[0].data is None:
            error = event.results[0].error if isinstance(event, GetDone) else 0
            self.result.errors.append(f"event log {log.obis}: {result_name(error)}")
            return
        try:
            rows = profile_rows(event.results[0].data, columns, 0, self.profile.deviation)
        except DlmsError as exc:
            self.result.errors.append(f"event log {log.obis}: {exc}")
            return
        events, notes = log_events(rows, columns, log)
        self.result.events.extend(events)
        self.result.errors.extend(notes)
        self.result.event_logs_read += 1


__all__ = ["ActionDone", "ClockCheck", "DlmsReader", "ReadPlan", "ReadResult"]

"""A virtual meter as the codec's :class:`~osos.protocol.iec62056_21.MeterProvider`.

It answers with its family's texts for the model's values at the injected clock's now;
writes to 0.9.1 / 0.9.2 set its clock. The protocol itself is the codec's
:class:`~osos.protocol.iec62056_21.MeterSession`; nothing here parses frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from osos.obis import normalize_obis
from osos.protocol.iec62056_21.datasets import DataSet
from osos.protocol.iec62056_21.errors import TimestampError
from osos.protocol.iec62056_21.eventlog import LogEntry, status_of
from osos.protocol.iec62056_21.messages import IdentificationMessage
from osos.protocol.iec62056_21.profile import Channel, LoadProfile, ProfileLayout, ProfileRecord
from osos.protocol.iec62056_21.timestamps import parse_clock, parse_date
from osos.timeutil import Clock, SystemClock

from .families import FAMILIES, Family, quantity, render_readout, render_readout_text
from .faults import Fault, FaultState
from .model import LOCAL_OFFSET, MeterModel, PhaseValues, Registers, local_naive
from .profile_text import render_profile, template
from .spec import MeterSpec

#: Simulated tamper fault → the event its P.98 entry names (phase loss stays in the profile).
LOG_NAMES = {"cover_open": "terminal_cover", "main_cover": "main_cover", "magnetic": "magnetic"}


class VirtualMeter:
    """One meter: spec, model, clock, faults; implements the codec's MeterProvider."""

    def __init__(self, spec: MeterSpec, clock: Clock | None = None) -> None:
        self.spec = spec
        self.family: Family = FAMILIES[spec.family]
        self.model: MeterModel = spec.build_model()
        self.clock: Clock = clock or SystemClock()
        self.faults = FaultState()
        self.session_faults: frozenset[Fault] = frozenset()
        self.sessions = 0
        self.busy = False
        ident = self.family.identification(spec.serial)
        flag = spec.meter_flag
        self._identification = IdentificationMessage.from_bytes(
            ("/" + flag + ident[4:] + "\r\n").encode("ascii")
        )

    @property
    def serial(self) -> str:
        return self.spec.serial

    def begin_session(self) -> frozenset[Fault]:
        self.sessions += 1
        self.session_faults = self.faults.begin_session()
        return self.session_faults

    # --- MeterProvider ----------------------------------------------------------------------

    def identification(self) -> IdentificationMessage:
        return self._identification

    def readout_data_sets(self) -> Sequence[DataSet]:
        snap = self.model.snapshot(self.clock.now())
        return render_readout(self.family, snap, self.spec.serial)

    def readout_text(self) -> str:
        """The readout's data block, written straight from the snapshot's integers (what
        :class:`~osos.protocol.iec62056_21.MeterSession` sends; no data set objects)."""
        snap = self.model.snapshot(self.clock.now())
        return render_readout_text(self.family, snap, self.spec.serial)

    def _profile_rows(
        self, start: dt.datetime | None, end: dt.datetime | None
    ) -> list[tuple[dt.datetime, Registers, PhaseValues]]:
        if end is not None and self.family.profile_whole_days:
            end += dt.timedelta(days=1)
        return self.model.profile(
            start,
            end,
            self.clock.now(),
            depth=dt.timedelta(days=self.family.profile_depth_days),
        )

    def profile_text(
        self, start: dt.datetime | None, end: dt.datetime | None, layout: ProfileLayout
    ) -> str | None:
        """The P.01 answer's data in ``layout``, written from the model's integers by the
        family's template (what ``encode_profile(self.profile(start, end), layout)`` gives,
        without the records and their ``Decimal`` values); None without a load profile."""
        if not self.family.load_profile:
            return None
        return render_profile(template(self.family, layout), self._profile_rows(start, end))

    def profile(self, start: dt.datetime | None, end: dt.datetime | None) -> LoadProfile | None:
        if not self.family.load_profile:
            return None  # a water, gas or heat meter: the codec answers (ERROR)
        rows = self._profile_rows(start, end)
        channels = self.family.profile_channels
        records = tuple(
            ProfileRecord(
                stamp,
                {c.obis: quantity(c.quantity, registers, phases) for c in channels},
                self.family.profile_status,
            )
            for stamp, registers, phases in rows
        )
        return LoadProfile(
            address="P.01",
            channels=tuple(Channel(c.obis, c.unit) for c in channels),
            period=15,
            records=records,
        )

    def event_log(self, start: dt.datetime | None, end: dt.datetime | None) -> list[LogEntry]:
        """P.98 for a family that keeps one: the tamper events so far as entries stamped by
        the meter's clock, each status word from the codec's bit table (a clean meter: none)."""
        codes = self.family.protocol.event_codes
        if not self.family.protocol.event_log:
            return []
        events = self.model.tamper.events(self.clock.now(), self.model.meter_time)
        entries = []
        for fault, (begin, over) in events.items():
            name = LOG_NAMES.get(fault)
            if name is None:
                continue
            entries.append(LogEntry(begin, status_of([name], codes)))
            if name == "magnetic" and over is not None:
                entries.append(LogEntry(over, status_of(["magnetic_end"], codes)))
        return sorted(
            (
                e
                for e in entries
                if (start is None or e.at >= start) and (end is None or e.at <= end)
            ),
            key=lambda e: e.at,
        )

    def check_password(self, password: str) -> bool:
        if Fault.WRONG_PASSWORD in self.session_faults:
            return False
        return password == self.spec.password

    def read(self, address: str) -> str | DataSet | None:
        code = normalize_obis(address)
        meter_local = local_naive(self.model.meter_time(self.clock.now()))
        if code == "0.9.1":
            return meter_local.strftime(self.family.time_format)
        if code == "0.9.2":
            return meter_local.strftime(self.family.date_format)
        for data_set in self.readout_data_sets():
            if normalize_obis(data_set.address) == code:
                return DataSet(address, data_set.groups) if address else data_set
        return None

    def write(self, address: str, value: str) -> bool:
        code = normalize_obis(address)
        now = self.clock.now()
        meter_local = local_naive(self.model.meter_time(now))
        try:
            if code == "0.9.1":
                clock = parse_clock(value)
                new = dt.datetime.combine(meter_local.date(), clock)
            elif code == "0.9.2":
                day = parse_date(value)
                if day is None:
                    return False
                new = dt.datetime.combine(day, meter_local.time())
            else:
                return False
        except TimestampError:
            return False
        self.model.set_clock(now, (new - LOCAL_OFFSET).replace(tzinfo=dt.UTC))
        return True

    def set_clock_offset(self, seconds: int) -> None:
        """Move the meter clock to true time + ``seconds`` from now on (CLOCK_OFF fault)."""
        now = self.clock.now()
        self.model.set_clock(now, now + dt.timedelta(seconds=seconds))

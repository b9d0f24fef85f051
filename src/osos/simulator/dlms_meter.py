"""A virtual meter's COSEM objects, answered from the same model as its IEC readout.

:class:`DlmsMeter` implements the protocol package's
:class:`~osos.protocol.dlms.server.CosemProvider` for one :class:`~.meter.VirtualMeter`:
clock (8), registers with scaler_unit (3), maximum demand with its time (4), identity and
event counters (1), the 15-minute load profile (7) with range selective access, the
standard and fraud event logs (7, from the tamper faults, as P.98 on the IEC side), the
association's object list (15) and the security setup (64). The object layout is the meter
profile's (``protocol/dlms/meter_profiles.py``), so what the simulator serves is what the
reader expects. Energy is integer Wh / varh with scaler 0; voltages and currents are
hundredths with scaler -2, as many IDIS meters send them.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.classes import ScalerUnit, date_time_data
from osos.protocol.dlms.cosem import (
    AttributeDescriptor,
    ClassId,
    MethodDescriptor,
    Obis,
    RangeDescriptor,
    SelectiveAccess,
    capture_object,
)
from osos.protocol.dlms.dates import DateTime
from osos.protocol.dlms.errors import DlmsError
from osos.protocol.dlms.meter_profiles import GENERIC, DlmsProfile, EventLogSpec, RegisterSpec
from osos.protocol.dlms.security import MemoryFrameCounter
from osos.protocol.dlms.xdlms import DataAccessResult

from .families import register_value
from .meter import LOG_NAMES, VirtualMeter
from .model import PhaseValues, Registers, Snapshot

UNDEFINED: Final = DataAccessResult.OBJECT_UNDEFINED
WH, VARH, W, V, A, HZ, NONE = 30, 32, 27, 35, 33, 44, 255
SECURITY_SETUP: Final = Obis(0, 0, 43, 0, 0, 255)
ASSOCIATION: Final = Obis(0, 0, 40, 0, 0, 255)
_PHASES: Final = {
    "32.7.0": ("v", 0),
    "52.7.0": ("v", 1),
    "72.7.0": ("v", 2),
    "31.7.0": ("a", 0),
    "51.7.0": ("a", 1),
    "71.7.0": ("a", 2),
}


def _u32(value: int) -> Data:
    return Data(Tag.DOUBLE_LONG_UNSIGNED, value)


class DlmsMeter:
    """The COSEM view of one virtual meter; its invocation counter lives as long as it."""

    def __init__(self, meter: VirtualMeter, profile: DlmsProfile = GENERIC) -> None:
        self.meter = meter
        self.profile = profile
        self.counter = MemoryFrameCounter()
        serial = meter.spec.serial.encode("ascii")
        self.system_title = (b"OSM" + serial[-5:].rjust(5, b"0"))[:8]

    @property
    def deviation(self) -> int:
        return self.profile.deviation

    def _now(self) -> dt.datetime:
        return self.meter.clock.now()

    def _meter_time(self) -> dt.datetime:
        return self.meter.model.meter_time(self._now())

    # -- CosemProvider

    def get(self, item: AttributeDescriptor, access: SelectiveAccess | None) -> Data | int:
        try:
            return self._get(item, access)
        except DlmsError:
            return DataAccessResult.OTHER_REASON

    def _get(self, item: AttributeDescriptor, access: SelectiveAccess | None) -> Data | int:
        if item.attribute == 1:
            return Data.octets(item.obis.to_bytes())
        if item.obis == self.profile.clock and item.class_id == ClassId.CLOCK:
            return self._clock(item.attribute)
        if item.obis == self.profile.load_profile and item.class_id == ClassId.PROFILE_GENERIC:
            return self._profile(item.attribute, access)
        log = next((g for g in self.profile.event_logs if g.obis == item.obis), None)
        if log is not None and item.class_id == ClassId.PROFILE_GENERIC:
            return self._event_log(log, item.attribute, access)
        if item.obis == ASSOCIATION and item.class_id == ClassId.ASSOCIATION_LN:
            return self._object_list() if item.attribute == 2 else UNDEFINED
        if item.obis == SECURITY_SETUP and item.class_id == ClassId.SECURITY_SETUP:
            return self._security(item.attribute)
        spec = self.profile.by_logical_name(item.obis)
        if spec is None or spec.class_id != item.class_id:
            return UNDEFINED
        return self._register(spec, item.attribute)

    def set(self, item: AttributeDescriptor, value: Data) -> int:
        if item.obis != self.profile.clock or item.attribute != 2:
            return DataAccessResult.READ_WRITE_DENIED
        stamp = value.as_datetime()
        when = stamp.to_utc(self.deviation) if stamp is not None else None
        if when is None:
            return DataAccessResult.TYPE_UNMATCHED
        self.meter.model.set_clock(self._now(), when)
        return DataAccessResult.SUCCESS

    def action(self, method: MethodDescriptor, parameters: Data | None) -> tuple[int, Data | None]:
        return DataAccessResult.OBJECT_UNAVAILABLE, None

    # -- objects

    def _clock(self, attribute: int) -> Data | int:
        if attribute == 2:
            return date_time_data(self._meter_time(), self.deviation)
        if attribute == 3:
            return Data(Tag.LONG, -self.deviation)
        if attribute == 4:
            return Data(Tag.UNSIGNED, 0)
        return UNDEFINED

    def _register(self, spec: RegisterSpec, attribute: int) -> Data | int:
        snap = self.meter.model.snapshot(self._now())
        if attribute == spec.value_attribute:
            return self._value(spec.osos, snap)
        if attribute == spec.scaler_attribute:
            return self._scaler(spec.osos).to_data()
        if attribute == spec.time_attribute:
            demand = snap.import_demand if spec.osos == "1.6.0" else snap.export_demand
            if demand.time is None:
                return Data.octets(DateTime().to_bytes())
            return date_time_data(demand.time, self.deviation)
        return UNDEFINED

    def _scaler(self, code: str) -> ScalerUnit:
        if code in _PHASES:
            return ScalerUnit(-2, V if _PHASES[code][0] == "v" else A)
        if code in ("33.7.0", "53.7.0", "73.7.0"):
            return ScalerUnit(-3, NONE)
        if code == "14.7.0":
            return ScalerUnit(-2, HZ)
        if code in ("1.6.0", "2.6.0"):
            return ScalerUnit(0, W)
        return ScalerUnit(0, VARH if code[0] in "5678" else WH)

    def _value(self, code: str, snap: Snapshot) -> Data:
        if code == "96.1.0":
            return Data.octets(self.meter.spec.serial.encode("ascii"))
        if code in ("96.70", "96.71"):
            return Data.octets(DateTime().to_bytes())  # never opened
        if code == "96.7.0":
            return Data(Tag.LONG_UNSIGNED, 0)
        if code == "0.1.0":
            return Data(Tag.UNSIGNED, snap.reset_count % 256)
        if code in ("1.6.0", "2.6.0"):
            demand = snap.import_demand if code == "1.6.0" else snap.export_demand
            return _u32(demand.watts)
        return self._quantity(code, snap.registers, snap.phases)

    def _quantity(self, code: str, registers: Registers, phases: PhaseValues) -> Data:
        if code in _PHASES:
            kind, index = _PHASES[code]
            values = phases.volts if kind == "v" else phases.amps
            return Data(
                Tag.LONG_UNSIGNED if kind == "v" else Tag.DOUBLE_LONG_UNSIGNED,
                (values[index] if index < len(values) else 0) // 10,
            )
        if code in ("33.7.0", "53.7.0", "73.7.0"):
            return Data(Tag.LONG, self.meter.model.character.power_factor)
        if code == "14.7.0":
            return Data(Tag.LONG_UNSIGNED, 5000)
        return _u32(register_value(code, registers))

    def _profile(self, attribute: int, access: SelectiveAccess | None) -> Data | int:
        columns = self.profile.load_profile_columns
        if attribute == 3:
            return Data.array(*(capture_object(c) for c in columns))
        if attribute == 4:
            return _u32(self.profile.capture_period)
        if attribute != 2:
            return UNDEFINED
        if access is not None and access.selector != 1:
            return DataAccessResult.OTHER_REASON
        start, end = self._range(access)
        rows = self.meter.model.profile(
            start, end, self._now(), depth=dt.timedelta(days=self.meter.family.profile_depth_days)
        )
        return Data.array(
            *(self._row(columns, stamp, regs, phases) for stamp, regs, phases in rows)
        )

    def _range(
        self, access: SelectiveAccess | None
    ) -> tuple[dt.datetime | None, dt.datetime | None]:
        """A range descriptor's from/to as UTC (None: open)."""
        if access is None:
            return None, None
        selection = RangeDescriptor.from_access(access)
        low, high = selection.from_value.as_datetime(), selection.to_value.as_datetime()
        start = low.to_utc(self.deviation) if low is not None else None
        end = high.to_utc(self.deviation) if high is not None else None
        return start, end

    def _event_log(
        self, log: EventLogSpec, attribute: int, access: SelectiveAccess | None
    ) -> Data | int:
        """A log's rows (clock, event code) from the tamper faults, stamped by the meter's
        clock: the opening of a cover, a magnet's start and end (what P.98 says on IEC)."""
        if attribute == 3:
            return Data.array(*(capture_object(c) for c in log.columns))
        if attribute == 4:
            return _u32(0)  # asynchronous: an entry per event
        if attribute != 2:
            return UNDEFINED
        if access is not None and access.selector != 1:
            return DataAccessResult.OTHER_REASON
        start, end = self._range(access)
        entries: list[tuple[dt.datetime, int]] = []
        events = self.meter.model.tamper.events(self._now(), self.meter.model.meter_time)
        for fault, (begin, over) in events.items():
            name = LOG_NAMES.get(fault)
            stamps = [(begin, name)]
            if name == "magnetic" and over is not None:
                stamps.append((over, "magnetic_end"))
            for at, event in stamps:
                code = log.code(event) if event is not None else None
                if code is not None:
                    entries.append((at, code))
        rows = (
            Data.structure(date_time_data(at, self.deviation), Data(Tag.LONG_UNSIGNED, code))
            for at, code in sorted(entries)
            if (start is None or at >= start) and (end is None or at <= end)
        )
        return Data.array(*rows)

    def _row(
        self,
        columns: tuple[AttributeDescriptor, ...],
        stamp: dt.datetime,
        registers: Registers,
        phases: PhaseValues,
    ) -> Data:
        values = []
        for column in columns:
            if column.class_id == ClassId.CLOCK:
                values.append(date_time_data(stamp, self.deviation))
                continue
            spec = self.profile.by_logical_name(column.obis)
            if spec is None:
                values.append(Data(Tag.UNSIGNED, 0))  # the status word: all clear
            else:
                values.append(self._quantity(spec.osos, registers, phases))
        return Data.structure(*values)

    def _object_list(self) -> Data:
        objects = [
            (ClassId.CLOCK, self.profile.clock),
            (ClassId.ASSOCIATION_LN, ASSOCIATION),
            (ClassId.PROFILE_GENERIC, self.profile.load_profile),
            *((ClassId.PROFILE_GENERIC, g.obis) for g in self.profile.event_logs),
            (ClassId.SECURITY_SETUP, SECURITY_SETUP),
            *((r.class_id, r.obis) for r in self.profile.registers),
        ]
        return Data.array(
            *(
                Data.structure(
                    Data(Tag.LONG_UNSIGNED, class_id),
                    Data(Tag.UNSIGNED, 0),
                    Data.octets(obis.to_bytes()),
                    Data.structure(),
                )
                for class_id, obis in objects
            )
        )

    def _security(self, attribute: int) -> Data | int:
        keyed = self.meter.spec.dlms_keys is not None
        values = {
            2: Data(Tag.ENUM, 3 if keyed else 0),
            3: Data(Tag.ENUM, 0),
            4: Data.octets(b""),
            5: Data.octets(self.system_title),
        }
        return values.get(attribute, UNDEFINED)

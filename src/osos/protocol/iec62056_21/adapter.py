"""From the codec's frames to osos's domain values, with every time resolved once, here.

The head-end and the capture import both come through this module, so the store stores
:class:`~osos.readings.ReadValue` and :class:`~osos.readings.IntervalRecord` as they are and
nothing above it asks the codec again what a text meant: a demand peak's time (second value
group), a reset time written as the value itself (``0.1.2*n``), a profile record's end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from osos.obis import base_obis
from osos.readings import CaptureReadings, IntervalRecord, ReadValue
from osos.timeutil import LOCAL_TZ, UTC

from .capture import parse_capture
from .datasets import DataSet
from .errors import TimestampError
from .eventlog import EVENT_LOG, LogEntry, event_names
from .meter_profiles import MeterProfile
from .profile import LoadProfile
from .timestamps import format_vdew, parse_timestamp

TIME_VALUED = frozenset({"0.1.2"})
"""Registers whose value is itself a time (the billing resets)."""

SERIAL_REGISTERS = ("0.0.0", "96.1.0", "C.1.0")


def _value_time(ds: DataSet) -> dt.datetime | None:
    if ds.time is not None:
        return ds.time.astimezone(UTC)
    if base_obis(ds.address) not in TIME_VALUED:
        return None
    try:
        when = parse_timestamp(ds.first.text)
    except TimestampError:
        return None
    return None if when is None else when.astimezone(UTC)


def read_values(data_sets: Iterable[DataSet]) -> tuple[ReadValue, ...]:
    """Data sets → values to store: exact text, Decimal where numeric, the stamped time."""
    return tuple(
        ReadValue(
            address=ds.address,
            value=ds.first.text,
            number=ds.number,
            unit=ds.unit,
            value_time=_value_time(ds),
        )
        for ds in data_sets
    )


def interval_records(profile: LoadProfile) -> tuple[IntervalRecord, ...]:
    """Codec records (meter-stamped interval ends, meter zone) → UTC interval records."""
    return tuple(
        IntervalRecord(
            end_at=record.time.astimezone(UTC), values=dict(record.values), status=record.status
        )
        for record in profile.records
    )


def parse_meter_clock(
    date_text: str, time_text: str, meter_profile: MeterProfile
) -> dt.datetime | None:
    """0.9.2 and 0.9.1 texts in the meter family's formats → aware UTC; None if unparseable."""
    try:
        day = dt.datetime.strptime(date_text.strip(), meter_profile.date_format).date()
        clock = dt.datetime.strptime(time_text.strip(), meter_profile.time_format).time()
    except ValueError:
        return None
    return dt.datetime.combine(day, clock, tzinfo=LOCAL_TZ).astimezone(UTC)


def meter_clock(values: Iterable[ReadValue], meter_profile: MeterProfile) -> dt.datetime | None:
    """The meter's own time as its readout states it (0.9.2 + 0.9.1), or None."""
    by_obis = {v.obis: v.value for v in values}
    time_text = by_obis.get(meter_profile.time_address)
    date_text = by_obis.get(meter_profile.date_address)
    if not time_text or not date_text:
        return None
    return parse_meter_clock(date_text, time_text, meter_profile)


def serial_matches(serial: str, values: Iterable[ReadValue]) -> bool:
    """False only when the values name a serial and it is not this meter's (modem swapped)."""
    named = [v.value.strip() for v in values if v.obis in SERIAL_REGISTERS and v.value.strip()]
    if not named:
        return True
    wanted = serial.strip().lstrip("0")
    return any(text.lstrip("0") == wanted or text.endswith(serial) for text in named)


def capture_readings(raw: bytes) -> CaptureReadings:
    """A captured readout or P.01 response (hand-held terminal, optical probe, file) as domain
    values. Raises the codec's ``NotAReadoutError`` (a ProtocolError) for bytes that hold none."""
    capture = parse_capture(raw)
    values = read_values(capture.values)
    records = tuple(r for profile in capture.profiles for r in interval_records(profile))
    ident = capture.identification
    return CaptureReadings(
        values=values,
        records=records,
        identification=ident.to_bytes().decode("ascii").strip()[:64] if ident else None,
        meter_time=meter_clock(values, capture.meter_profile),
        warnings=capture.errors,
    )


def event_values(entries: Iterable[LogEntry], profile: MeterProfile) -> tuple[ReadValue, ...]:
    """A P.98 answer as values to store with its bytes (:func:`log_values`), each event the
    entries' status words name by the profile's bit table, in order."""
    events = [(e.at, name) for e in entries for name in event_names(e.status, profile.event_codes)]
    return log_values(events, profile.event_log or EVENT_LOG)


def log_values(
    events: Iterable[tuple[dt.datetime, str]], address: str = EVENT_LOG
) -> tuple[ReadValue, ...]:
    """A meter's event log as stored, whatever the protocol (P.98 here, the DLMS event logs
    too): ``P.98*k`` = ``name,sYYMMDDhhmmss`` (local time, seconds), k from 1 in the log's
    order; ``osos.losses.events.log_events`` reads them back."""
    values: list[ReadValue] = []
    for at, name in events:
        stamp = format_vdew(at, seconds=True)
        values.append(
            ReadValue(
                address=f"{address}*{len(values) + 1}", value=f"{name},{stamp}", value_time=at
            )
        )
    return tuple(values)

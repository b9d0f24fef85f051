"""COSEM values → osos domain values (:class:`~osos.readings.ReadValue`,
:class:`~osos.readings.IntervalRecord`), by the meter profile's mapping table.

The codes, units and exact values are the ones IEC 62056-21 meters give for the same
registers (``1.8.0`` in kWh with three decimals, ``32.7.0`` in V, ``1.6.0`` in kW with its
time), so the store, the MDM and the panel cannot tell which protocol read a meter. Every
time is resolved to aware UTC here, with the meter's deviation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from osos.readings import IntervalRecord, ReadValue

from .axdr import Data, Tag
from .classes import ProfileRow, ScalerUnit, in_osos_unit
from .cosem import AttributeDescriptor, ClassId
from .errors import DecodeError
from .meter_profiles import STATUS_OBIS, DlmsProfile, EventLogSpec, RegisterSpec


def text_of(number: Decimal, decimals: int) -> str:
    """The value as IEC meters print it (fixed decimals), unless that would round."""
    fixed = number.quantize(Decimal(1).scaleb(-decimals)) if decimals else number
    return f"{fixed:f}" if fixed == number else f"{number:f}"


def quantity(spec: RegisterSpec, value: Data, scaler: ScalerUnit | None) -> tuple[Decimal, str]:
    """The register's exact value in osos's unit (Wh → kWh …)."""
    raw = (scaler or ScalerUnit(0, 255)).apply(value)
    number, unit = in_osos_unit(raw, (scaler or ScalerUnit()).symbol)
    return number, unit


def read_value(
    spec: RegisterSpec,
    value: Data,
    scaler: ScalerUnit | None,
    capture: Data | None,
    deviation: int,
) -> ReadValue:
    """One register as osos stores it. A Data object holding a date-time (a cover opening)
    gives its time as ``value_time``; one holding text gives the text."""
    when = _time(capture, deviation) if capture is not None else None
    stamp = value.as_datetime()
    if spec.class_id == ClassId.DATA and stamp is not None:
        moment = stamp.to_utc(deviation)
        text = moment.isoformat() if moment is not None else ""
        return ReadValue(spec.osos, spec.osos, text, None, None, moment)
    if value.tag in (Tag.OCTET_STRING, Tag.VISIBLE_STRING, Tag.UTF8_STRING):
        return ReadValue(spec.osos, spec.osos, printable(value), None, None, when)
    if not value.is_number:
        raise DecodeError(f"register {spec.osos}", 0, f"a number, got {value.tag.name}")
    number, unit = quantity(spec, value, scaler)
    return ReadValue(
        spec.osos, spec.osos, text_of(number, spec.decimals), number, unit or None, when
    )


def _time(capture: Data, deviation: int) -> dt.datetime | None:
    stamp = capture.as_datetime()
    return stamp.to_utc(deviation) if stamp is not None else None


def printable(value: Data) -> str:
    """Text for strings: octets that are printable ASCII as text, others as hex."""
    raw = value.value
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bytes):
        text = raw.decode("latin-1")
        return text if raw and all(0x20 <= b < 0x7F for b in raw) else raw.hex()
    return str(raw)


def interval_records(
    rows: tuple[ProfileRow, ...],
    columns: tuple[AttributeDescriptor, ...],
    scalers: Mapping[AttributeDescriptor, ScalerUnit],
    profile: DlmsProfile,
) -> tuple[tuple[IntervalRecord, ...], tuple[str, ...]]:
    """Profile rows → interval records (named by their end, the clock column's time) and
    the notes for rows or columns that could not be used."""
    notes: list[str] = []
    mapped: list[tuple[int, RegisterSpec]] = []
    status_at: int | None = None
    for index, column in enumerate(columns):
        spec = profile.by_logical_name(column.obis)
        if column.obis == STATUS_OBIS:
            status_at = index
        elif spec is not None and column.attribute == spec.value_attribute:
            mapped.append((index, spec))
        elif column.class_id != ClassId.CLOCK:
            notes.append(f"profile column {column} is not in the mapping table: left out")
    records = []
    for row in rows:
        if row.time is None:
            notes.append("profile row without a clock: left out")
            continue
        values = {}
        for index, spec in mapped:
            column = columns[index]
            scaler = scalers.get(
                AttributeDescriptor(column.class_id, column.obis, spec.scaler_attribute or 3)
            )
            if row.values[index].is_number:
                values[spec.osos] = quantity(spec, row.values[index], scaler)[0]
        status = None
        if status_at is not None and row.values[status_at].is_number:
            status = f"{row.values[status_at].as_int():02X}"
        records.append(IntervalRecord(row.time, values, status))
    return tuple(records), tuple(dict.fromkeys(notes))


def log_events(
    rows: tuple[ProfileRow, ...], columns: tuple[AttributeDescriptor, ...], log: EventLogSpec
) -> tuple[list[tuple[dt.datetime, str]], tuple[str, ...]]:
    """Event-log rows → (UTC time, event name) by the log's code table, in the meter's
    order, and notes: a row with an unknown code, no clock or no code is left out, named (an
    event log is evidence; nothing is dropped silently, nothing guessed)."""
    code_at = next((i for i, c in enumerate(columns) if c.obis == log.code_object), None)
    if code_at is None:
        code_at = next((i for i, c in enumerate(columns) if c.class_id != ClassId.CLOCK), None)
    if code_at is None:
        return [], (f"event log {log.obis}: no event-code column in {len(columns)}",)
    events: list[tuple[dt.datetime, str]] = []
    notes: list[str] = []
    for row in rows:
        value = row.values[code_at]
        if row.time is None or not value.is_number:
            notes.append(f"event log {log.obis}: a row without a clock or a code: left out")
            continue
        name = log.name(value.as_int())
        if name is None:
            notes.append(f"event log {log.obis}: unknown event code {value.as_int()}: left out")
            continue
        events.append((row.time, name))
    return events, tuple(dict.fromkeys(notes))

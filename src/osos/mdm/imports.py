"""Imports besides the head-end: register readings and load profiles from CSV/XLSX, captures.

Every row is checked before anything is stored; all problems are reported at once with row
number, column and what was wrong, and nothing is stored when there is one. Storing goes
through :mod:`osos.store.ingest` like the head-end's reads, so the same file imported twice
changes nothing. The file's bytes are kept as the readout's raw text (after one header line
naming the rows it produced, so several readouts of one file stay distinct).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.channels import to_milli
from osos.domain import DataSource, ReadSource
from osos.errors import DataRejected, ImportFailed, InvalidInput, NotFound
from osos.mdm.determinants import mark_dirty
from osos.mdm.model import INTERVAL
from osos.mdm.vee import validate_meter
from osos.obis import normalize_obis
from osos.readings import CaptureReadings, IntervalRecord, ReadValue
from osos.registry.reader import read_table
from osos.settings import ValidationLimits
from osos.store.ingest import IngestSummary, store_capture, store_readout
from osos.store.intervals import store_profile
from osos.store.models import Meter
from osos.timeutil import parse_local

READING_COLUMNS = ("meter_serial", "time", "obis", "value")
PROFILE_OBIS = (
    "1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "6.8.0", "7.8.0", "8.8.0",
    "1.6.0", "2.6.0", "32.7.0", "52.7.0", "72.7.0", "31.7.0", "51.7.0", "71.7.0",
)  # fmt: skip


@dataclass(frozen=True)
class ImportReport:
    rows: int
    readouts_created: int
    values: int = 0
    intervals_inserted: int = 0
    intervals_unchanged: int = 0
    conflicts: int = 0
    replaced_estimates: int = 0


def _meters(session: Session, serials: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(serials))
    if not wanted:
        return {}
    rows = session.execute(select(Meter.serial, Meter.id).where(Meter.serial.in_(wanted)))
    return {serial: meter_id for serial, meter_id in rows}


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(
            text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
        )
    except InvalidOperation:
        raise InvalidInput(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise InvalidInput(f"not a finite number: {text!r}")
    return value


def _missing_columns(columns: Iterable[str], required: Iterable[str]) -> list[str]:
    have = set(columns)
    return [f"row 1: missing column {c!r}" for c in required if c not in have]


def _serial_problems(number: int, serial: str, meters: Mapping[str, int]) -> list[str]:
    if not serial:
        return [f"row {number}, column meter_serial: empty"]
    if serial not in meters:
        return [f"row {number}, column meter_serial: unknown meter {serial!r}"]
    return []


def _header(rows: list[int]) -> bytes:
    """The line before the file's bytes in each readout's raw: which rows it holds."""
    return f"#osos import rows {','.join(map(str, rows))}\n".encode()


@dataclass(frozen=True)
class _Reading:
    row: int
    serial: str
    read_at: dt.datetime
    value: ReadValue


def import_readings(session: Session, path: Path, *, limits: ValidationLimits) -> ImportReport:
    """One register value a row: meter_serial, time, obis, value, unit, value_time."""
    table = read_table(path)
    errors = _missing_columns(table.columns, READING_COLUMNS)
    if errors:
        raise ImportFailed(errors)
    meters = _meters(session, (c.get("meter_serial", "") for _, c in table.rows))
    readings: list[_Reading] = []
    seen: dict[tuple[str, dt.datetime, str], int] = {}
    for number, cells in table.rows:
        serial = cells.get("meter_serial", "")
        problems = _serial_problems(number, serial, meters)
        read_at = value_time = None
        try:
            read_at = parse_local(cells.get("time", ""))
        except InvalidInput as exc:
            problems.append(f"row {number}, column time: {exc}")
        if cells.get("value_time"):
            try:
                value_time = parse_local(cells["value_time"])
            except InvalidInput as exc:
                problems.append(f"row {number}, column value_time: {exc}")
        obis = normalize_obis(cells.get("obis", ""))
        if not obis or not obis[0].isalnum():
            problems.append(f"row {number}, column obis: not an OBIS code: {cells.get('obis')!r}")
        number_value = None
        try:
            number_value = _decimal(cells.get("value", ""))
            to_milli(number_value)
        except (InvalidInput, DataRejected) as exc:
            problems.append(f"row {number}, column value: {exc}")
        if read_at is not None and serial and obis:
            key = (serial, read_at, obis)
            if key in seen:
                problems.append(
                    f"row {number}: {obis} of {serial} at {cells.get('time')} "
                    f"already given in row {seen[key]}"
                )
            seen[key] = number
        if problems or read_at is None or number_value is None:
            errors.extend(problems)
            continue
        unit = cells.get("unit") or None
        readings.append(
            _Reading(
                number,
                serial,
                read_at,
                ReadValue(
                    address=obis,
                    value=str(number_value),
                    number=number_value,
                    unit=unit,
                    value_time=value_time,
                ),
            )
        )
    if errors:
        raise ImportFailed(errors)
    content = path.read_bytes()
    groups: dict[tuple[str, dt.datetime], list[_Reading]] = defaultdict(list)
    for reading in readings:
        groups[(reading.serial, reading.read_at)].append(reading)
    created = values = 0
    for (serial, read_at), group in sorted(groups.items()):
        meter_id = meters[serial]
        stored = store_readout(
            session,
            meter_id=meter_id,
            read_at=read_at,
            raw=_header([r.row for r in group]) + content,
            values=[r.value for r in group],
            source=ReadSource.IMPORT,
        )
        if stored.created:
            created += 1
            values += len(group)
            mark_dirty(session, meter_id, read_at - dt.timedelta(days=32), read_at)
            validate_meter(
                session, meter_id, read_at - dt.timedelta(days=1), read_at, limits=limits
            )
    return ImportReport(len(table.rows), created, values)


def import_profile(session: Session, path: Path, *, limits: ValidationLimits) -> ImportReport:
    """One 15-minute interval a row: meter_serial, time (interval end, local), OBIS columns."""
    table = read_table(path)
    errors = _missing_columns(table.columns, ("meter_serial", "time"))
    channels = [c for c in table.columns if c not in ("meter_serial", "time")]
    for column in channels:
        if normalize_obis(column) not in PROFILE_OBIS:
            errors.append(
                f"row 1, column {column}: not a profile channel ({', '.join(PROFILE_OBIS)})"
            )
    if not channels:
        errors.append("row 1: no channel columns (e.g. 1.8.0)")
    if errors:
        raise ImportFailed(errors)
    meters = _meters(session, (c.get("meter_serial", "") for _, c in table.rows))
    per_meter: dict[str, list[tuple[int, IntervalRecord]]] = defaultdict(list)
    seen: dict[tuple[str, dt.datetime], int] = {}
    for number, cells in table.rows:
        serial = cells.get("meter_serial", "")
        problems = _serial_problems(number, serial, meters)
        end_at = None
        try:
            end_at = parse_local(cells.get("time", ""))
            if end_at.timestamp() % INTERVAL.total_seconds():
                problems.append(
                    f"row {number}, column time: {cells.get('time')} is not the end of a "
                    "15-minute interval"
                )
        except InvalidInput as exc:
            problems.append(f"row {number}, column time: {exc}")
        values: dict[str, Decimal] = {}
        for column in channels:
            text = cells.get(column, "")
            if not text:
                continue
            try:
                value = _decimal(text)
                to_milli(value)
            except (InvalidInput, DataRejected) as exc:
                problems.append(f"row {number}, column {column}: {exc}")
                continue
            values[normalize_obis(column)] = value
        if not values:
            problems.append(f"row {number}: no channel value")
        if end_at is not None and serial:
            key = (serial, end_at)
            if key in seen:
                problems.append(
                    f"row {number}, column time: interval {cells.get('time')} of {serial} "
                    f"already given in row {seen[key]}"
                )
            seen[key] = number
        if problems or end_at is None:
            errors.extend(problems)
            continue
        per_meter[serial].append((number, IntervalRecord(end_at, values)))
    if errors:
        raise ImportFailed(errors)
    content = path.read_bytes()
    created = inserted = unchanged = conflicts = replaced = 0
    for serial, items in sorted(per_meter.items()):
        meter_id = meters[serial]
        records = [r for _, r in items]
        last = max(r.end_at for r in records)
        first = min(r.end_at for r in records)
        stored = store_readout(
            session,
            meter_id=meter_id,
            read_at=last,
            raw=_header([n for n, _ in items]) + content,
            values=[],
            source=ReadSource.IMPORT,
            kind="profile",
        )
        created += stored.created
        result = store_profile(
            session,
            meter_id=meter_id,
            records=records,
            readout_id=stored.readout_id,
            source=DataSource.ACTUAL,
            actor="import",
        )
        inserted += result.inserted
        unchanged += result.unchanged
        conflicts += result.conflicts
        replaced += result.replaced_estimates
        if result.inserted or result.replaced_estimates:
            mark_dirty(session, meter_id, first - INTERVAL, last)
            validate_meter(session, meter_id, first - INTERVAL, last, limits=limits)
    return ImportReport(len(table.rows), created, 0, inserted, unchanged, conflicts, replaced)


def ingest_capture(
    session: Session,
    raw: bytes,
    capture: CaptureReadings,
    meter_serial: str,
    *,
    read_at: dt.datetime,
    limits: ValidationLimits,
) -> IngestSummary:
    """A captured readout or P.01 response (its bytes, and the values the protocol's adapter
    read from them), stored exactly as the head-end would store it, then validated."""
    meter_id = _meters(session, [meter_serial]).get(meter_serial)
    if meter_id is None:
        raise NotFound(f"unknown meter {meter_serial!r}")
    summary = store_capture(
        session,
        meter_id=meter_id,
        raw=raw,
        capture=capture,
        read_at=read_at,
        source=ReadSource.INGEST,
    )
    if summary.created or summary.profile.inserted or summary.profile.replaced_estimates:
        first = read_at - dt.timedelta(days=32)
        last = max(read_at, summary.last_end or read_at)
        mark_dirty(session, meter_id, first, last)
        validate_meter(session, meter_id, read_at - dt.timedelta(days=1), last, limits=limits)
    return summary

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
from collections.abc import Iterable, Mapping, Sequence
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

    def __add__(self, other: ImportReport) -> ImportReport:
        """Counts of two parts of one import (the rows are this one's)."""
        return ImportReport(
            self.rows,
            self.readouts_created + other.readouts_created,
            self.values + other.values,
            self.intervals_inserted + other.intervals_inserted,
            self.intervals_unchanged + other.intervals_unchanged,
            self.conflicts + other.conflicts,
            self.replaced_estimates + other.replaced_estimates,
        )


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


def _time_cell(
    number: int, cells: dict[str, str], column: str, problems: list[str]
) -> dt.datetime | None:
    try:
        return parse_local(cells.get(column, ""))
    except InvalidInput as exc:
        problems.append(f"row {number}, column {column}: {exc}")
        return None


def _number_cell(number: int, column: str, text: str, problems: list[str]) -> Decimal | None:
    try:
        value = _decimal(text)
        to_milli(value)
    except (InvalidInput, DataRejected) as exc:
        problems.append(f"row {number}, column {column}: {exc}")
        return None
    return value


def _reading_row(
    number: int,
    cells: dict[str, str],
    meters: dict[str, int],
    seen: dict[tuple[str, dt.datetime, str], int],
) -> tuple[_Reading | None, list[str]]:
    """One row of a readings file: the reading, or the problems naming row and column."""
    serial = cells.get("meter_serial", "")
    problems = _serial_problems(number, serial, meters)
    read_at = _time_cell(number, cells, "time", problems)
    value_time = (
        _time_cell(number, cells, "value_time", problems) if cells.get("value_time") else None
    )
    obis = normalize_obis(cells.get("obis", ""))
    if not obis or not obis[0].isalnum():
        problems.append(f"row {number}, column obis: not an OBIS code: {cells.get('obis')!r}")
    value = _number_cell(number, "value", cells.get("value", ""), problems)
    if read_at is not None and serial and obis:
        key = (serial, read_at, obis)
        if key in seen:
            problems.append(
                f"row {number}: {obis} of {serial} at {cells.get('time')} "
                f"already given in row {seen[key]}"
            )
        seen[key] = number
    if problems or read_at is None or value is None:
        return None, problems
    read = ReadValue(
        address=obis,
        value=str(value),
        number=value,
        unit=cells.get("unit") or None,
        value_time=value_time,
    )
    return _Reading(number, serial, read_at, read), []


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
        reading, problems = _reading_row(number, cells, meters, seen)
        errors.extend(problems)
        if reading is not None:
            readings.append(reading)
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


def _profile_channels(columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """The channel columns of a profile file, and the problems of its header."""
    errors = _missing_columns(columns, ("meter_serial", "time"))
    channels = [c for c in columns if c not in ("meter_serial", "time")]
    for column in channels:
        if normalize_obis(column) not in PROFILE_OBIS:
            errors.append(
                f"row 1, column {column}: not a profile channel ({', '.join(PROFILE_OBIS)})"
            )
    if not channels:
        errors.append("row 1: no channel columns (e.g. 1.8.0)")
    return channels, errors


def _profile_row(
    number: int,
    cells: dict[str, str],
    channels: Sequence[str],
    meters: dict[str, int],
    seen: dict[tuple[str, dt.datetime], int],
) -> tuple[IntervalRecord | None, list[str]]:
    """One row of a profile file: the interval, or the problems naming row and column."""
    serial = cells.get("meter_serial", "")
    problems = _serial_problems(number, serial, meters)
    end_at = _time_cell(number, cells, "time", problems)
    if end_at is not None and end_at.timestamp() % INTERVAL.total_seconds():
        problems.append(
            f"row {number}, column time: {cells.get('time')} is not the end of a 15-minute interval"
        )
    values: dict[str, Decimal] = {}
    for column in channels:
        text = cells.get(column, "")
        value = _number_cell(number, column, text, problems) if text else None
        if value is not None:
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
        return None, problems
    return IntervalRecord(end_at, values), []


def import_profile(session: Session, path: Path, *, limits: ValidationLimits) -> ImportReport:
    """One 15-minute interval a row: meter_serial, time (interval end, local), OBIS columns."""
    table = read_table(path)
    channels, errors = _profile_channels(table.columns)
    if errors:
        raise ImportFailed(errors)
    meters = _meters(session, (c.get("meter_serial", "") for _, c in table.rows))
    per_meter: dict[str, list[tuple[int, IntervalRecord]]] = defaultdict(list)
    seen: dict[tuple[str, dt.datetime], int] = {}
    for number, cells in table.rows:
        record, problems = _profile_row(number, cells, channels, meters, seen)
        errors.extend(problems)
        if record is not None:
            per_meter[cells.get("meter_serial", "")].append((number, record))
    if errors:
        raise ImportFailed(errors)
    content = path.read_bytes()
    totals = ImportReport(len(table.rows), 0, 0)
    for serial, items in sorted(per_meter.items()):
        totals = totals + _store_profile_rows(
            session, meters[serial], items, content, limits=limits
        )
    return totals


def _store_profile_rows(
    session: Session,
    meter_id: int,
    items: Sequence[tuple[int, IntervalRecord]],
    content: bytes,
    *,
    limits: ValidationLimits,
) -> ImportReport:
    """One meter's rows of a profile file: a readout with the file's bytes, then its intervals."""
    records = [r for _, r in items]
    first, last = min(r.end_at for r in records), max(r.end_at for r in records)
    stored = store_readout(
        session,
        meter_id=meter_id,
        read_at=last,
        raw=_header([n for n, _ in items]) + content,
        values=[],
        source=ReadSource.IMPORT,
        kind="profile",
    )
    result = store_profile(
        session,
        meter_id=meter_id,
        records=records,
        readout_id=stored.readout_id,
        source=DataSource.ACTUAL,
        actor="import",
    )
    if result.inserted or result.replaced_estimates:
        mark_dirty(session, meter_id, first - INTERVAL, last)
        validate_meter(session, meter_id, first - INTERVAL, last, limits=limits)
    return ImportReport(
        0,
        int(stored.created),
        0,
        result.inserted,
        result.unchanged,
        result.conflicts,
        result.replaced_estimates,
    )


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

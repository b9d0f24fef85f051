"""Bulk reads that turn stored rows into the MDM's frozen inputs (one query per table).

The only module of the MDM that knows the schema besides :mod:`osos.mdm.service`; the
computations get :class:`~osos.mdm.model.MeterData` and never see a row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, or_, select, text, tuple_
from sqlalchemy.orm import Session

from osos.channels import BY_OBIS, to_milli
from osos.mdm.indexes import BILLING_PERIODS
from osos.mdm.model import (
    PROFILE_OBIS,
    REGISTERS,
    InstallationSpan,
    MeterData,
    ProfileSeries,
    RegisterRead,
)
from osos.store.models import Installation, Meter, ReadoutValue, profile_intervals
from osos.store.types import UTCDateTime
from osos.timeutil import UTC

# Readout registers the MDM uses: the index registers, demands, their frozen *1 copies and the
# time of the last billing reset.
READ_OBIS: tuple[str, ...] = (
    *REGISTERS,
    "1.6.0",
    "2.6.0",
    *(
        f"{o}*{n}"
        for n in range(1, BILLING_PERIODS + 1)
        for o in (*REGISTERS, "1.6.0", "2.6.0", "0.1.2")
    ),
)
READ_MARGIN = dt.timedelta(days=35)


def _indexes(text: str | None) -> Mapping[str, int]:
    """The installations' JSON index column → milli-units per OBIS (bad values are skipped)."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    result = {}
    for obis, value in data.items():
        try:
            result[str(obis)] = to_milli(Decimal(str(value)))
        except (ArithmeticError, ValueError):
            continue
    return result


def installation_spans(
    session: Session, service_point_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[InstallationSpan]]:
    """Installations overlapping ``[start, end]`` per service point."""
    i = Installation
    rows = session.execute(
        select(
            i.service_point_id,
            i.meter_id,
            i.installed_at,
            i.removed_at,
            i.ct_ratio,
            i.vt_ratio,
            i.install_index,
            i.removal_index,
            Meter.serial,
        )
        .join(Meter, Meter.id == Installation.meter_id)
        .where(
            Installation.service_point_id.in_(service_point_ids),
            Installation.installed_at <= end,
            or_(Installation.removed_at.is_(None), Installation.removed_at >= start),
        )
        .order_by(Installation.installed_at, Installation.id)
    ).all()
    result: dict[int, list[InstallationSpan]] = {sp: [] for sp in service_point_ids}
    # columns, not ORM objects: the panel reads a point's installations on every page
    for sp, meter_id, installed_at, removed_at, ct, vt, install, removal, serial in rows:
        result[sp].append(
            InstallationSpan(
                meter_id=meter_id,
                meter_serial=serial,
                installed_at=installed_at,
                removed_at=removed_at,
                multiplier=ct * vt,
                install_index=_indexes(install),
                removal_index=_indexes(removal),
            )
        )
    return result


def _series(rows: list[Any], obis: Sequence[str], times: _Times) -> ProfileSeries:
    """(meter_id, end_at, source, status, *channels) rows → one column per tuple."""
    if not rows:
        return ProfileSeries()
    columns = list(zip(*rows, strict=True))
    ends = times.convert(columns[1])
    sources = tuple(map(str, columns[2]))
    statuses = tuple(columns[3])
    values = {}
    for k, o in enumerate(obis):
        column = columns[4 + k]
        if column.count(None) != len(column):  # a channel this meter does not record: absent
            values[o] = tuple(column)
    return ProfileSeries(ends, values, sources, statuses)


class _Times:
    """Database time values → aware UTC datetimes, each distinct value converted once.

    Every meter of a month has the same 2,976 interval ends: converting them once per run
    instead of once per row is most of the load time (and the datetimes are shared).
    """

    def __init__(self) -> None:
        self._seen: dict[Any, dt.datetime] = {}

    def convert(self, values: Sequence[Any]) -> tuple[dt.datetime, ...]:
        seen = self._seen
        for value in set(values).difference(seen):
            converted = as_utc(value)
            assert converted is not None
            seen[value] = converted
        return tuple(map(seen.__getitem__, values))


def profile_series(
    session: Session,
    meter_ids: Iterable[int],
    start: dt.datetime,
    end: dt.datetime,
    obis: Sequence[str] = PROFILE_OBIS,
) -> dict[int, ProfileSeries]:
    """Rows with ``start <= end_at <= end`` per meter, column-wise.

    Read with plain result columns (no per-row type processing): this is the MDM's largest
    read, a month is 2,976 rows per meter.
    """
    ids = sorted(set(meter_ids))
    if not ids:
        return {}
    columns = ", ".join(BY_OBIS[o].column for o in obis)
    statement = text(
        f"SELECT meter_id, end_at, source, status, {columns} FROM profile_intervals "
        "WHERE meter_id IN :ids AND end_at >= :start AND end_at <= :end "
        "ORDER BY meter_id, end_at"
    ).bindparams(
        bindparam("ids", expanding=True),
        bindparam("start", type_=UTCDateTime),
        bindparam("end", type_=UTCDateTime),
    )
    grouped: dict[int, list[Any]] = {m: [] for m in ids}
    result = session.execute(statement, {"ids": ids, "start": start, "end": end})
    # The DBAPI rows as they come (plain tuples): nothing here needs per-row processing.
    for row in result.cursor.fetchall():  # type: ignore[attr-defined]
        grouped[row[0]].append(row)
    times = _Times()
    return {m: _series(rows, obis, times) for m, rows in grouped.items()}


#: A time shared by at least this many meters is read with one ``end_at = t`` query.
SHARED_TIME = 20
KEY_BATCH = 500


def _key_statements(keys: Iterable[tuple[int, dt.datetime]]) -> Iterator[Any]:
    """Statements that read the rows at these (meter, end) keys: one per time most meters share
    (a month edge), the rest by (meter, end) pairs in batches."""
    table = profile_intervals
    columns = [table.c.meter_id, table.c.end_at, table.c.source, table.c.status]
    columns += [table.c[BY_OBIS[o].column] for o in PROFILE_OBIS]
    by_time: dict[dt.datetime, list[int]] = {}
    for meter_id, end_at in keys:
        by_time.setdefault(end_at, []).append(meter_id)
    rest: list[tuple[int, dt.datetime]] = []
    for end_at, meter_ids in sorted(by_time.items()):
        if len(meter_ids) < SHARED_TIME:
            rest.extend((m, end_at) for m in meter_ids)
            continue
        for k in range(0, len(meter_ids), KEY_BATCH * 4):
            part = meter_ids[k : k + KEY_BATCH * 4]
            yield select(*columns).where(table.c.end_at == end_at, table.c.meter_id.in_(part))
    for k in range(0, len(rest), KEY_BATCH):
        pairs = rest[k : k + KEY_BATCH]
        yield select(*columns).where(tuple_(table.c.meter_id, table.c.end_at).in_(pairs))


def profile_at(
    session: Session, keys: Iterable[tuple[int, dt.datetime]]
) -> dict[int, ProfileSeries]:
    """The stored rows at these (meter, interval end) keys, column-wise per meter, with every
    column of :data:`PROFILE_OBIS` (the few rows the set-based run needs whole)."""
    grouped: dict[int, list[Any]] = {}
    for statement in _key_statements(keys):
        for row in session.execute(statement).cursor.fetchall():  # type: ignore[attr-defined]
            grouped.setdefault(row[0], []).append(row)
    times = _Times()
    result = {}
    for meter_id, rows in grouped.items():
        converted = times.convert([r[1] for r in rows])
        ordered = sorted(zip(converted, rows, strict=True), key=lambda p: p[0])
        result[meter_id] = _series([(r[0], t, *r[2:]) for t, r in ordered], PROFILE_OBIS, _Times())
    return result


def register_reads(
    session: Session, meter_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[int, tuple[RegisterRead, ...]]:
    """Readout values of the MDM's registers read in ``[start, end]`` per meter, by time."""
    ids = sorted(set(meter_ids))
    result: dict[int, list[RegisterRead]] = {m: [] for m in ids}
    if not ids:
        return {}
    rows = session.execute(
        select(
            ReadoutValue.meter_id,
            ReadoutValue.read_at,
            ReadoutValue.obis,
            ReadoutValue.number,
            ReadoutValue.value_time,
            ReadoutValue.readout_id,
        )
        .where(
            ReadoutValue.meter_id.in_(ids),
            ReadoutValue.read_at >= start,
            ReadoutValue.read_at <= end,
            ReadoutValue.obis.in_(READ_OBIS),
        )
        .order_by(ReadoutValue.meter_id, ReadoutValue.read_at, ReadoutValue.id)
    )
    for meter_id, read_at, obis, number, value_time, readout_id in rows:
        if obis.startswith("0.1.2*"):
            if value_time is None:
                continue  # a reset register whose time the meter did not state
            number = Decimal(0)  # the reset is its time, stamped by the adapter
        if number is None:
            continue
        result[meter_id].append(RegisterRead(read_at, obis, number, value_time, readout_id))
    return {m: tuple(v) for m, v in result.items()}


def meter_data(
    session: Session,
    meters: Mapping[int, str],
    start: dt.datetime,
    end: dt.datetime,
    *,
    profile_margin: dt.timedelta = dt.timedelta(days=2),
) -> dict[int, MeterData]:
    """Everything the computations need about these meters around ``[start, end]``."""
    profiles = profile_series(session, meters, start - profile_margin, end + profile_margin)
    reads = register_reads(session, meters, start - READ_MARGIN, end + READ_MARGIN)
    return {
        m: MeterData(m, serial, profiles.get(m, ProfileSeries()), reads.get(m, ()))
        for m, serial in meters.items()
    }


def as_utc(value: Any) -> dt.datetime | None:
    """A datetime from an aggregate (SQLite returns text and loses the column type)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

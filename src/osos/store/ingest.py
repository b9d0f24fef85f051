"""The one way meter data gets into the store: readouts with their raw bytes, and (through
:mod:`osos.store.intervals`) load-profile rows.

Every path (head-end sessions, hand-held captures, CSV imports) comes through here and the
intervals module, so the data rules hold once: the same raw bytes of a meter are stored once;
an interval already stored is never silently changed. Nothing here commits: the caller's
transaction holds the readout and the rows it produced together, so a failure leaves nothing
half-stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from osos.channels import CHANNELS
from osos.domain import ReadSource
from osos.errors import DataRejected
from osos.readings import CaptureReadings, ReadValue, aware_utc
from osos.store.bulk import insert_values
from osos.store.intervals import ProfileIngestResult, store_profile
from osos.store.models import Readout
from osos.store.raw import RawRow, store_raw

CHANNEL_COLUMNS: tuple[str, ...] = tuple(c.column for c in CHANNELS)


@dataclass(frozen=True)
class StoredReadout:
    readout_id: int
    created: bool


@dataclass(frozen=True)
class IngestSummary:
    """What one capture produced: its readout, how many values, what happened to intervals."""

    readout_id: int
    created: bool
    values: int
    profile: ProfileIngestResult
    last_end: dt.datetime | None = None
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Readouts


def store_readout(
    session: Session,
    *,
    meter_id: int,
    read_at: dt.datetime,
    raw: bytes,
    values: Iterable[ReadValue],
    source: ReadSource,
    kind: str = "readout",
    identification: str | None = None,
    meter_time: dt.datetime | None = None,
    comm_log_id: int | None = None,
) -> StoredReadout:
    """Store a response and its values once: the same bytes for the same meter are one readout."""
    prepared = PreparedReadout(
        meter_id=meter_id,
        read_at=aware_utc(read_at, "read_at"),
        raw=raw,
        kind=kind,
        source=source,
        identification=identification,
        meter_time=None if meter_time is None else aware_utc(meter_time, "meter_time"),
        values=prepare_values(values),
        comm_log_id=comm_log_id,
    )
    (stored,) = store_readouts(session, [prepared])
    return stored


ValueRow = tuple[str, str, str, str | None, str | None, dt.datetime | None]
"""A readout value ready to store: obis, address, exact text, number (exact text), unit, time."""


@dataclass(frozen=True)
class PreparedReadout:
    """A response ready to store (values checked and prepared before any database work)."""

    meter_id: int
    read_at: dt.datetime
    raw: bytes
    kind: str
    source: ReadSource
    identification: str | None
    meter_time: dt.datetime | None
    values: tuple[ValueRow, ...] = ()
    comm_log_id: int | None = None


def prepare_values(values: Iterable[ReadValue]) -> tuple[ValueRow, ...]:
    """Value rows of a readout; a number the store cannot keep exactly is refused here."""
    return tuple(
        (v.obis, v.address, v.value, _exact(v.number), v.unit, v.value_time) for v in values
    )


def _exact(number: Decimal | None) -> str | None:
    if number is None:
        return None
    if not number.is_finite():
        raise DataRejected(f"not a finite number: {number!r}")
    return str(number)


def store_readouts(session: Session, readouts: Sequence[PreparedReadout]) -> list[StoredReadout]:
    """Many responses (of many meters) in a few statements: one look-up of the bytes already
    stored, one insert of the new readouts, one of their bytes (``readout_raw``), one bulk
    write of all their values."""
    digests = [hashlib.sha256(r.raw).hexdigest() for r in readouts]
    known = {
        (meter_id, digest): readout_id
        for readout_id, meter_id, digest in session.execute(
            select(Readout.id, Readout.meter_id, Readout.raw_sha256).where(
                Readout.raw_sha256.in_(sorted(set(digests)))
            )
        )
    }
    results: list[StoredReadout | None] = []
    fresh: dict[tuple[int, str], int] = {}  # the same bytes twice in one batch: stored once
    rows: list[dict[str, object]] = []
    for readout, digest in zip(readouts, digests, strict=True):
        key = (readout.meter_id, digest)
        if key in known:
            results.append(StoredReadout(known[key], False))
            continue
        if key not in fresh:
            fresh[key] = len(rows)
            rows.append(_readout_row(readout, digest))
        results.append(None)
    if rows:
        statement = insert(Readout).returning(Readout.id, sort_by_parameter_order=True)
        ids = list(session.scalars(statement, rows))
        value_rows = []
        raw_rows: list[RawRow] = []
        created: set[tuple[int, str]] = set()
        for index, (readout, digest) in enumerate(zip(readouts, digests, strict=True)):
            if results[index] is not None:
                continue
            key = (readout.meter_id, digest)
            readout_id = ids[fresh[key]]
            results[index] = StoredReadout(readout_id, key not in created)
            if key not in created:
                created.add(key)
                head = (readout_id, readout.meter_id, readout.read_at)
                value_rows += [head + value for value in readout.values]
                raw_rows.append((readout_id, readout.raw, digest, readout.read_at))
        store_raw(session, raw_rows)
        insert_values(session, value_rows)
    return [r for r in results if r is not None]


def _readout_row(readout: PreparedReadout, digest: str) -> dict[str, object]:
    return {
        "meter_id": readout.meter_id,
        "read_at": readout.read_at,
        "kind": readout.kind,
        "source": readout.source,
        "identification": readout.identification,
        "raw_sha256": digest,
        "meter_time": readout.meter_time,
        "comm_log_id": readout.comm_log_id,
    }


# --------------------------------------------------------------------------------------------
# Captures (hand-held terminals, optical probes, files)


def store_capture(
    session: Session,
    *,
    meter_id: int,
    raw: bytes,
    capture: CaptureReadings,
    read_at: dt.datetime,
    source: ReadSource,
) -> IngestSummary:
    """Store a capture's values and profile records exactly as the head-end stores what it
    reads (one readout keeps the raw bytes of both)."""
    values, records = capture.values, capture.records
    stored = store_readout(
        session,
        meter_id=meter_id,
        read_at=read_at,
        raw=raw,
        values=values,
        source=source,
        kind="profile" if records and not values else "readout",
        identification=capture.identification,
        meter_time=capture.meter_time,
    )
    profile = ProfileIngestResult()
    if records:
        profile = store_profile(
            session,
            meter_id=meter_id,
            records=records,
            readout_id=stored.readout_id,
            actor=source.value,
        )
    return IngestSummary(
        readout_id=stored.readout_id,
        created=stored.created,
        values=len(values) if stored.created else 0,
        profile=profile,
        last_end=max((r.end_at for r in records), default=None),
        warnings=capture.warnings,
    )

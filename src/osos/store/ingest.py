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
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from osos.channels import CHANNELS
from osos.domain import ReadSource
from osos.readings import CaptureReadings, ReadValue, aware_utc
from osos.store.intervals import ProfileIngestResult, store_profile
from osos.store.models import (
    Readout,
    ReadoutValue,
)

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
    read_at = aware_utc(read_at, "read_at")
    digest = hashlib.sha256(raw).hexdigest()
    existing = session.execute(
        select(Readout.id).where(Readout.meter_id == meter_id, Readout.raw_sha256 == digest)
    ).scalar_one_or_none()
    if existing is not None:
        return StoredReadout(existing, False)
    readout = Readout(
        meter_id=meter_id,
        read_at=read_at,
        kind=kind,
        source=source,
        identification=identification,
        raw=raw,
        raw_sha256=digest,
        meter_time=None if meter_time is None else aware_utc(meter_time, "meter_time"),
        comm_log_id=comm_log_id,
    )
    session.add(readout)
    session.flush()
    rows = [
        {
            "readout_id": readout.id,
            "meter_id": meter_id,
            "read_at": read_at,
            "obis": v.obis,
            "address": v.address,
            "value": v.value,
            "number": v.number,
            "unit": v.unit,
            "value_time": v.value_time,
        }
        for v in values
    ]
    if rows:
        session.execute(insert(ReadoutValue), rows)
    return StoredReadout(readout.id, True)


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

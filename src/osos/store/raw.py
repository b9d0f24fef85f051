"""The raw bytes of every read: written beside the readout (same transaction), read back by
:func:`raw_of` wherever they are now.

A readout's bytes live in ``readout_raw`` until ``osos raw archive`` moves its month to the
month's archive file (:mod:`osos.store.raw_archive`); ``raw_archives`` records where that file
is. :func:`raw_of` looks in the table, then in the file, and checks the bytes against the digest
the readout was stored with: bytes are never lost, only moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from osos.errors import RawUnavailable
from osos.store import raw_files
from osos.store.models import RawArchive, RawArchiveBlock, Readout, ReadoutRaw
from osos.timeutil import period_of


@dataclass(frozen=True)
class RawTranscript:
    """A readout's bytes as received, with their digest and where they were read from."""

    readout_id: int
    raw: bytes
    sha256: str
    month: str  # local month of the read, YYYY-MM
    archive: Path | None = None  # the archive file they came from; None: the database


def month_of(read_at: dt.datetime) -> str:
    """The month a readout's bytes are kept and archived under: the local month of its read."""
    return period_of(read_at)


RawRow = tuple[int, bytes, str, dt.datetime]
"""A readout's bytes to store: readout id, bytes, sha256, read_at."""


def store_raw(session: Session, rows: Sequence[RawRow]) -> None:
    """The new readouts' bytes, in the caller's transaction (one statement)."""
    if not rows:
        return
    session.execute(
        insert(ReadoutRaw),
        [
            {"readout_id": i, "raw": raw, "sha256": digest, "month": month_of(at)}
            for i, raw, digest, at in rows
        ],
    )


def raw_of(session: Session, readout_id: int) -> RawTranscript | None:
    """A readout's bytes, from the table or its month's archive file; None when there is no
    such readout. :class:`RawUnavailable` when the bytes are not where the store says."""
    row = session.execute(
        select(ReadoutRaw.raw, ReadoutRaw.sha256, ReadoutRaw.month).where(
            ReadoutRaw.readout_id == readout_id
        )
    ).first()
    if row is not None:
        return RawTranscript(readout_id, row.raw, row.sha256, row.month)
    readout = session.execute(
        select(Readout.read_at, Readout.raw_sha256).where(Readout.id == readout_id)
    ).first()
    if readout is None:
        return None
    month = month_of(readout.read_at)
    record = session.get(RawArchive, month)
    if record is None:
        raise RawUnavailable(f"readout {readout_id}: no bytes stored and {month} not archived")
    path = Path(record.path)
    block = session.execute(
        select(RawArchiveBlock.offset, RawArchiveBlock.length)
        .where(
            RawArchiveBlock.month == month,
            RawArchiveBlock.first_id >= 0,
            RawArchiveBlock.first_id <= readout_id,
        )
        .order_by(RawArchiveBlock.first_id.desc())
        .limit(1)
    ).first()
    data = None if block is None else raw_files.read_block(path, *block).get(str(readout_id))
    if data is None:
        raise RawUnavailable(f"readout {readout_id}: not in {path}")
    if hashlib.sha256(data).hexdigest() != readout.raw_sha256:
        raise RawUnavailable(f"readout {readout_id}: {path} holds other bytes than were read")
    return RawTranscript(readout_id, data, readout.raw_sha256, month, path)

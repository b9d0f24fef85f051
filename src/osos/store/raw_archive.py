"""Retention of the raw bytes: whole months moved from ``readout_raw`` to one compressed file
per month (:mod:`osos.store.raw_files`), and the check of every archived member.

A month is archived in four steps, each safe to crash after:

1. the file is written: the month's earlier file (if any) and the rows still in the table,
   merged in id order, each readout once, to a temporary file, fsynced and renamed over
   ``raw-YYYY-MM.tar.xz``;
2. the file is read back: every member against the manifest and the digest its readout was
   stored with;
3. in one transaction, ``raw_archives`` records the file and its blocks, the table's rows in
   the file's id ranges are deleted, and the count is checked — every readout of the month has
   its bytes in the table or the file — else the transaction is rolled back;
4. committed.

A crash before 4 leaves every row in the table (and perhaps a file holding them too): a re-run
writes the file again from both, each readout once. After the commit the month has no rows
left, and a re-run has nothing to do. Bytes are never lost, never held twice once done. No step
holds the month in memory: rows stream, the file is read a block at a time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from osos.errors import RawUnavailable
from osos.store import raw_files
from osos.store.models import RawArchive, RawArchiveBlock, Readout, ReadoutRaw
from osos.timeutil import add_months, month_bounds, period_of

Progress = Callable[[str], None]
PROGRESS_EVERY = 10_000  # members between two progress lines of one month
DELETE_BATCH = 5_000  # ids per DELETE statement (one transaction for the month)


def retention_cut(now: dt.datetime, months: int) -> str:
    """The first month kept when ``months`` full months are kept before the current one."""
    return period_of(add_months(now, -months))


@dataclass(frozen=True)
class MonthToArchive:
    month: str
    readouts: int
    raw_bytes: int


@dataclass(frozen=True)
class MonthArchived:
    month: str
    path: Path
    moved: int  # rows moved from the table
    members: int  # readouts in the file now
    file_bytes: int


def pending(session: Session, before: str) -> list[MonthToArchive]:
    """The months before ``before`` (YYYY-MM) that still have bytes in the table."""
    month_bounds(before)  # refuses what is not a month
    rows = session.execute(
        select(ReadoutRaw.month, func.count(), func.sum(func.length(ReadoutRaw.raw)))
        .where(ReadoutRaw.month < before)
        .group_by(ReadoutRaw.month)
        .order_by(ReadoutRaw.month)
    )
    return [MonthToArchive(m, n, int(size or 0)) for m, n, size in rows]


def archive(
    sessions: sessionmaker[Session],
    directory: Path,
    before: str,
    *,
    now: dt.datetime,
    progress: Progress = lambda _text: None,
) -> list[MonthArchived]:
    """Archive every month before ``before`` (see the module text); :func:`pending` says
    what this would move without moving it."""
    with sessions() as session:
        months = pending(session, before)
    directory.mkdir(parents=True, exist_ok=True)
    done = []
    for index, month in enumerate(months, 1):
        progress(f"{month.month} ({index}/{len(months)}): {month.readouts:,} readout(s), "
                 f"{month.raw_bytes:,} bytes")  # fmt: skip
        done.append(archive_month(sessions, directory, month.month, now=now, progress=progress))
    return done


def archive_month(
    sessions: sessionmaker[Session],
    directory: Path,
    month: str,
    *,
    now: dt.datetime,
    progress: Progress = lambda _text: None,
) -> MonthArchived:
    target = directory / raw_files.file_name(month)
    with sessions() as session:
        recorded = session.get(RawArchive, month)
        earlier = Path(recorded.path) if recorded is not None else target
        kept = raw_files.members(earlier) if earlier.exists() else iter(())
        raw_files.write(target, _merged(kept, _rows(session, month, progress)))
        checked = _check_written(session, target, month)
    with sessions.begin() as session:
        _record(session, month, target, checked, now)
        moved = _forget(session, month, checked)
        _all_kept(session, month, checked.members, target)
    progress(f"{month}: {moved:,} moved, {checked.members:,} in {target}")
    return MonthArchived(month, target, moved, checked.members, target.stat().st_size)


def _rows(session: Session, month: str, progress: Progress) -> Iterator[raw_files.Member]:
    """The month's rows in id order, each checked against its readout's digest."""
    query = (
        select(ReadoutRaw.readout_id, ReadoutRaw.raw, ReadoutRaw.sha256, Readout.raw_sha256)
        .join(Readout, Readout.id == ReadoutRaw.readout_id)
        .where(ReadoutRaw.month == month)
        .order_by(ReadoutRaw.readout_id)
        .execution_options(yield_per=1000)
    )
    for count, (readout_id, raw, digest, stored) in enumerate(session.execute(query), 1):
        if not (digest == stored == hashlib.sha256(raw).hexdigest()):
            raise RawUnavailable(f"readout {readout_id}: its bytes do not match their digest")
        if count % PROGRESS_EVERY == 0:
            progress(f"{month}: {count:,} written")
        yield raw_files.Member(readout_id, stored, raw)


def _merged(
    kept: Iterator[raw_files.Member], rows: Iterator[raw_files.Member]
) -> Iterator[raw_files.Member]:
    """The earlier file's members and the table's rows merged in id order, each readout once
    (a crash after the rename left both); the same id with other bytes is refused."""
    by_id = heapq.merge(kept, rows, key=lambda m: m.readout_id)
    for _readout_id, group in itertools.groupby(by_id, key=lambda m: m.readout_id):
        first, *others = group
        if any(other.sha256 != first.sha256 for other in others):
            raise RawUnavailable(f"readout {first.readout_id}: archived with other bytes")
        yield first


def _stored(session: Session, month: str) -> raw_files.Stored:
    """The store's digests of a month's readouts by id range, and whether each still has its
    row in the table (for :func:`raw_files.check`)."""
    low, high = month_bounds(month)

    def known(first: int, last: int) -> dict[int, tuple[str, bool]]:
        query = (
            select(Readout.id, Readout.raw_sha256, ReadoutRaw.readout_id)
            .outerjoin(ReadoutRaw, ReadoutRaw.readout_id == Readout.id)
            .where(Readout.id.between(first, last), Readout.read_at >= low)
            .where(Readout.read_at < high)
        )
        return {i: (digest, held is not None) for i, digest, held in session.execute(query)}

    return known


def _check_written(session: Session, path: Path, month: str) -> raw_files.Checked:
    """The new file read back: whole, each member with the digest it was stored with."""
    checked = raw_files.check(path, _stored(session, month))
    if checked.problems:
        shown = "; ".join(checked.problems[:5])
        raise RawUnavailable(f"{path} failed its check, nothing deleted: {shown}")
    return checked


def _counts(session: Session, month: str) -> tuple[int, int]:
    """(readouts of the month, of them with their row in the table)."""
    low, high = month_bounds(month)
    readouts = session.scalar(
        select(func.count()).where(Readout.read_at >= low, Readout.read_at < high)
    )
    rows = session.scalar(select(func.count()).where(ReadoutRaw.month == month))
    return int(readouts or 0), int(rows or 0)


def _all_kept(session: Session, month: str, members: int, path: Path) -> None:
    """After the delete: every readout of the month without its row is in the file (whose
    members were each matched to a readout of the month), else nothing is deleted."""
    readouts, rows = _counts(session, month)
    if readouts - rows != members:
        raise RawUnavailable(
            f"{month}: {readouts:,} readouts, {rows:,} rows left, {members:,} in {path}: "
            "the file does not hold every readout deleted; nothing deleted"
        )


def _record(
    session: Session, month: str, path: Path, checked: raw_files.Checked, now: dt.datetime
) -> None:
    """The month's file and its blocks (the caller's transaction)."""
    record = session.get(RawArchive, month)
    if record is None:
        record = RawArchive(month=month)
        session.add(record)
    record.path, record.members = str(path.resolve()), checked.members
    record.file_sha256, record.archived_at = raw_files.sha256_of(path), now
    session.flush()
    session.execute(delete(RawArchiveBlock).where(RawArchiveBlock.month == month))
    session.execute(
        insert(RawArchiveBlock),
        [{"month": month, "first_id": b.first_id, "offset": b.offset, "length": b.length}
         for b in checked.blocks],
    )  # fmt: skip


def _forget(session: Session, month: str, checked: raw_files.Checked) -> int:
    """The table's rows in the file's id ranges deleted (the caller's one transaction; a row
    in a range but not in the file fails :func:`_all_kept`); returns how many."""
    firsts = [b.first_id for b in checked.blocks if b.first_id >= 0]
    bounds = zip(firsts, [f - 1 for f in firsts[1:]] + [checked.last_id], strict=True)
    deleted = 0
    for first, last in bounds:
        result = session.execute(
            delete(ReadoutRaw).where(
                ReadoutRaw.month == month, ReadoutRaw.readout_id.between(first, last)
            )
        )
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


@dataclass(frozen=True)
class Verified:
    files: int
    members: int
    problems: tuple[str, ...]


def verify(
    session: Session, directory: Path | None = None, progress: Progress = lambda _text: None
) -> Verified:
    """Every archived member against the digest its readout was stored with. The recorded
    files, or (``directory``) the month files found there, for archives that were moved."""
    records = {r.month: Path(r.path) for r in session.scalars(select(RawArchive))}
    if directory is not None:
        found = {p.name.removeprefix("raw-").removesuffix(".tar.xz"): p
                 for p in sorted(directory.glob(raw_files.file_name("*")))}  # fmt: skip
        records = {m: found.get(m, directory / raw_files.file_name(m)) for m in records} | found
    problems: list[str] = []
    members = 0
    for month, path in sorted(records.items()):
        if not path.exists():
            problems.append(f"{month}: {path} is missing")
            continue
        try:
            checked = raw_files.check(path, _stored(session, month))
        except RawUnavailable as exc:
            problems.append(str(exc))
            continue
        problems += [*checked.problems, *_against_index(session, month, checked.blocks, path)]
        readouts, rows = _counts(session, month)
        lost = readouts - rows - (checked.members - checked.in_table)
        if lost > 0:
            problems.append(f"{month}: {lost:,} readout(s) with bytes neither in the table "
                            f"nor in {path}")  # fmt: skip
        members += checked.members
        progress(f"{month}: {checked.members:,} member(s) checked in {path}")
    return Verified(len(records), members, tuple(problems))


def _against_index(
    session: Session, month: str, blocks: Sequence[raw_files.Block], path: Path
) -> list[str]:
    """The recorded blocks (how raw_of finds a readout) against the file's own."""
    query = select(RawArchiveBlock).where(RawArchiveBlock.month == month)
    recorded = sorted((b.first_id, b.offset, b.length) for b in session.scalars(query))
    if recorded and recorded != sorted((b.first_id, b.offset, b.length) for b in blocks):
        return [f"{path}: its blocks differ from the ones recorded for {month}"]
    return []

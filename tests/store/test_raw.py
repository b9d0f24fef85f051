"""Raw bytes in their own table and their archive: written with the readout, moved month by
month to a zip, still read back exactly by raw_of; crashes at each step lose nothing and store
nothing twice; verify finds a corrupted member. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import lzma
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from osos.cli import app
from osos.domain import ReadSource
from osos.errors import RawUnavailable
from osos.runtime import Runtime
from osos.store import raw_archive, raw_files
from osos.store.ingest import store_readout
from osos.store.models import RawArchive, Readout, ReadoutRaw
from osos.store.raw import raw_of
from osos.timeutil import UTC
from tests.factories import add_meter

# local months: 2025-01 twice, 2025-03 (22:30 UTC on 28 February is 01:30 on 1 March in
# Istanbul), 2025-04; the archive below moves the months before 2025-04
READS = (
    dt.datetime(2025, 1, 10, 8, 0, tzinfo=UTC),
    dt.datetime(2025, 1, 31, 20, 59, tzinfo=UTC),
    dt.datetime(2025, 2, 28, 22, 30, tzinfo=UTC),
    dt.datetime(2025, 4, 2, 9, 0, tzinfo=UTC),
)
NOW = dt.datetime(2025, 4, 20, tzinfo=UTC)


def _raw(n: int) -> bytes:
    """Distinct bytes of every value 0–255, so nothing survives that is not kept exactly."""
    return bytes(range(256)) + f"/MSY5<1>C520\r\n1.8.0({n:010d}*kWh)\r\n!\r\n".encode() * 20


def _store(runtime: Runtime) -> dict[int, bytes]:
    stored = {}
    with runtime.sessions.begin() as session:
        meter = add_meter(session, "RAW1")
        for n, at in enumerate(READS):
            raw = _raw(n)
            readout = store_readout(
                session, meter_id=meter.id, read_at=at, raw=raw, values=[], source=ReadSource.INGEST
            )
            stored[readout.readout_id] = raw
    return stored


def _table(session: Session) -> dict[str, int]:
    rows = session.execute(select(ReadoutRaw.month, func.count()).group_by(ReadoutRaw.month))
    return {month: count for month, count in rows}


def _all_back(runtime: Runtime, stored: dict[int, bytes]) -> None:
    with runtime.sessions() as session:
        for readout_id, raw in stored.items():
            found = raw_of(session, readout_id)
            assert found is not None and found.raw == raw, readout_id


def _archive(
    runtime: Runtime, folder: Path, before: str = "2025-04"
) -> list[raw_archive.MonthArchived]:
    return raw_archive.archive(runtime.sessions, folder, before, now=NOW)


def _problems(runtime: Runtime, folder: Path | None = None) -> tuple[str, ...]:
    with runtime.sessions() as session:
        return raw_archive.verify(session, folder).problems


def test_written_with_the_readout_month_local(runtime: Runtime) -> None:
    stored = _store(runtime)
    with runtime.sessions() as session:
        assert _table(session) == {"2025-01": 2, "2025-03": 1, "2025-04": 1}
        first = raw_of(session, min(stored))
        assert first is not None and first.archive is None and first.month == "2025-01"
        assert raw_of(session, max(stored) + 1) is None  # no such readout


def test_round_trip_through_the_archive(runtime: Runtime, tmp_path: Path) -> None:
    stored = _store(runtime)
    done = _archive(runtime, tmp_path)
    assert [(d.month, d.moved, d.members) for d in done] == [
        ("2025-01", 2, 2),
        ("2025-03", 1, 1),
    ]
    with runtime.sessions() as session:
        assert _table(session) == {"2025-04": 1}  # the month kept
        records = {r.month: r.members for r in session.scalars(select(RawArchive))}
        assert records == {"2025-01": 2, "2025-03": 1}
        oldest = raw_of(session, min(stored))
        assert oldest is not None and oldest.archive == tmp_path / "raw-2025-01.tar.xz"
    _all_back(runtime, stored)
    with tarfile.open(tmp_path / "raw-2025-01.tar.xz", "r:xz") as archive:  # a plain tar.xz
        ids = sorted(stored)[:2]
        assert archive.getnames() == [str(ids[0]), str(ids[1]), "MANIFEST.tsv"]
        member = archive.extractfile(str(ids[1]))
        assert member is not None and member.read() == stored[ids[1]]
    assert _archive(runtime, tmp_path) == []  # nothing left before 2025-04
    assert _problems(runtime, tmp_path) == ()


def test_a_late_readout_of_an_archived_month_joins_its_file(
    runtime: Runtime, tmp_path: Path
) -> None:
    stored = _store(runtime)
    _archive(runtime, tmp_path)
    with runtime.sessions.begin() as session:
        meter_id = session.scalars(select(Readout.meter_id)).first()
        assert meter_id is not None
        late = store_readout(
            session, meter_id=meter_id, read_at=dt.datetime(2025, 1, 20, tzinfo=UTC),
            raw=b"late hand-held capture", values=[], source=ReadSource.INGEST,
        )  # fmt: skip
    stored[late.readout_id] = b"late hand-held capture"
    (done,) = _archive(runtime, tmp_path)
    assert (done.month, done.moved, done.members) == ("2025-01", 1, 3)
    _all_back(runtime, stored)


def test_dry_run_changes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    _store(runtime)
    folder = tmp_path / "archive"
    result = CliRunner().invoke(
        app, ["raw", "archive", "--before", "2025-04", "--dir", str(folder), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "2025-01: would move 2 readout(s)" in result.output
    assert "2025-03: would move 1 readout(s)" in result.output
    assert "2025-04: would" not in result.output
    assert not folder.exists()
    with runtime.sessions() as session:
        assert _table(session) == {"2025-01": 2, "2025-03": 1, "2025-04": 1}
        assert session.scalar(select(func.count()).select_from(RawArchive)) == 0
    done = CliRunner().invoke(app, ["raw", "archive", "--before", "2025-04", "--dir", str(folder)])
    assert done.exit_code == 0, done.output
    assert "2025-01 (1/2): 2 readout(s)" in done.output  # progress, month by month
    assert "archived 2 month(s), 3 readout(s)" in done.output and str(folder) in done.output
    assert sorted(p.name for p in folder.iterdir()) == ["raw-2025-01.tar.xz", "raw-2025-03.tar.xz"]


def test_the_retention_decides_without_before(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(runtime)
    assert raw_archive.retention_cut(NOW, 24) == "2023-04"
    assert raw_archive.retention_cut(NOW, 1) == "2025-03"
    monkeypatch.setenv("OSOS_RAW_RETENTION_MONTHS", "1")
    result = CliRunner().invoke(app, ["raw", "archive", "--dir", str(tmp_path), "--dry-run"])
    assert result.exit_code == 0, result.output
    # the system clock's now is long after 2025: every month of the test is past retention
    assert "2025-01" in result.output and "2025-04" in result.output


class Crash(Exception):
    pass


def _crash_after(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make raw_archive's step ``name`` raise once, after it ran."""
    original = getattr(raw_archive, name)

    def crashing(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)
        monkeypatch.setattr(raw_archive, name, original)
        raise Crash(name)

    monkeypatch.setattr(raw_archive, name, crashing)


@pytest.mark.parametrize("step", ["_check_written", "_forget"])
def test_a_crash_then_a_rerun_keeps_every_byte_once(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """``_check_written``: the file is written and renamed, no row deleted yet; ``_forget``:
    the rows were deleted in the transaction that then fails."""
    stored = _store(runtime)
    _crash_after(monkeypatch, step)
    with pytest.raises(Crash):
        _archive(runtime, tmp_path)
    assert (tmp_path / "raw-2025-01.tar.xz").exists()  # the first month's file is there …
    with runtime.sessions() as session:  # … and every row still is too
        assert _table(session) == {"2025-01": 2, "2025-03": 1, "2025-04": 1}
        assert session.scalar(select(func.count()).select_from(RawArchive)) == 0
    _all_back(runtime, stored)
    done = _archive(runtime, tmp_path)
    assert [(d.month, d.moved, d.members) for d in done] == [
        ("2025-01", 2, 2),  # each readout once, not the file's two plus the table's two
        ("2025-03", 1, 1),
    ]
    _all_back(runtime, stored)
    assert _problems(runtime) == ()


def test_a_crash_between_months_resumes_at_the_next(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = _store(runtime)

    def progress(text: str) -> None:
        if text.startswith("2025-03 ("):  # the first month committed, the second not begun
            raise Crash(text)

    with pytest.raises(Crash):
        raw_archive.archive(runtime.sessions, tmp_path, "2025-04", now=NOW, progress=progress)
    with runtime.sessions() as session:
        assert _table(session) == {"2025-03": 1, "2025-04": 1}
    first = (tmp_path / "raw-2025-01.tar.xz").read_bytes()
    done = _archive(runtime, tmp_path)
    assert [d.month for d in done] == ["2025-03"]
    assert (tmp_path / "raw-2025-01.tar.xz").read_bytes() == first
    _all_back(runtime, stored)


def test_a_row_the_file_missed_stops_the_delete(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row committed inside the file's id range after the month was read (PostgreSQL
    commits ids out of order): the delete would take it, so the count check rolls it back."""
    stored = _store(runtime)
    with runtime.sessions.begin() as session:
        meter_id = session.scalars(select(Readout.meter_id)).first()
        assert meter_id is not None
        third = store_readout(
            session, meter_id=meter_id, read_at=dt.datetime(2025, 1, 20, tzinfo=UTC),
            raw=b"third", values=[], source=ReadSource.INGEST,
        )  # fmt: skip
    stored[third.readout_id] = b"third"
    original = raw_archive._rows
    skipped = sorted(stored)[1]  # January's second: inside the file's range [first, third]

    def rows_but_one(*args: object, **kwargs: object) -> Iterator[raw_files.Member]:
        return (m for m in original(*args, **kwargs) if m.readout_id != skipped)  # type: ignore[arg-type]

    monkeypatch.setattr(raw_archive, "_rows", rows_but_one)
    with pytest.raises(RawUnavailable, match="nothing deleted"):
        _archive(runtime, tmp_path)
    with runtime.sessions() as session:
        assert _table(session) == {"2025-01": 3, "2025-03": 1, "2025-04": 1}
    monkeypatch.setattr(raw_archive, "_rows", original)
    assert [d.moved for d in _archive(runtime, tmp_path)] == [3, 1]
    _all_back(runtime, stored)


def _corrupt(path: Path, readout_id: int) -> None:
    """Rewrite the file with one member's bytes changed (its manifest line kept, the xz
    streams whole): only the digests can tell."""
    with tarfile.open(path, "r:xz") as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive}  # type: ignore[union-attr]
    members[str(readout_id)] = members[str(readout_id)][:-1] + b"?"
    with path.open("wb") as handle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            body = info.tobuf(tarfile.USTAR_FORMAT) + data + b"\0" * (-len(data) % 512)
            handle.write(lzma.compress(body))
        handle.write(lzma.compress(b"\0" * 1024))


def test_verify_finds_a_corrupted_member(runtime: Runtime, tmp_path: Path) -> None:
    stored = _store(runtime)
    _archive(runtime, tmp_path)
    victim = min(stored)
    ok = CliRunner().invoke(app, ["raw", "verify"])
    assert ok.exit_code == 0 and "verified 2 file(s), 3 member(s): all match" in ok.output
    _corrupt(tmp_path / "raw-2025-01.tar.xz", victim)
    bad = CliRunner().invoke(app, ["raw", "verify", "--dir", str(tmp_path)])
    assert bad.exit_code == 1
    assert f"readout {victim} does not match its sha256" in bad.output
    assert f"readout {victim} is not stored with these bytes" in bad.output
    assert "blocks differ from the ones recorded" in bad.output  # the file was rewritten
    assert "3 problem(s)" in bad.output
    with runtime.sessions() as session, pytest.raises(RawUnavailable):
        raw_of(session, victim)


def test_verify_finds_a_damaged_file(runtime: Runtime, tmp_path: Path) -> None:
    stored = _store(runtime)
    _archive(runtime, tmp_path)
    path = tmp_path / "raw-2025-01.tar.xz"
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF  # one bit flip inside the first block's stream
    path.write_bytes(bytes(data))
    problems = _problems(runtime)
    assert len(problems) == 1 and "raw-2025-01.tar.xz: block at 0 unreadable" in problems[0]
    with runtime.sessions() as session, pytest.raises(RawUnavailable):
        raw_of(session, min(stored))


def test_verify_finds_a_missing_file(runtime: Runtime, tmp_path: Path) -> None:
    _store(runtime)
    _archive(runtime, tmp_path)
    (tmp_path / "raw-2025-03.tar.xz").unlink()
    problems = _problems(runtime)
    assert len(problems) == 1 and "raw-2025-03.tar.xz is missing" in problems[0]


def test_the_file_is_read_back_block_by_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(raw_files, "BLOCK", 2)
    monkeypatch.setattr(
        raw_files, "MANIFEST_BLOCK", 100
    )  # the manifest in four streams, then its end
    path = tmp_path / raw_files.file_name("2025-01")
    ids = (3, 5, 8, 13, 21)
    members = [raw_files.Member(i, hashlib.sha256(b"x%d" % i).hexdigest(), b"x%d" % i) for i in ids]
    blocks = raw_files.write(path, members)
    assert [b.first_id for b in blocks] == [3, 8, 21, -1, -2, -3, -4, -5]  # -1…: the manifest
    assert raw_files.read_block(path, blocks[1].offset, blocks[1].length) == {
        "8": b"x8", "13": b"x13"
    }  # fmt: skip
    lines = list(raw_files.manifest_lines(path, blocks[3].offset))
    assert lines == [(m.readout_id, m.sha256) for m in members]
    with tarfile.open(path, "r:xz") as archive:  # a plain tar.xz for any tool
        assert archive.getnames() == [*map(str, ids), "MANIFEST.tsv"]
    store = {m.readout_id: (m.sha256, False) for m in members}
    checked = raw_files.check(path, lambda low, high: store)
    assert checked.problems == () and checked.members == 5 and checked.last_id == 21
    assert list(checked.blocks) == blocks
    del store[13]
    checked = raw_files.check(path, lambda low, high: store)
    assert checked.problems == (f"{path}: readout 13 is not stored with these bytes",)
    with pytest.raises(RawUnavailable):
        raw_files.write(path, [*members, members[0]])  # out of order (or twice) is refused
    assert list(raw_files.manifest_lines(path, blocks[3].offset)) == lines  # left as it was
    assert not list(tmp_path.glob("*.tmp"))

"""The monthly archive file of raw bytes (``raw-YYYY-MM.zip``): one deflated member per
readout, named by its id, and a manifest ``MANIFEST.tsv`` (id, sha256, bytes) written last.

Zip rather than tar.xz: a readout is read back alone (an operator opens an old finding's
evidence), and the zip's directory finds one member without decompressing the month; a tar.xz
would compress a month better (one stream over readouts that differ in a few digits) but must
be decompressed up to the member. Deflate gives 3–3.5× on readouts (``docs/scaling.md``).

A file is written crash-safe: to a temporary file beside it, flushed and fsynced, renamed over
the month's name, the folder fsynced. A crash leaves the old file or the new one, never half of
one. Nothing here touches the database (:mod:`osos.store.raw_archive` does).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from osos.errors import RawUnavailable

MANIFEST = "MANIFEST.tsv"
HEADER = "readout_id\tsha256\tbytes\n"
_STAMP = (1980, 1, 1, 0, 0, 0)  # every member's zip time: the same bytes make the same file
_READ_ERRORS = (OSError, zipfile.BadZipFile, zlib.error, EOFError)


def file_name(month: str) -> str:
    return f"raw-{month}.zip"


@dataclass(frozen=True)
class Member:
    """One readout's bytes as archived, with the digest they must have."""

    readout_id: int
    sha256: str
    raw: bytes


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write(path: Path, members: Iterable[Member]) -> int:
    """Write the month's file crash-safe (see the module text); returns the member count.
    A readout id twice is refused (a file holds each readout once)."""
    temporary = path.with_name(path.name + ".tmp")
    lines = [HEADER]
    seen: set[int] = set()
    try:
        with temporary.open("wb") as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
                for member in members:
                    if member.readout_id in seen:
                        raise RawUnavailable(f"readout {member.readout_id} twice in {path}")
                    seen.add(member.readout_id)
                    info = zipfile.ZipInfo(str(member.readout_id), date_time=_STAMP)
                    out.writestr(info, member.raw, compress_type=zipfile.ZIP_DEFLATED)
                    lines.append(f"{member.readout_id}\t{member.sha256}\t{len(member.raw)}\n")
                manifest = zipfile.ZipInfo(MANIFEST, date_time=_STAMP)
                out.writestr(manifest, "".join(lines), compress_type=zipfile.ZIP_DEFLATED)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_folder(path.parent)
    return len(seen)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def manifest(path: Path) -> dict[int, str]:
    """The file's manifest: readout id → sha256."""
    try:
        with zipfile.ZipFile(path) as archive:
            text = archive.read(MANIFEST).decode("ascii")
    except (*_READ_ERRORS, KeyError, UnicodeDecodeError) as exc:
        raise RawUnavailable(f"{path}: no readable manifest ({exc})") from exc
    entries: dict[int, str] = {}
    for line in text.splitlines()[1:]:
        readout_id, digest, _size = line.split("\t")
        entries[int(readout_id)] = digest
    return entries


def read_member(path: Path, readout_id: int) -> bytes | None:
    """One readout's bytes from the file; None when the file does not hold it."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(str(readout_id))
    except KeyError:
        return None
    except _READ_ERRORS as exc:
        raise RawUnavailable(f"readout {readout_id}: {path} unreadable ({exc})") from exc


def members(path: Path) -> Iterator[Member]:
    """Every member with its manifest digest, in the file's order (bytes as stored: the
    caller checks them)."""
    listed = manifest(path)
    try:
        with zipfile.ZipFile(path) as archive:
            for readout_id, digest in listed.items():
                yield Member(readout_id, digest, archive.read(str(readout_id)))
    except (*_READ_ERRORS, KeyError) as exc:
        raise RawUnavailable(f"{path}: a member is unreadable ({exc})") from exc


def check(path: Path) -> tuple[dict[int, str], list[str]]:
    """Every member read and its sha256 compared with the manifest's: (the manifest, the
    problems found, one line each; empty when the file is whole)."""
    listed = manifest(path)
    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist()) - {MANIFEST}
            for readout_id, digest in listed.items():
                problems += _check_member(archive, path, readout_id, digest)
    except _READ_ERRORS as exc:
        return listed, [*problems, f"{path}: unreadable ({exc})"]
    unlisted = sorted(names - {str(i) for i in listed})
    problems += [f"{path}: member {name} not in the manifest" for name in unlisted]
    return listed, problems


def _check_member(archive: zipfile.ZipFile, path: Path, readout_id: int, digest: str) -> list[str]:
    try:
        data = archive.read(str(readout_id))
    except KeyError:
        return [f"{path}: readout {readout_id} in the manifest, not in the file"]
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        return [f"{path}: readout {readout_id} unreadable ({exc})"]
    if hashlib.sha256(data).hexdigest() != digest:
        return [f"{path}: readout {readout_id} does not match its sha256"]
    return []

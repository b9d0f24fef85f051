"""The monthly archive file of raw bytes, ``raw-YYYY-MM.tar.xz``: a tar with one member per
readout, named by its id, and a last member ``MANIFEST.tsv`` (id, sha256, bytes).

The file is a plain ``.tar.xz`` (``tar -xJf`` extracts it) cut into blocks: the members are in
id order, each run of :data:`BLOCK` members compressed as its own xz stream, the streams
concatenated (xz reads concatenated streams as one). A block's offset and length, kept by the
caller, let one readout be read back by decompressing its block alone (a few hundred kB),
not the month. Measured on the simulated fleet's responses (``bench/bench_raw.py``): 9× smaller
than the bytes, where a zip of one deflated member per readout gave 1.1× (the profile answers
are 200–300 bytes each: compressed alone they barely shrink, and zip adds ~90 bytes a member).

A file is written crash-safe: to a temporary file beside it, fsynced, renamed over the month's
name, the folder fsynced. A crash leaves the old file or the new one, never half of one.
Nothing here touches the database (:mod:`osos.store.raw_archive` does).
"""

from __future__ import annotations

import hashlib
import lzma
import os
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from osos.errors import RawUnavailable

MANIFEST = "MANIFEST.tsv"
HEADER = "readout_id\tsha256\tbytes\n"
BLOCK = 250  # members per xz stream: ~0.2 MB of tar to decompress for one readout
PRESET = 6
_TAR = 512
_RECORD = 20 * _TAR
_CHUNK = 1 << 20
_ZERO = b"\0" * _TAR


def file_name(month: str) -> str:
    return f"raw-{month}.tar.xz"


@dataclass(frozen=True)
class Member:
    """One readout's bytes as archived, with the digest they must have."""

    readout_id: int
    sha256: str
    raw: bytes


@dataclass(frozen=True)
class Block:
    """One xz stream of the file: its first readout id, where it starts, how long it is."""

    first_id: int
    offset: int
    length: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tar_entry(name: str, data: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o444  # the same bytes make the same file
    head = info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")
    return head + data + b"\0" * (-len(data) % _TAR)


def write(path: Path, members: Iterable[Member]) -> list[Block]:
    """Write the month's file crash-safe (see the module text) from members in id order;
    returns its blocks (the manifest's block last). A readout out of order or twice is refused."""
    temporary = path.with_name(path.name + ".tmp")
    lines, written, pending = [HEADER], list[Block](), list[Member]()
    plain, last = 0, -1  # the tar's length (padded to whole records at the end), the last id
    try:
        with temporary.open("wb") as handle:
            for member in members:
                if member.readout_id <= last:
                    raise RawUnavailable(f"readout {member.readout_id} out of order in {path}")
                last = member.readout_id
                pending.append(member)
                lines.append(f"{member.readout_id}\t{member.sha256}\t{len(member.raw)}\n")
                if len(pending) == BLOCK:
                    plain += _write_block(handle, pending, written)
                    pending = []
            if pending:
                plain += _write_block(handle, pending, written)
            tail = _tar_entry(MANIFEST, "".join(lines).encode("ascii")) + b"\0" * (2 * _TAR)
            tail += b"\0" * (-(plain + len(tail)) % _RECORD)
            written.append(_append(handle, -1, tail))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_folder(path.parent)
    return written


def _write_block(handle: BinaryIO, members: list[Member], written: list[Block]) -> int:
    data = b"".join(_tar_entry(str(m.readout_id), m.raw) for m in members)
    written.append(_append(handle, members[0].readout_id, data))
    return len(data)


def _append(handle: BinaryIO, first_id: int, data: bytes) -> Block:
    packed = lzma.compress(data, format=lzma.FORMAT_XZ, preset=PRESET)
    offset = handle.tell()
    handle.write(packed)
    return Block(first_id, offset, len(packed))


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _entries(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The tar members of a block's bytes (name, data), up to its end or the archive's end.
    Only the name and size fields of each ustar header are read (the xz stream's check
    already guards every byte; ``tarfile``'s full parse took 80 µs a header)."""
    at = 0
    while at + _TAR <= len(data):
        head = data[at : at + _TAR]
        if head == _ZERO:
            return
        if head[257:262] != b"ustar":
            raise RawUnavailable(f"a damaged tar header at {at}")
        name = head[:100].split(b"\0", 1)[0].decode("utf-8")
        size = int(head[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
        start = at + _TAR
        yield name, data[start : start + size]
        at = start + size + (-size % _TAR)


def read_block(path: Path, offset: int, length: int) -> dict[str, bytes]:
    """The members of one block of the file, by name."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            packed = handle.read(length)
        return dict(_entries(lzma.decompress(packed, format=lzma.FORMAT_XZ)))
    except (OSError, lzma.LZMAError, EOFError) as exc:
        raise RawUnavailable(f"{path}: block at {offset} unreadable ({exc})") from exc


def blocks(path: Path) -> Iterator[tuple[Block, dict[str, bytes]]]:
    """Every block of the file in order, found by walking its xz streams, with its members
    (one block in memory at a time). The manifest's block has ``first_id`` -1."""
    try:
        with path.open("rb") as handle:
            yield from _walk(handle, path)
    except OSError as exc:
        raise RawUnavailable(f"{path}: unreadable ({exc})") from exc


def _walk(handle: BinaryIO, path: Path) -> Iterator[tuple[Block, dict[str, bytes]]]:
    offset, data = 0, handle.read(_CHUNK)
    while data:
        decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        parts: list[bytes] = []
        while True:
            try:
                parts.append(decompressor.decompress(data))
            except lzma.LZMAError as exc:
                raise RawUnavailable(f"{path}: block at {offset} unreadable ({exc})") from exc
            if decompressor.eof:
                data = decompressor.unused_data
                break
            data = handle.read(_CHUNK)
            if not data:
                raise RawUnavailable(f"{path}: block at {offset} is cut short")
        end = handle.tell() - len(data)
        entries = dict(_entries(b"".join(parts)))
        first = min((int(n) for n in entries if n.isdigit()), default=-1)
        yield Block(first, offset, end - offset), entries
        offset = end
        data = data or handle.read(_CHUNK)


def members(path: Path) -> Iterator[Member]:
    """Every member with its manifest digest, in id order (bytes as stored: the caller
    checks them)."""
    listed = manifest(path)
    for _block, entries in blocks(path):
        for name, data in entries.items():
            if name != MANIFEST:
                yield Member(int(name), listed.get(int(name), ""), data)


def manifest(path: Path) -> dict[int, str]:
    """The file's manifest: readout id → sha256."""
    found = None
    for _block, entries in blocks(path):
        found = entries.get(MANIFEST, found)
    if found is None:
        raise RawUnavailable(f"{path}: no manifest")
    return _parse_manifest(found)


def _parse_manifest(data: bytes) -> dict[int, str]:
    entries: dict[int, str] = {}
    try:
        for line in data.decode("ascii").splitlines()[1:]:
            readout_id, digest, _size = line.split("\t")
            entries[int(readout_id)] = digest
    except (UnicodeDecodeError, ValueError) as exc:
        raise RawUnavailable(f"a damaged manifest ({exc})") from exc
    return entries


def check(path: Path) -> tuple[dict[int, str], list[Block], list[str]]:
    """Every member read and its sha256 compared with the manifest's: (the manifest, the
    file's blocks, the problems found, one line each; empty when the file is whole)."""
    found: dict[int, str] = {}  # readout id → sha256 of the member's bytes
    listed: dict[int, str] = {}
    walked: list[Block] = []
    for block, entries in blocks(path):
        walked.append(block)
        for name, data in entries.items():
            if name == MANIFEST:
                listed = _parse_manifest(data)
            else:
                found[int(name)] = hashlib.sha256(data).hexdigest()
    problems = [f"{path}: readout {i} in the manifest, not in the file" for i in listed
                if i not in found]  # fmt: skip
    for readout_id, actual in found.items():
        digest = listed.get(readout_id)
        if digest is None:
            problems.append(f"{path}: member {readout_id} not in the manifest")
        elif actual != digest:
            problems.append(f"{path}: readout {readout_id} does not match its sha256")
    return listed, walked, problems

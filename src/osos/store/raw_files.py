"""The monthly archive file of raw bytes, ``raw-YYYY-MM.tar.xz``: a tar with one member per
readout, named by its id, and a last member ``MANIFEST.tsv`` (id, sha256, bytes).

The file is a plain ``.tar.xz`` (``tar -xJf`` extracts it) cut into blocks: the members are in
id order, each run of :data:`BLOCK` members compressed as its own xz stream, the manifest in
streams of its own, the streams concatenated (xz reads concatenated streams as one). A block's
offset and length, kept by the caller, let one readout be read back by decompressing its block
alone (a few hundred kB), not the month; reading the whole file holds one block at a time, and
the manifest is read line by line beside the members (both are in id order), so no step holds
a month in memory. Measured on the simulated fleet's responses (``bench/bench_raw.py``): 4.3×
smaller than the bytes, half of it the manifest's digests; a zip of one deflated member per
readout gave 1.1× (the profile answers are 200–300 bytes: compressed alone they barely shrink,
and zip adds ~90 bytes a member).

A file is written crash-safe: to a temporary file beside it, fsynced, renamed over the month's
name, the folder fsynced. A crash leaves the old file or the new one, never half of one.
Nothing here touches the database (:mod:`osos.store.raw_archive` does).
"""

from __future__ import annotations

import hashlib
import itertools
import lzma
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from osos.errors import RawUnavailable

MANIFEST = "MANIFEST.tsv"
HEADER = b"readout_id\tsha256\tbytes\n"
BLOCK = 250  # readouts per xz stream: ~0.2 MB of tar to decompress for one readout
MANIFEST_BLOCK = 1 << 20  # manifest bytes per xz stream
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
    """One xz stream of the file: its first readout id (the manifest's streams: -1, -2, …),
    where it starts, how long it is."""

    first_id: int
    offset: int
    length: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Writing


def _tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, 0, 0o444  # the same bytes make the same file
    return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")


def _tar_entry(name: str, data: bytes) -> bytes:
    return _tar_header(name, len(data)) + data + b"\0" * (-len(data) % _TAR)


class _Writer:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle, self.blocks, self.plain = handle, list[Block](), 0

    def stream(self, first_id: int, data: bytes) -> None:
        packed = lzma.compress(data, format=lzma.FORMAT_XZ, preset=PRESET)
        self.blocks.append(Block(first_id, self.handle.tell(), len(packed)))
        self.handle.write(packed)
        self.plain += len(data)

    def members(self, members: list[Member]) -> None:
        data = b"".join(_tar_entry(str(m.readout_id), m.raw) for m in members)
        self.stream(members[0].readout_id, data)

    def manifest(self, lines: BinaryIO, size: int) -> None:
        """The manifest member from its spooled lines, in streams of MANIFEST_BLOCK bytes;
        then the tar's end (two zero blocks, padded to whole records)."""
        lines.seek(0)
        chunk, number = _tar_header(MANIFEST, size), -1
        while True:
            data = lines.read(MANIFEST_BLOCK)
            if not data:
                break
            self.stream(number, chunk + data)
            chunk, number = b"", number - 1
        end = chunk + b"\0" * (-size % _TAR) + b"\0" * (2 * _TAR)
        self.stream(number, end + b"\0" * (-(self.plain + len(end)) % _RECORD))


def write(path: Path, members: Iterable[Member]) -> list[Block]:
    """Write the month's file crash-safe (see the module text) from members in id order;
    returns its blocks. A readout out of order or twice is refused."""
    temporary = path.with_name(path.name + ".tmp")
    pending: list[Member] = []
    last, size = -1, len(HEADER)
    try:
        with temporary.open("wb") as handle, tempfile.TemporaryFile(dir=path.parent) as lines:
            writer = _Writer(handle)
            lines.write(HEADER)
            for member in members:
                if member.readout_id <= last:
                    raise RawUnavailable(f"readout {member.readout_id} out of order in {path}")
                last = member.readout_id
                pending.append(member)
                line = f"{member.readout_id}\t{member.sha256}\t{len(member.raw)}\n".encode()
                lines.write(line)
                size += len(line)
                if len(pending) == BLOCK:
                    writer.members(pending)
                    pending = []
            if pending:
                writer.members(pending)
            writer.manifest(lines, size)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_folder(path.parent)
    return writer.blocks


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --------------------------------------------------------------------------------------------
# Reading


def _entries(data: bytes) -> Iterator[tuple[str, bytes]]:
    """The tar members of a members block (name, data). Only the name and size fields of
    each ustar header are read (the xz stream's check already guards every byte;
    ``tarfile``'s full parse took 80 µs a header)."""
    at = 0
    while at + _TAR <= len(data):
        name, size = _header(data[at : at + _TAR], at)
        start = at + _TAR
        yield name, data[start : start + size]
        at = start + size + (-size % _TAR)


def _header(head: bytes, at: int) -> tuple[str, int]:
    if head[257:262] != b"ustar":
        raise RawUnavailable(f"a damaged tar header at {at}")
    name = head[:100].split(b"\0", 1)[0].decode("utf-8")
    return name, int(head[124:136].split(b"\0", 1)[0].strip() or b"0", 8)


def read_block(path: Path, offset: int, length: int) -> dict[str, bytes]:
    """The members of one block of the file, by name."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            packed = handle.read(length)
        return dict(_entries(lzma.decompress(packed, format=lzma.FORMAT_XZ)))
    except (OSError, lzma.LZMAError, EOFError) as exc:
        raise RawUnavailable(f"{path}: block at {offset} unreadable ({exc})") from exc


def _streams(path: Path, offset: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """The file's xz streams from ``offset``: (offset, length, decompressed bytes), one at a
    time."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read(_CHUNK)
            while data:
                plain, data = _one_stream(handle, data, path, offset)
                end = handle.tell() - len(data)
                yield offset, end - offset, plain
                offset = end
                data = data or handle.read(_CHUNK)
    except OSError as exc:
        raise RawUnavailable(f"{path}: unreadable ({exc})") from exc


def _one_stream(handle: BinaryIO, data: bytes, path: Path, offset: int) -> tuple[bytes, bytes]:
    decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    parts: list[bytes] = []
    while True:
        try:
            parts.append(decompressor.decompress(data))
        except lzma.LZMAError as exc:
            raise RawUnavailable(f"{path}: block at {offset} unreadable ({exc})") from exc
        if decompressor.eof:
            return b"".join(parts), decompressor.unused_data
        data = handle.read(_CHUNK)
        if not data:
            raise RawUnavailable(f"{path}: block at {offset} is cut short")


def _is_manifest(plain: bytes) -> bool:
    return plain[:_TAR][:100].split(b"\0", 1)[0] == MANIFEST.encode()


def members(path: Path) -> Iterator[Member]:
    """Every member in id order, with the digest of its bytes (the caller compares it)."""
    for _offset, _length, plain in _streams(path):
        if _is_manifest(plain):
            return
        for name, data in _entries(plain):
            yield Member(int(name), hashlib.sha256(data).hexdigest(), data)


def manifest_lines(path: Path, offset: int) -> Iterator[tuple[int, str]]:
    """The manifest's lines (readout id, sha256) from its first stream at ``offset``, one
    stream in memory at a time."""
    size, seen, rest = -1, 0, b""
    for _offset, _length, plain in _streams(path, offset):
        if size < 0:
            name, size = _header(plain[:_TAR], offset)
            if name != MANIFEST:
                raise RawUnavailable(f"{path}: no manifest at {offset}")
            plain = plain[_TAR:]
        take = plain[: size - seen]
        seen += len(take)
        *whole, rest = (rest + take).split(b"\n")
        for line in whole:
            if line and line != HEADER.rstrip(b"\n"):
                yield _manifest_line(line, path)
        if seen >= size:
            return
    raise RawUnavailable(f"{path}: the manifest is cut short")


def _manifest_line(line: bytes, path: Path) -> tuple[int, str]:
    try:
        readout_id, digest, _size = line.decode("ascii").split("\t")
        return int(readout_id), digest
    except (UnicodeDecodeError, ValueError) as exc:
        raise RawUnavailable(f"{path}: a damaged manifest line ({exc})") from exc


def manifest_offset(path: Path) -> int:
    """Where the manifest's first stream starts (a walk of the file, when no record says)."""
    for offset, _length, plain in _streams(path):
        if _is_manifest(plain):
            return offset
    raise RawUnavailable(f"{path}: no manifest")


@dataclass(frozen=True)
class Checked:
    members: int
    in_table: int  # members whose readout still has its row in the table
    last_id: int  # the last member's readout id (-1: none)
    blocks: tuple[Block, ...]
    problems: tuple[str, ...]


Stored = Callable[[int, int], Mapping[int, tuple[str, bool]]]
"""The store's view of the readouts with ids in [low, high] of the file's month: id →
(the digest it was stored with, whether its row is still in the table)."""


class _Problems:
    def __init__(self, limit: int) -> None:
        self.shown: list[str] = []
        self.more, self.limit = 0, limit

    def add(self, text: str) -> None:
        if len(self.shown) < self.limit:
            self.shown.append(text)
        else:
            self.more += 1

    def all(self) -> tuple[str, ...]:
        return tuple(self.shown + [f"… and {self.more} more"] * bool(self.more))


def check(path: Path, stored: Stored, limit: int = 100) -> Checked:
    """Every member read, its sha256 compared with the manifest line of its id and with the
    store's digest (one block at a time, the manifest read beside it). Problems past
    ``limit`` are counted, not listed."""
    lines = manifest_lines(path, manifest_offset(path))
    line = next(lines, None)
    problems = _Problems(limit)
    blocks: list[Block] = []
    count = in_table = 0
    last = -1
    manifest = 0  # the manifest's streams seen (it comes last, over one or more)
    for offset, length, plain in _streams(path):
        if manifest or _is_manifest(plain):
            manifest += 1
            blocks.append(Block(-manifest, offset, length))
            continue
        entries = list(_entries(plain))
        first, last = int(entries[0][0]), int(entries[-1][0])
        blocks.append(Block(first, offset, length))
        known = stored(first, last)
        for name, data in entries:
            readout_id, actual = int(name), hashlib.sha256(data).hexdigest()
            count += 1
            while line is not None and line[0] < readout_id:
                problems.add(f"{path}: readout {line[0]} in the manifest, not in the file")
                line = next(lines, None)
            if line is None or line[0] != readout_id:
                problems.add(f"{path}: member {readout_id} not in the manifest")
            else:
                if actual != line[1]:
                    problems.add(f"{path}: readout {readout_id} does not match its sha256")
                line = next(lines, None)
            digest, held = known.get(readout_id, ("", False))
            in_table += held
            if digest != actual:
                problems.add(f"{path}: readout {readout_id} is not stored with these bytes")
    for rest in itertools.chain([line] if line else [], lines):
        problems.add(f"{path}: readout {rest[0]} in the manifest, not in the file")
    return Checked(count, in_table, last, tuple(blocks), problems.all())

"""Parse a captured readout or load-profile response, however it was captured.

Captures come as the bytes the meter sent (with the echoed request and option select, STX,
ETX, BCC), as text whose control characters were lost, with CR LF / LF / CR line ends, with
an ETX but no BCC, or with bytes after the end. :func:`parse_capture` accepts all of these and
gathers problems in ``errors`` instead of stopping; a BCC that does not verify is always an
error naming the frame. Input that holds no identification, data set or profile at all raises
:class:`~.errors.NotAReadoutError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import attrgetter
from typing import Any

from osos.obis import is_obis
from osos.timeutil import local_iso

from .datasets import DataSet, Item, join_items, join_pieces
from .errors import FrameError, NotAReadoutError, TimestampError
from .framing import strip_parity
from .messages import EOT, ETX, SOH, STX, IdentificationMessage, bcc
from .meter_profiles import GENERIC, MeterProfile, profile_for, row_layouts
from .profile import (
    HeaderLayout,
    LoadProfile,
    ProfileLayout,
    ProfileRecord,
    RowLayout,
    is_profile_header,
    scan_profile,
)
from .scan import Pieces, scan
from .timestamps import parse_timestamp

_IDENT = re.compile(rb"(?m)^[\x00-\x1f]*(?:/\?[^!\r\n/]*!)?(/[A-Za-z]{3}[0-9A-Z][^\r\n/]*)")
_OPTION_LINE = re.compile(r"\A\x06?[0-9]{3}\Z")
_REQUEST_LINE = re.compile(r"\A/\?[^!]*!\Z")
_PROFILE_ADDRESS = re.compile(r"P\.?[0-9]{1,2}")
_FRAME_START = re.compile(rb"[\x01\x02]")


@dataclass(frozen=True)
class CaptureResult:
    """What a capture held. ``profile`` is every record of every profile section, in order."""

    identification: IdentificationMessage | None
    values: tuple[DataSet, ...]
    profiles: tuple[LoadProfile, ...]
    errors: tuple[str, ...]

    @property
    def profile(self) -> tuple[ProfileRecord, ...]:
        return tuple(record for p in self.profiles for record in p.records)

    @property
    def meter_profile(self) -> MeterProfile:
        ident = self.identification
        return profile_for(ident.flag, ident.ident) if ident else GENERIC

    def to_json(self) -> dict[str, Any]:
        """The ``osos iec parse --json`` shape (times as local ISO without offset)."""
        ident = self.identification
        return {
            "identification": None
            if ident is None
            else {"flag": ident.flag, "baud": ident.baud, "ident": ident.ident},
            "values": [
                {
                    "obis": ds.address,
                    "value": ds.value,
                    "unit": ds.unit,
                    "time": local_iso(ds.time),
                }
                for ds in self.values
            ],
            "profile": [
                {
                    "time": local_iso(record.time),
                    "values": record.value_texts(),
                    "status": record.status,
                }
                for record in self.profile
            ],
            "errors": list(self.errors),
        }


@dataclass
class _Block:
    name: str
    text: str


def _blocks(data: bytes, errors: list[str]) -> list[_Block] | None:
    """STX data blocks (partial blocks joined), verifying every BCC present; None if the
    capture has no STX at all."""
    if STX not in data:
        return None
    blocks: list[_Block] = []
    pending = ""
    frame_no = 0
    n = len(data)
    i = _next_start(data)
    while i < n:
        start_char = data[i]
        if start_char not in (SOH, STX):  # skip to the next SOH/STX in one C search
            i = _next_start(data, i)
            continue
        frame_no += 1
        ends = [k for k in (data.find(ETX, i + 1), data.find(EOT, i + 1)) if k >= 0]
        kind = "STX" if start_char == STX else "SOH"
        name = f"frame {frame_no} ({kind} at offset {i})"
        if not ends:
            if start_char == STX:
                errors.append(f"{name}: no ETX, data taken to the end of the capture")
                blocks.append(_Block(name, pending + _ascii(data[i + 1 :])))
                pending = ""
            break
        end = min(ends)
        if end + 1 < n:
            received = data[end + 1] & 0x7F
            computed = bcc(data[i + 1 : end + 1])
            if received != computed:
                errors.append(
                    f"{name}: bad BCC, received 0x{received:02X}, computed 0x{computed:02X}"
                )
        if start_char == STX:
            pending += _ascii(data[i + 1 : end])
            if data[end] == ETX:
                blocks.append(_Block(name, pending))
                pending = ""
        i = end + 2
    if pending:
        blocks.append(_Block("last partial block", pending))
    return blocks


def _next_start(data: bytes, pos: int = 0) -> int:
    """Offset of the next SOH or STX from ``pos``, ``len(data)`` when there is none."""
    match = _FRAME_START.search(data, pos)
    return len(data) if match is None else match.start()


def _find_identification(data: bytes) -> re.Match[bytes] | None:
    """The first identification line, searched from the line of the first '/' (a capture
    without one, like a readout logged as text, is not scanned line by line)."""
    slash = data.find(b"/")
    if slash < 0:
        return None
    return _IDENT.search(data, data.rfind(b"\n", 0, slash) + 1)


def _ascii(data: bytes) -> str:
    return data.decode("ascii", errors="replace")


def _text_block(data: bytes, ident_end: int) -> _Block:
    """A capture without STX: everything after the identification up to the first control
    character, minus echoed requests and option-select lines."""
    cuts = [i for i in map(data.find, (SOH, STX, ETX, EOT), repeat(ident_end)) if i >= 0]
    text = _ascii(data[ident_end : min(cuts, default=len(data))])
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((index for index, line in enumerate(lines) if _is_data_line(line)), None)
    if start is None:
        return _Block("data", "\n" * (len(lines) - 1))
    return _Block("data", "\n" * start + "\n".join(lines[start:]))  # line numbers kept


def _is_data_line(line: str) -> bool:
    """Not blank, not an echoed request, not an option-select line."""
    bare = line.strip()
    return bool(bare) and not (_REQUEST_LINE.match(bare) or _OPTION_LINE.match(bare))


def _profile_address(address: str) -> bool:
    return address[:1] == "P" and _PROFILE_ADDRESS.fullmatch(address) is not None


def _sections(items: list[Item]) -> tuple[list[Item], list[list[Item]]]:
    """Split items into plain data sets and profile sections (header/rows)."""
    data: list[Item] = []
    sections: list[list[Item]] = []
    in_profile = False
    for item in items:
        address = item.address
        if address is not None:
            named = _profile_address(address)
            if named or (item.width >= 4 and is_profile_header(item)):
                if not (in_profile and named):
                    sections.append([])
                sections[-1].append(item)
                in_profile = True
            else:
                data.append(item)
                in_profile = False
        elif in_profile:
            sections[-1].append(item)
        elif not data and _starts_with_time(item):
            sections.append([item])
            in_profile = True
        else:
            data.append(item)
    return data, sections


_address_of = attrgetter("address")


@lru_cache(maxsize=4096)
def _is_obis(address: str) -> bool:
    """:func:`osos.obis.is_obis`, remembered: a fleet repeats the same few hundred addresses."""
    return is_obis(address)


def _starts_with_time(item: Item) -> bool:
    try:
        return parse_timestamp(item.texts()[0].partition("*")[0]) is not None
    except TimestampError:
        return False


def _plain(pieces: Pieces) -> bool:
    """True when no piece can be part of a load profile (no bare value line, no ``P`` in an
    address, nothing with the four groups a header needs): the block is data sets only."""
    addresses = pieces.addresses
    if None in addresses or "P" in "".join(addresses):  # type: ignore[arg-type]
        return False
    return max(map(str.count, pieces.raws, repeat("(")), default=0) < 4


def _read_block(
    text: str, meter: MeterProfile | None
) -> tuple[list[DataSet], list[LoadProfile], list[str]]:
    """One data block's data sets, profile sections and errors (any line-end convention)."""
    pieces = scan(text.replace("\r\n", "\n").replace("\r", "\n"))
    if _plain(pieces):
        sets, join_errors = join_pieces(pieces)
        return sets, [], pieces.errors + join_errors
    data_items, sections = _sections(pieces.items())
    sets, join_errors = join_items(data_items)
    errors = pieces.errors + join_errors
    profiles = []
    for section in sections:
        layout: ProfileLayout | None = None
        if is_profile_header(section[0]):
            layout = HeaderLayout()
        elif meter is not None and isinstance(meter.profile_layout, RowLayout):
            layout = meter.profile_layout
        profile, profile_errors = scan_profile(section, layout, row_layouts())
        profiles.append(profile)
        errors += profile_errors
    return sets, profiles, errors


def parse_capture(data: bytes) -> CaptureResult:
    """Identification, values, profile records and errors of a captured readout/profile."""
    if not data.isascii():
        data = strip_parity(data)
    errors: list[str] = []
    identification: IdentificationMessage | None = None
    ident_end = 0
    match = _find_identification(data)
    if match:
        try:
            identification = IdentificationMessage.from_bytes(match[1] + b"\r\n")
            ident_end = match.end()
        except FrameError as exc:
            errors.append(f"identification at offset {match.start(1)}: {exc}")
    meter = profile_for(identification.flag, identification.ident) if identification else None

    blocks = _blocks(data, errors)
    if blocks is None:
        blocks = [_text_block(data, ident_end)]
    values: list[DataSet] = []
    profiles: list[LoadProfile] = []
    for block in blocks:
        prefix = f"{block.name}: " if len(blocks) > 1 else ""
        sets, found, block_errors = _read_block(block.text, meter)
        values += sets
        profiles += found
        errors += [prefix + e for e in block_errors]

    addresses = list(map(_address_of, values))
    not_obis = (
        [] if all(map(_is_obis, addresses)) else [ds for ds in values if not _is_obis(ds.address)]
    )
    errors += [f"line {ds.line}: address {ds.address!r} is not an OBIS code" for ds in not_obis]
    records = sum(len(p.records) for p in profiles)
    plausible = len(values) - len(not_obis) + records
    if identification is None and (plausible == 0 or plausible < len(errors)):
        detail = f"; first problem: {errors[0]}" if errors else ""
        raise NotAReadoutError(
            f"no identification, data set or load profile in {len(data)} bytes{detail}"
        )
    return CaptureResult(identification, tuple(values), tuple(profiles), tuple(errors))

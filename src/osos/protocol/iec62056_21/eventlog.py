"""The meter's event log, P.98: its request, its answer and the events it names (pure).

P.98 has the header form of P.01 (PROTOCOL.md §7) with one entry per line and no fixed period:
``P.98(sYYMMDDhhmmss)(status)()(n)(OBIS1)(unit1)…(OBISn)(unitn)(v1)…(vn)``. The status word
says what happened, one bit per event; which bit means what differs between makes and lives in
the meter profile (:attr:`~.meter_profiles.MeterProfile.event_codes`), never in code. No public
capture of a P.98 answer was available here: the EMH bit table is our reading of its manual,
unverified on hardware (change the table, not the code).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import ProfileError, TimestampError
from .timestamps import format_vdew, parse_timestamp

EVENT_LOG = "P.98"
_ENTRY = re.compile(r"^P\.98((?:\([^()]*\))+)\s*$")
_GROUP = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True)
class LogEntry:
    """One line of the log: when (UTC), the status word, channel values, the line as sent."""

    at: dt.datetime
    status: int
    values: Mapping[str, str] = field(default_factory=dict)
    line: str = ""


def event_log_request(start: dt.datetime | None, end: dt.datetime | None) -> str:
    """The inside of ``R5 P.98(…)``: ``sYYMMDDhhmm;sYYMMDDhhmm``, an open end allowed."""
    return f"{format_vdew(start)};{format_vdew(end)}"


def frame_text(raw: bytes) -> str:
    """The data of an answer's frames (between STX and ETX/EOT of each block)."""
    text = raw.decode("ascii", "replace")
    parts = re.findall(r"\x02([^\x02\x03\x04]*)[\x03\x04]", text)
    return "".join(parts) if parts else text


def parse_event_log(text: str) -> list[LogEntry]:
    """Every entry of a P.98 answer, in the meter's order; a malformed line is an error that
    names it (an event log is evidence: nothing is skipped silently)."""
    entries = []
    for number, raw in enumerate(text.replace("\r", "").split("\n"), 1):
        line = raw.strip("\x02\x03 ")
        if not line or line == "!":
            continue
        match = _ENTRY.match(line)
        if match is None:
            raise ProfileError(f"P.98 line {number}: not an event entry: {line!r}")
        groups = _GROUP.findall(match[1])
        if len(groups) < 4 or not groups[3].isdigit():
            raise ProfileError(f"P.98 line {number}: {len(groups)} groups, no channel count")
        count = int(groups[3])
        if len(groups) not in (4 + 2 * count, 4 + 3 * count):
            raise ProfileError(f"P.98 line {number}: {len(groups)} groups for {count} channels")
        try:
            at = parse_timestamp(groups[0])
            status = int(groups[1] or "0", 16)
        except (TimestampError, ValueError) as exc:
            raise ProfileError(f"P.98 line {number}: {exc}") from exc
        if at is None:
            raise ProfileError(f"P.98 line {number}: null time stamp")
        names = groups[4 : 4 + 2 * count : 2]
        values = groups[4 + 2 * count :] or [""] * count
        entries.append(
            LogEntry(at.astimezone(dt.UTC), status, dict(zip(names, values, strict=True)), line)
        )
    return entries


def encode_event_log(entries: Iterable[LogEntry], status_digits: int = 8) -> str:
    """The answer a meter sends for ``entries`` (no channels): what the simulator speaks."""
    lines = [
        f"{EVENT_LOG}({format_vdew(e.at, seconds=True)})({e.status:0{status_digits}X})()(0)"
        for e in entries
    ]
    return "".join(line + "\r\n" for line in lines)


Codes = Iterable[tuple[int, str]]  # the profile's (bit, event name) table


def event_names(status: int, codes: Codes) -> list[str]:
    """The events a status word states, by the profile's bit table (bits it lacks: none)."""
    return [name for bit, name in sorted(codes) if status & bit]


def status_of(names: Sequence[str], codes: Codes) -> int:
    """The status word stating ``names`` (inverse of :func:`event_names`)."""
    word = 0
    for bit, name in codes:
        if name in names:
            word |= bit
    return word

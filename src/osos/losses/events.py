"""Events the meter keeps in its readout: cover openings (96.70 main, 96.71 terminal, with
their history ``*n``), outage records per phase (``96.77.x*n``, start and end) and the
magnetic-field record; and P.98 event logs (:mod:`.eventlog`).

Which register means what is the table :data:`EVENT_REGISTERS` (the OmniCore/MASS reading of
the Turkish registers, unverified on hardware: change the table, not the code). An event is
seen in every readout until the meter overwrites it; the first readout that showed it is the
evidence, the latest one says whether it ended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from osos.protocol.iec62056_21.errors import TimestampError
from osos.protocol.iec62056_21.timestamps import parse_timestamp
from osos.timeutil import UTC

from .findings import Finding, Kind
from .inputs import Read
from .spans import overlaps


@dataclass(frozen=True)
class Register:
    kind: Kind
    paired: bool  # (start,end) in one value, else one stamp
    phase: str | None = None


#: Base register (without ``*n``) → what its stamps mean.
EVENT_REGISTERS: Final[Mapping[str, Register]] = {
    "96.70": Register(Kind.MAIN_COVER, paired=False),
    "96.71": Register(Kind.TERMINAL_COVER, paired=False),
    "96.77.0": Register(Kind.POWER_FAIL, paired=True),
    "96.77.1": Register(Kind.PHASE_FAIL, paired=True, phase="L1"),
    "96.77.2": Register(Kind.PHASE_FAIL, paired=True, phase="L2"),
    "96.77.3": Register(Kind.PHASE_FAIL, paired=True, phase="L3"),
    "96.77.4": Register(Kind.MAGNETIC, paired=True),
}


@dataclass(frozen=True)
class MeterEvent:
    """One event as a readout states it (``end`` None: still going; equal: an instant)."""

    kind: Kind
    start: dt.datetime
    end: dt.datetime | None
    register: str
    value: str
    phase: str | None = None


def _stamp(text: str) -> dt.datetime | None:
    try:
        when = parse_timestamp(text)
    except TimestampError:
        return None
    return None if when is None else when.astimezone(UTC)


def parse_event(obis: str, value: str) -> MeterEvent | None:
    """The event a register's text states, or None (null stamps, not an event register)."""
    base = obis.partition("*")[0]
    register = EVENT_REGISTERS.get(base)
    if register is None or (base.startswith("96.77") and "*" not in obis):
        return None  # ``96.77.4(00)`` is the counter, the records are ``*n``
    if not register.paired:
        start = _stamp(value)
        return None if start is None else MeterEvent(register.kind, start, start, obis, value)
    parts = value.split(",")
    if len(parts) != 4:
        return None
    start = _stamp(",".join(parts[:2]))
    if start is None:
        return None
    end = _stamp(",".join(parts[2:]))
    return MeterEvent(register.kind, start, end, obis, value, register.phase)


#: P.98 event names (:mod:`osos.protocol.iec62056_21.eventlog`) → (kind, what the entry does):
#: ``at`` an instant, ``start`` opens a span, ``end`` closes the open span of that kind.
LOG_EVENTS: Final[Mapping[str, tuple[Kind, str]]] = {
    "terminal_cover": (Kind.TERMINAL_COVER, "at"),
    "main_cover": (Kind.MAIN_COVER, "at"),
    "magnetic": (Kind.MAGNETIC, "start"),
    "magnetic_end": (Kind.MAGNETIC, "end"),
    "power_fail": (Kind.POWER_FAIL, "start"),
    "power_back": (Kind.POWER_FAIL, "end"),
}


def log_events(texts: Mapping[str, str]) -> list[MeterEvent]:
    """The events of a stored P.98 answer (``P.98*k`` = ``name,sYYMMDDhhmmss``), each end
    closing the open span of its kind; an end with no start before it is left out."""
    entries = []
    for obis, value in texts.items():
        base, _, number = obis.partition("*")
        name, _, stamp = value.partition(",")
        if base != "P.98" or not number.isdigit() or name not in LOG_EVENTS:
            continue
        when = _stamp(stamp)
        if when is not None:
            entries.append((when, int(number), name, obis, value))
    events: list[MeterEvent] = []
    open_at: dict[Kind, int] = {}
    for when, _n, name, obis, value in sorted(entries):
        kind, role = LOG_EVENTS[name]
        if role == "end":
            if kind in open_at:
                k = open_at.pop(kind)
                events[k] = dataclasses.replace(
                    events[k], end=when, value=f"{events[k].value};{value}"
                )
            continue
        events.append(MeterEvent(kind, when, when if role == "at" else None, obis, value))
        if role == "start":
            open_at[kind] = len(events) - 1
    return events


def read_events(read: Read) -> Iterator[MeterEvent]:
    for obis, value in read.texts.items():
        event = parse_event(obis, value)
        if event is not None:
            yield event
    yield from log_events(read.texts)


def event_findings(reads: Iterable[Read], low: dt.datetime, high: dt.datetime) -> list[Finding]:
    """One finding per point, kind and start whose span meets [low, high): the earliest
    readout that showed it, the end as the latest readout states it, phases merged."""
    found: dict[tuple[str, Kind, dt.datetime], Finding] = {}
    for read in sorted(reads, key=lambda r: r.read_at):
        for event in read_events(read):
            if not overlaps(event.start, event.end, low, high):
                continue
            key = (read.point, event.kind, event.start)
            earlier = found.get(key)
            if earlier is None:
                evidence = {"register": event.register, "value": event.value}
                if event.phase:
                    evidence["phase"] = event.phase
                found[key] = Finding(
                    read.point, event.kind, event.start, event.end, evidence, read.meter,
                    read.readout_id,
                )  # fmt: skip
                continue
            evidence = dict(earlier.evidence)
            if event.value != evidence["value"]:  # the end arrived, or the record moved on
                evidence["last_value"] = event.value
            if event.phase:
                phases = {*earlier.evidence.get("phase", "").split(","), event.phase} - {""}
                evidence["phase"] = ",".join(sorted(phases))
            found[key] = dataclasses.replace(earlier, end=event.end, evidence=evidence)
    return sorted(found.values(), key=lambda f: (f.service_point, f.start, f.kind))


_COUNTED = re.compile(rb"(?m)^(96\.7[01](?:\*\d+)?)\(([^)]*)\)\((\d+)\)")


def cover_counts(raw: bytes) -> dict[str, str]:
    """``96.71(stamp)(NN)`` lines of a readout's bytes → {address: NN}: the opening counter
    that the stored value (the first group) leaves out."""
    return {m[1].decode(): m[3].decode() for m in _COUNTED.finditer(raw)}

"""What a detector reports: a kind, a service point, a time span, the evidence and the readout
whose bytes show it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from osos.timeutil import local_iso


class Kind(StrEnum):
    TERMINAL_COVER = "terminal_cover"  # 96.71: terminal-cover opened
    MAIN_COVER = "main_cover"  # 96.70: main (top) cover opened
    MAGNETIC = "magnetic"  # a magnetic field on the meter
    POWER_FAIL = "power_fail"  # all phases lost
    PHASE_FAIL = "phase_fail"  # one phase lost
    PHASE_IMBALANCE = "phase_imbalance"
    VOLTAGE_MISSING = "voltage_missing"  # a phase without voltage while current flows
    REVERSE_ENERGY = "reverse_energy"  # export on a consumer's meter
    CONSUMPTION_DROP = "consumption_drop"  # by-pass signature
    CLOCK_BACK = "clock_back"
    REPLACED_NO_INDEX = "replaced_no_index"  # meter replaced without a removal index
    REGISTER_BACK = "register_back"  # an energy register went backwards


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


@dataclass(frozen=True)
class Finding:
    """One finding; ``evidence`` holds exact texts (registers, Decimals as text)."""

    service_point: str
    kind: Kind
    start: dt.datetime
    end: dt.datetime | None
    evidence: Mapping[str, str] = field(default_factory=dict)
    meter: str | None = None
    readout_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The shape of ``osos losses --json``: ``service_point``, ``kind``, ``start``,
        ``end``, ``evidence`` first, local ISO times."""
        return {
            "service_point": self.service_point,
            "kind": self.kind.value,
            "start": local_iso(self.start),
            "end": local_iso(self.end),
            "evidence": dict(self.evidence),
            "meter": self.meter,
            "readout_id": self.readout_id,
        }

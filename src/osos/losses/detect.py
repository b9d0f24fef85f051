"""Every detector over one run's inputs: the findings of [low, high), sorted."""

from __future__ import annotations

import datetime as dt

from osos.settings import LossLimits

from .drops import drop_findings
from .energy import clock_back, register_back, replaced_without_index, reverse_energy, series
from .events import event_findings
from .findings import Finding
from .inputs import Inputs
from .phases import phase_findings


def detect(
    inputs: Inputs, low: dt.datetime, high: dt.datetime, limits: LossLimits
) -> list[Finding]:
    """All findings whose span meets [low, high) (the phases and drops judge samples inside
    it; the drops' norms come from the weeks before each day, so before ``low`` too)."""
    inside = [s for s in inputs.samples if low <= s.end < high]
    recent = [s for s in inputs.samples if low - dt.timedelta(days=1) <= s.end < high]
    registers = series(inputs.reads, recent)  # the day before: a fall across the edge
    found = [
        *event_findings(inputs.reads, low, high),
        *phase_findings(inside, limits),
        *register_back(registers, low, high),
        *reverse_energy(registers, inputs.points, low, high, limits),
        *clock_back(inputs.reads, limits, low, high),
        *replaced_without_index(inputs.swaps, low, high),
        *drop_findings(inputs.points, inputs.samples, low, high, limits),
    ]
    unique = {(f.service_point, f.kind, f.start): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.service_point, f.start, f.kind.value))

"""The phases: currents far apart (imbalance) and a phase without voltage while its current
still flows (a voltage link opened at the terminals: that phase's energy goes unmetered).

Samples are the profile's voltages and currents where the meter records them, else the
readouts' instantaneous values (31/51/71.7.0, 32/52/72.7.0). The values are the meter's own
(secondary); a ratio of values needs no transformer ratios.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from osos.settings import LossLimits

from .findings import Finding, Kind
from .inputs import Sample
from .spans import by_key, ratio, runs, text

PHASES = ("L1", "L2", "L3")


def _currents(sample: Sample) -> list[Decimal] | None:
    amps = [a for a in sample.amps if a is not None]
    return amps if len(amps) == 3 else None


def imbalanced(sample: Sample, limits: LossLimits) -> bool:
    """(max − min) ≥ ratio × max, with the largest current at least ``imbalance_min_a``."""
    amps = _currents(sample)
    if amps is None or max(amps) < limits.imbalance_min_a:
        return False
    return max(amps) - min(amps) >= limits.imbalance_ratio * max(amps)


def missing_voltage(sample: Sample, limits: LossLimits) -> list[int]:
    """Phases whose voltage is under ``voltage_missing_ratio`` of the highest one while their
    current is at least ``current_flowing_a``."""
    volts, amps = sample.volts, sample.amps
    if len(volts) != 3 or len(amps) != 3 or any(v is None for v in volts):
        return []
    top = max(v for v in volts if v is not None)
    if top <= 0:
        return []  # no voltage at all: an outage, not this
    return [
        k
        for k, (v, a) in enumerate(zip(volts, amps, strict=True))
        if v is not None and a is not None
        and v < limits.voltage_missing_ratio * top and a >= limits.current_flowing_a
    ]  # fmt: skip


def _evidence(sample: Sample) -> dict[str, str]:
    out = {}
    for k, name in enumerate(PHASES):
        if k < len(sample.volts) and sample.volts[k] is not None:
            out[f"{name}_V"] = text(sample.volts[k] or Decimal(0))
        if k < len(sample.amps) and sample.amps[k] is not None:
            out[f"{name}_A"] = text(sample.amps[k] or Decimal(0))
    return out


def _low_voltage(sample: Sample, limits: LossLimits) -> bool:
    """Some phase is under the voltage limit (with or without current)."""
    volts = [v for v in sample.volts if v is not None]
    return (
        len(volts) == 3
        and max(volts) > 0
        and min(volts) < limits.voltage_missing_ratio * max(volts)
    )


def phase_findings(samples: Iterable[Sample], limits: LossLimits) -> list[Finding]:
    """Imbalance runs of ``imbalance_samples`` and missing-voltage runs of any length, per
    meter; the worst sample of a run is the evidence. Samples that cannot tell (too little
    current to judge) neither make nor break a run: a night's low load is not the end of it."""
    out: list[Finding] = []
    measured = (s for s in samples if len(s.amps) == 3)  # a profile of energy only says nothing
    for group in by_key(measured, lambda s: f"{s.point}\0{s.meter}").values():
        group.sort(key=lambda s: s.end)
        loaded = [s for s in group if max(_currents(s) or [Decimal(0)]) >= limits.imbalance_min_a]
        for run in runs(loaded, lambda s: imbalanced(s, limits), limits.imbalance_samples):
            worst = max(run, key=_spread)
            evidence = {
                **_evidence(worst),
                "spread": text(_spread(worst)),
                "samples": str(len(run)),
            }
            out.append(_finding(Kind.PHASE_IMBALANCE, run, worst, evidence))
        telling = [s for s in group if not _low_voltage(s, limits) or missing_voltage(s, limits)]
        for run in runs(telling, lambda s: bool(missing_voltage(s, limits))):
            worst = run[0]
            lost = ",".join(PHASES[k] for k in missing_voltage(worst, limits))
            evidence = {**_evidence(worst), "phase": lost, "samples": str(len(run))}
            out.append(_finding(Kind.VOLTAGE_MISSING, run, worst, evidence))
    return out


def _spread(sample: Sample) -> Decimal:
    amps = _currents(sample) or [Decimal(1)]
    return ratio(max(amps) - min(amps), max(amps)) if max(amps) else Decimal(0)


def _finding(kind: Kind, run: list[Sample], worst: Sample, evidence: dict[str, str]) -> Finding:
    source = next((s.readout_id for s in (worst, *run) if s.readout_id is not None), None)
    return Finding(worst.point, kind, run[0].end, run[-1].end, evidence, worst.meter, source)

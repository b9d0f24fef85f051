"""Voltages and currents of a service point: from the load profile where it carries them,
else from the readouts' instantaneous registers (32.7.0/52.7.0/72.7.0 V, 31.7.0/51.7.0/71.7.0
A) — Makel meters, for one, put them in the readout and not in P.01. Each row keeps the CT and
VT ratios of the installation it was measured under, so the screens can show primary values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from osos.readmodel.access import Sight
from osos.readmodel.intervals import PHASES, PhaseRow, phases, spans
from osos.readmodel.readouts import ReadoutView, readouts

VOLTS = tuple(v for _, v, _ in PHASES)
AMPS = tuple(a for _, _, a in PHASES)


def _from_readout(view: ReadoutView, ct: Decimal, vt: Decimal) -> PhaseRow | None:
    values: dict[str, Decimal] = {}
    for line in view.lines:
        if line.obis in VOLTS + AMPS and line.number is not None and line.number.is_finite():
            values.setdefault(line.obis, line.number)  # the current value, not a frozen one
    if not values:
        return None
    return PhaseRow(
        view.read_at,
        tuple(values.get(o) for o in VOLTS),
        tuple(values.get(o) for o in AMPS),
        "readout",
        ct,
        vt,
    )


def phase_series(
    session: Session, sight: Sight, start: dt.datetime, end: dt.datetime
) -> list[PhaseRow]:
    """The profile's phase values in [start, end); when the profile has none, the readouts'."""
    rows = phases(session, sight, start, end)
    if any(any(v is not None for v in (*r.voltages, *r.currents)) for r in rows):
        return rows
    installed = spans(session, sight, start, end)
    built = []
    for view in readouts(session, sight, start, end):
        span = next((s for s in installed if s.holds(view.read_at)), None)
        row = _from_readout(view, span.ct if span else Decimal(1), span.vt if span else Decimal(1))
        if row is not None:
            built.append(row)
    return built

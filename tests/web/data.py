"""The panel tests' registry (the demo's) and their stored past (:mod:`osos.simulator.history`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from osos.registry.importer import import_registry
from osos.simulator.history import generate, meter_of
from osos.timeutil import quarter_floor

REGISTRY = Path(__file__).resolve().parents[2] / "examples" / "registry.csv"

__all__ = ["REGISTRY", "generate", "load_registry", "meter_of", "quarter_floor"]


def load_registry(session: Session) -> None:
    import_registry(session, REGISTRY)
    session.flush()

"""A built month for the alert tests: points whose figures are worked out by hand.

Meters at ×30 (CT 30, VT 1); per quarter 1.8.0 steps 0.25 (T1), 0.5 (T2), 0.1 (T3) kWh raw,
so a day is 24.2 kWh raw = 726 kWh; the reactive steps are flat per quarter:

- ``A1`` (100 kVA: limits 20 % / 15 %, contract 50 kW): 5.8.0 0.060 → 1.8 kvarh a quarter,
  23.80 % inductive; the T2 quarters are 60 kW, above its contract;
- ``B2`` (100 kVA, contract 100 kW): 8.8.0 0.033 → 13.09 % capacitive, close to 15 %;
- ``R3`` (a residence, exempt): 5.8.0 0.300, no reactive alert.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from osos.domain import TariffGroup, UserKind
from osos.store.models import Meter, ServicePoint, User
from tests.factories import (
    add_meter,
    add_service_point,
    install,
    profile_records,
    standard_step,
    store_intervals,
)

START_INDEXES = {o: Decimal("1000.000") for o in ("1.8.0", "2.8.0", "5.8.0", "8.8.0")}
REACTIVE = {
    "A1": {"5.8.0": Decimal("0.060"), "8.8.0": Decimal("0.008")},
    "B2": {"5.8.0": Decimal("0.030"), "8.8.0": Decimal("0.033")},
    "R3": {"5.8.0": Decimal("0.300"), "8.8.0": Decimal("0.008")},
}
CONTRACT = {"A1": "50", "B2": "100", "R3": None}


def point(session: Session, no: str, since: dt.datetime) -> tuple[ServicePoint, Meter]:
    sp = add_service_point(session, no, kva="100", contract_kw=CONTRACT[no])
    if no == "R3":
        sp.tariff_group = TariffGroup.RESIDENCE
    meter = add_meter(session, f"M{no}")
    install(session, sp, meter, since, ct="30", vt="1")
    return sp, meter


def run_profile(
    session: Session,
    meter: Meter,
    start: dt.datetime,
    end: dt.datetime,
    steps: dict[str, Decimal],
    initial: dict[str, Decimal] | None = None,
) -> dict[str, Decimal]:
    """Rows ending in [start, end] with the standard active pattern and ``steps`` reactive."""

    def step(t: dt.datetime) -> dict[str, Decimal]:
        return {**standard_step(t), **steps}

    records, last = profile_records(start, end, initial or START_INDEXES, step)
    store_intervals(session, meter, records)
    return last


def build(
    session: Session, start: dt.datetime, end: dt.datetime
) -> dict[str, tuple[Meter, dict[str, Decimal]]]:
    """The three points, each with its profile over [start, end] (and its indexes at ``end``)."""
    built = {}
    for no, steps in REACTIVE.items():
        _sp, meter = point(session, no, start)
        built[no] = (meter, run_profile(session, meter, start, end, steps))
    return built


def user(
    session: Session, login: str, kind: UserKind, points: list[ServicePoint], email: str | None
) -> User:
    row = User(login=login, kind=kind, password_hash="x", email=email, language="tr",
               active=True, failed_logins=0)  # fmt: skip
    row.service_points = points
    session.add(row)
    session.flush()
    return row

"""The demo registry's own cases, on the simulator's own numbers: a point just under its
inductive limit (close) and Kapaklı Kablo's demand far above its 630 kW contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.alerts.evaluate import preview
from osos.alerts.model import Kind, Level
from osos.readings import IntervalRecord
from osos.runtime import Runtime
from osos.simulator.fromdb import meter_rows
from osos.simulator.model import EXPORT, Q1, Q4, import_total
from osos.simulator.spec import specs_from_meters
from osos.store import db
from osos.store.intervals import store_profile
from osos.store.models import Meter
from tests.factories import local
from tests.web.data import load_registry

CLOSE = {"2000109617": "57740731"}  # Çorlu Devlet Hastanesi: 17.27 % against 20 %
OVER = {"2000107562": "43234300"}  # Kapaklı Kablo: contract 630 kW
KWH = Decimal("0.001")


def _store_simulated(
    session: Session, serials: set[str], start: dt.datetime, end: dt.datetime
) -> None:
    specs = {s.serial: s for s in specs_from_meters(meter_rows(session))}
    for serial in serials:
        model = specs[serial].build_model()
        records = [
            IntervalRecord(
                stamp,
                {
                    "1.8.0": import_total(regs) * KWH,
                    "2.8.0": regs[EXPORT] * KWH,
                    "5.8.0": regs[Q1] * KWH,
                    "8.8.0": regs[Q4] * KWH,
                },
            )
            for stamp, regs, _phases in model.profile(start, end, end)
        ]
        meter_id = session.scalar(select(Meter.id).where(Meter.serial == serial))
        assert meter_id is not None
        store_profile(session, meter_id=meter_id, records=records, readout_id=None)


def test_the_demo_has_a_point_close_to_its_reactive_limit_and_one_over_its_contract(
    sqlite_runtime: Runtime,
) -> None:
    sqlite_runtime.upgrade()
    start, as_of = local(2026, 11, 1), local(2026, 11, 8)
    with db.transaction(sqlite_runtime.sessions) as session:
        load_registry(session)
        _store_simulated(session, set(CLOSE.values()) | set(OVER.values()), start, as_of)
        found = preview(session, sqlite_runtime.settings, "2026-11", as_of)
    by = {(f.service_point, f.kind): f for f in found}
    close = by["2000109617", Kind.REACTIVE_INDUCTIVE]
    assert close.level is Level.CLOSE and Decimal(16) <= close.value <= Decimal(20)
    assert close.excess_kvarh is not None and close.excess_kvarh < 0
    contract = by["2000107562", Kind.CONTRACT_POWER]
    assert contract.level is Level.EXCEEDED and contract.limit == Decimal(630)
    assert contract.value == Decimal("1435.2")  # the figure users reported, now an alert

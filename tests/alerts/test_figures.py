"""The alert figures on a built month: ratios, excess kvarh, advice, zones, contract power."""

from __future__ import annotations

from decimal import Decimal

from osos.alerts.compensation import advice_kvar, remaining
from osos.alerts.evaluate import preview
from osos.alerts.model import Kind, Level
from osos.regulation import set_value
from osos.runtime import Runtime
from osos.store import db
from osos.timeutil import DAY
from tests.factories import local

from .world import build

D = Decimal


def test_advice_is_the_smallest_step_that_removes_the_excess() -> None:
    quarters = [D(4), D(0), D(0), D("0.5")]
    # 12 kvar takes 3 kvarh from each quarter: 1 left in the first, none in the others
    assert remaining(quarters, D(12)) == D(1)
    assert advice_kvar(quarters, D(1), 1) == D(12)
    assert advice_kvar(quarters, D(1), 5) == D(15)
    assert advice_kvar(quarters, D("4.5"), 5) is None  # no excess, nothing to advise
    assert advice_kvar(quarters, D(0), 5) == D(20)  # 16 kvar removes all: the next step


def test_a_built_month_gives_its_figures_exactly(runtime: Runtime) -> None:
    runtime.upgrade()
    start, as_of = local(2026, 10, 1), local(2026, 10, 3)  # two whole days read
    with db.transaction(runtime.sessions) as session:
        build(session, start, as_of)
        found = preview(session, runtime.settings, "2026-10", as_of)
    by = {(f.service_point, f.kind): f for f in found}
    assert set(by) == {
        ("A1", Kind.REACTIVE_INDUCTIVE),
        ("A1", Kind.CONTRACT_POWER),
        ("B2", Kind.REACTIVE_CAPACITIVE),
    }  # R3 is exempt; B2's inductive 11.90 % is under 80 % of 20 %
    a1 = by["A1", Kind.REACTIVE_INDUCTIVE]
    # active 2 × 726 = 1452 kWh; inductive 192 × 1.8 = 345.6 kvarh; 345.6 / 1452 = 23.80 %
    assert (a1.level, a1.value, a1.limit) == (Level.EXCEEDED, D("23.80"), D("20"))
    assert a1.excess_kvarh == D("55.2")  # 345.6 − 0.20 × 1452, exact
    assert a1.extra["active_kwh"] == "1452.000" and D(a1.extra["reactive_kvarh"]) == D("345.6")
    # a 1.15 kvar panel would take 0.2875 kvarh from each quarter: the 5 kvar step does it
    assert a1.advice_kvar == D("5")
    assert a1.extra["projected"] == "23.80"  # the same pattern every day
    zones = a1.extra["zones"]
    assert {z: (v["ratio"], D(v["excess_kvarh"])) for z, v in zones.items()} == {
        "T1": ("24.00", D("26.4")),  # 2 × (79.2 − 0.2 × 330)
        "T2": ("12.00", D("-48")),  # 2 × (36 − 0.2 × 300)
        "T3": ("60.00", D("76.8")),  # 2 × (57.6 − 0.2 × 96)
    }
    contract = by["A1", Kind.CONTRACT_POWER]
    assert (contract.level, contract.value, contract.limit) == (Level.EXCEEDED, D(60), D(50))
    assert contract.extra["time"] == "2026-10-01T17:00:00"  # the first T2 quarter
    b2 = by["B2", Kind.REACTIVE_CAPACITIVE]
    # 192 × 0.99 = 190.08 kvarh / 1452 kWh = 13.09 %: at or above 80 % of 15 %, not above it
    assert (b2.level, b2.value, b2.limit) == (Level.CLOSE, D("13.09"), D("15"))
    assert b2.excess_kvarh == D("-27.72") and b2.advice_kvar is None


def test_the_limits_in_force_for_the_month_apply(runtime: Runtime) -> None:
    runtime.upgrade()
    start, as_of = local(2026, 10, 1), local(2026, 10, 3)
    with db.transaction(runtime.sessions) as session:
        build(session, start, as_of)
    with db.transaction(runtime.sessions) as session:
        later = runtime.clock.now() + DAY
        set_value(session, runtime.settings, "reactive", {"inductive_large": "25"},
                  valid_from=later, by="test", reason="a later decision")  # fmt: skip
        october = preview(session, runtime.settings, "2026-10", as_of)
    a1 = next(f for f in october if f.kind == Kind.REACTIVE_INDUCTIVE)
    assert a1.limit == D("20")  # the change applies from tomorrow only, not to October

"""Seeded random months in the store, for comparing the set-based run with the per-point one.

Each service point draws its own case: meter and multiplier changes mid-month (aligned or not,
with or without removal and installation indexes), gaps (single rows, runs, the rows at the month
edges), estimated rows, negative steps, a power channel, tariff registers in the profile,
readouts with and without frozen ``*1``/``*2`` values and reset times (matching or not), running
demand registers, readouts exactly at an edge, profile-less meters and reactive-exempt points.
Points named ``C…`` are clean (a row at every interval end, no negative step): the column-wise
path must compute them without falling back.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import DataSource, TariffGroup
from osos.readings import IntervalRecord
from osos.store.models import Meter, ServicePoint
from osos.timeutil import month_bounds, next_month_start, to_local
from tests.factories import add_meter, add_readout, add_service_point, install, store_intervals

Q = dt.timedelta(minutes=15)
PROFILE_REGS = ("1.8.0", "2.8.0", "5.8.0", "8.8.0")
TARIFFS = ("1.8.1", "1.8.2", "1.8.3")
ALL_REGS = ("1.8.0", "1.8.1", "1.8.2", "1.8.3", "2.8.0", "5.8.0", "8.8.0")


def text(milli: int) -> str:
    return format(Decimal(milli).scaleb(-3), "f")


def reset_text(at: dt.datetime) -> str:
    local = to_local(at)
    return local.strftime("%y-%m-%d,%H:%M")


class MeterRun:
    """One meter's counters as it runs through the window (milli-units)."""

    def __init__(self, rng: random.Random, tariffs: bool, power: bool) -> None:
        self.rng = rng
        self.regs = PROFILE_REGS + (TARIFFS if tariffs else ())
        self.power = power
        self.values = {o: rng.randrange(0, 10**9) for o in ALL_REGS}
        self.history: dict[dt.datetime, dict[str, int]] = {}

    def run(self, start: dt.datetime, end: dt.datetime, negative: bool) -> None:
        t = start
        flip = start + self.rng.randrange(1, max(2, (end - start) // Q)) * Q if negative else None
        while t <= end:
            self.history[t] = dict(self.values)
            step = self.rng.randrange(0, 4000)
            self.values["1.8.0"] += step
            zone = 1 + (to_local(t).hour % 3)
            self.values[f"1.8.{zone}"] += step
            self.values["2.8.0"] += self.rng.choice((0, 0, self.rng.randrange(0, 500)))
            self.values["5.8.0"] += self.rng.randrange(0, 1500)
            self.values["8.8.0"] += self.rng.randrange(0, 400)
            if t == flip:
                self.values["1.8.0"] -= self.rng.randrange(1, 10_000)
            t += Q

    def records(
        self, rng: random.Random, gaps: float, estimates: float, drop: set[dt.datetime]
    ) -> tuple[list[IntervalRecord], list[IntervalRecord]]:
        actual, estimated = [], []
        for at, values in sorted(self.history.items()):
            if at in drop or rng.random() < gaps:
                continue
            obis = {o: Decimal(values[o]).scaleb(-3) for o in self.regs}
            if self.power and rng.random() < 0.7:
                obis["1.6.0"] = Decimal(rng.randrange(0, 20_000)).scaleb(-3)
            record = IntervalRecord(at, obis)
            (estimated if rng.random() < estimates else actual).append(record)
        return actual, estimated


def _store(session: Session, meter: Meter, run: MeterRun, rng: random.Random, clean: bool,
           edges: list[dt.datetime]) -> None:  # fmt: skip
    drop: set[dt.datetime] = set()
    if not clean and rng.random() < 0.4:
        drop.add(rng.choice(edges))
    if not clean and rng.random() < 0.3:
        first = rng.choice(sorted(run.history))
        drop.update(first + k * Q for k in range(rng.randrange(2, 12)))
    gaps = 0.0 if clean else rng.choice((0.0, 0.0, 0.002, 0.02))
    estimates = 0.0 if clean else rng.choice((0.0, 0.01))
    actual, estimated = run.records(rng, gaps, estimates, drop)
    store_intervals(session, meter, actual)
    if estimated:
        store_intervals(session, meter, estimated, DataSource.ESTIMATED)


def _readouts(session: Session, meter: Meter, run: MeterRun, rng: random.Random,
              start: dt.datetime, end: dt.datetime) -> None:  # fmt: skip
    """Frozen values after each month start, running registers, maybe a read at an edge."""
    for reset in (start, end):
        if reset not in run.history or rng.random() < 0.35:
            continue
        frozen = run.history[reset]
        read_at = reset + rng.choice((dt.timedelta(minutes=5), dt.timedelta(days=3)))
        stated = reset if rng.random() < 0.8 else reset - dt.timedelta(days=1)
        n = rng.choice((1, 1, 2)) if reset == start else 1
        if n == 2:
            read_at = next_month_start(reset) + dt.timedelta(days=2)
        values = {f"0.1.2*{n}": reset_text(stated)}
        for obis in rng.sample(ALL_REGS, rng.randrange(1, len(ALL_REGS) + 1)):
            values[f"{obis}*{n}"] = text(frozen[obis])
        times = {}
        if reset == end and rng.random() < 0.7:
            values["1.6.0*1"] = text(rng.randrange(0, 90_000))
            times["1.6.0*1"] = start + rng.randrange(0, (end - start) // Q) * Q
        add_readout(session, meter, read_at, values, times)
    if rng.random() < 0.3:
        at = rng.choice(sorted(run.history))
        values = {o: text(run.history[at][o]) for o in ("1.8.0", "1.8.1", "5.8.0")}
        values["1.6.0"] = text(rng.randrange(0, 50_000))
        add_readout(session, meter, at, values, {"1.6.0": at - dt.timedelta(hours=5)})


def _point(session: Session, rng: random.Random, no: str, start: dt.datetime,
           end: dt.datetime, clean: bool) -> None:  # fmt: skip
    exempt = rng.random() < 0.2
    sp = add_service_point(
        session, no, kva=rng.choice(("30", "100", None)), contract_kw="5" if exempt else "60"
    )
    if rng.random() < 0.1:
        sp.tariff_group = TariffGroup.RESIDENCE
    ct = rng.choice(("1", "30", "7.5", "120"))
    long_ago = start - dt.timedelta(days=400)
    window = (start - dt.timedelta(days=3), end + dt.timedelta(days=3))
    change = rng.random() < (0.3 if clean else 0.5)
    cut = start + rng.randrange(1, (end - start) // Q) * Q
    if not clean and rng.random() < 0.3:
        cut += dt.timedelta(minutes=7)
    meter = add_meter(session, f"{no}-A")
    run = MeterRun(rng, tariffs=rng.random() < 0.3, power=rng.random() < 0.2)
    negative = not clean and rng.random() < 0.15
    if not change:
        install(session, sp, meter, long_ago, ct=ct)
        run.run(*window, negative)
        if clean or rng.random() < 0.9:  # else a meter read by readouts only
            _store(session, meter, run, rng, clean, [start, end])
        _readouts(session, meter, run, rng, start, end)
        return
    if rng.random() < 0.5:  # a multiplier change of the same meter
        install(session, sp, meter, long_ago, cut, ct=ct)
        install(session, sp, meter, cut, ct=rng.choice(("40", "2.5")))
        run.run(*window, negative)
        _store(session, meter, run, rng, clean, [start, cut, end])
        _readouts(session, meter, run, rng, start, end)
        return
    new = add_meter(session, f"{no}-B")
    new_run = MeterRun(rng, tariffs=rng.random() < 0.3, power=False)
    run.run(window[0], cut, negative)
    new_run.run(cut, window[1], False)
    removal = {"1.8.0": text(run.values["1.8.0"])} if rng.random() < 0.5 else None
    first = new_run.history[min(new_run.history)]
    installed = {"1.8.0": text(first["1.8.0"])} if rng.random() < 0.5 else None
    install(session, sp, meter, long_ago, cut, ct=ct, removal_index=removal)
    install(session, sp, new, cut, ct=ct, install_index=installed)
    _store(session, meter, run, rng, clean, [start, cut])
    _store(session, new, new_run, rng, clean, [cut, end])
    _readouts(session, meter, run, rng, start, cut)
    _readouts(session, new, new_run, rng, cut, end)


def build_world(session: Session, seed: int, period: str, points: int = 12) -> list[str]:
    """``points`` service points with random months of ``period``; returns their numbers."""
    rng = random.Random(seed)
    start, end = month_bounds(period)
    nos = []
    for k in range(points):
        clean = k % 3 == 0
        no = f"{'C' if clean else 'R'}{seed:03d}{k:02d}"
        _point(session, rng, no, start, end, clean)
        nos.append(no)
    return nos


def service_points(session: Session) -> list[ServicePoint]:
    return list(session.execute(select(ServicePoint).order_by(ServicePoint.no)).scalars())

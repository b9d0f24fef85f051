"""Per-meter link settings and the clock against simulated meters: 7E1 parity in software,
a meter whose clock is far off is set (and audited), its data stays exact."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from osos.headend.config import HeadendConfig
from osos.headend.plans import Backoff
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.runtime import Runtime
from osos.simulator import Fleet
from osos.simulator.faults import CLOCK_OFF_SECONDS, Fault
from osos.simulator.spec import specs_for
from osos.store.models import AuditEntry
from osos.store.models.headend import MeterLink
from osos.timeutil import UTC, FixedClock
from tests.factories import MeterRow, add_meters

T0 = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
CONFIG = HeadendConfig(
    concurrency=4,
    timeouts=Timeouts(connect=10, inter_byte=10, step=60, session=300),
    backoff=Backoff(dt.timedelta(minutes=1)),
    initial_backfill=dt.timedelta(hours=1),
)


async def test_parity_link_and_clock_set(runtime: Runtime) -> None:
    clock = FixedClock(T0)
    plain, with_parity = specs_for(2, seed=5)
    specs = [
        dataclasses.replace(plain, port=0),
        dataclasses.replace(with_parity, port=0, parity=True),
    ]
    async with Fleet(specs, clock=clock) as fleet:
        ids = add_meters(
            runtime,
            [
                MeterRow(
                    s.serial, flag=s.meter_flag, port=fleet.port(s.serial), password=s.password
                )
                for s in specs
            ],
        )
        with runtime.sessions.begin() as session:
            session.add(MeterLink(meter_id=ids[with_parity.serial], software_parity=True))
        fleet.set_fault(plain.serial, Fault.CLOCK_OFF)
        scheduler = Scheduler(runtime, clock=clock, config=CONFIG)
        reports = {r.serial: r for r in await scheduler.run_once()}
        assert {r.outcome for r in reports.values()} == {"ok"}, reports
        check = reports[plain.serial].clock
        assert check is not None and check.accepted
        assert check.drift == dt.timedelta(seconds=CLOCK_OFF_SECONDS)
        assert check.set_to == T0
        assert fleet.meter(plain.serial).meter_time(T0) == T0  # the meter's clock is right again
        assert reports[with_parity.serial].clock is not None
        assert reports[with_parity.serial].clock.set_to is None
        assert len(reports[with_parity.serial].values) > 10
    with runtime.sessions() as session:
        (audit,) = session.scalars(select(AuditEntry))
    assert audit.action == "meter.time_set" and audit.object_id == str(ids[plain.serial])

"""Modems that call the head-end: greeting, the due jobs run on their connection, logged."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools

from sqlalchemy import select

from osos.domain import CommMode
from osos.headend.commlog import comm_log
from osos.headend.config import HeadendConfig
from osos.headend.plans import Backoff
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.runtime import Runtime
from osos.simulator import Fleet
from osos.simulator.spec import specs_for
from osos.store.models import profile_intervals
from osos.timeutil import UTC, FixedClock
from osos.transport import DialInListener
from tests.factories import MeterRow, add_meters

T0 = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
CONFIG = HeadendConfig(
    concurrency=10,
    timeouts=Timeouts(connect=10, inter_byte=10, step=60, session=300),
    backoff=Backoff(dt.timedelta(minutes=1)),
    initial_backfill=dt.timedelta(hours=2),
)


async def test_dial_in_meters_are_read_on_their_call(runtime: Runtime) -> None:
    clock = FixedClock(T0)
    specs = [dataclasses.replace(s, port=None) for s in specs_for(6, seed=3)]
    rows = [
        MeterRow(s.serial, flag=s.meter_flag, password=s.password, comm_mode=CommMode.DIAL_IN)
        for s in specs
    ]
    ids = add_meters(runtime, rows)
    scheduler = Scheduler(runtime, clock=clock, config=CONFIG)
    assert await scheduler.run_once() == []  # dial-in meters are never dialled
    async with (
        Fleet(specs, clock=clock) as fleet,
        DialInListener("127.0.0.1", 0, scheduler.on_dial_in) as listener,
    ):
        fleet.dial_in("127.0.0.1", listener.port, interval=3600, retry=3600)
        # an unknown modem is logged and hung up on
        _reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(b"ID:99999999\r\n")
        await writer.drain()
        for _ in range(2000):  # tiny waits until every modem has been served
            if len(scheduler.reports) >= len(specs):
                break
            await asyncio.sleep(0.01)
        writer.close()
        await fleet.stop_dial_in()
    reports = {r.serial: r for r in scheduler.reports}
    assert set(reports) == {s.serial for s in specs}
    assert {r.outcome for r in reports.values()} == {"ok"}
    with runtime.sessions() as session:
        log = comm_log(session, limit=50)
        for spec in specs:
            table = profile_intervals
            ends = list(
                session.scalars(
                    select(table.c.end_at)
                    .where(table.c.meter_id == ids[spec.serial])
                    .order_by(table.c.end_at)
                )
            )
            # at least the two hours asked for (Luna answers whole days), without a gap
            assert len(ends) >= 9 and ends[-1] == dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
            assert all(b - a == dt.timedelta(minutes=15) for a, b in itertools.pairwise(ends))
    assert {e.direction for e in log if e.serial} == {"dial_in"}
    unknown = [e for e in log if e.serial is None]
    assert unknown and "99999999" in str(unknown[0].error)

"""The upkeep hook in the head-end's own loop: what the head-end read is validated and its month
computed without anyone running a batch (mock transport, both databases)."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from osos.headend.config import HeadendConfig
from osos.headend.jobs import MeterTarget
from osos.headend.plans import Backoff
from osos.headend.readplan import Timeouts
from osos.headend.service import run_headend
from osos.mdm.upkeep import UpkeepSummary, ValidationHook
from osos.mdm.validate import Code
from osos.runtime import Runtime
from osos.store.models.mdm import BillingDeterminant, UpkeepWatermark, ValidationFinding
from osos.timeutil import UTC, FixedClock
from osos.transport import MockTransport, Transport
from tests.factories import MeterRow, add_meters

from ..headend.fakes import FakeMeter, meter_session

NOW = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
CONFIG = HeadendConfig(
    concurrency=2,
    timeouts=Timeouts(connect=1, inter_byte=0.05, step=1, session=5),
    backoff=Backoff(dt.timedelta(minutes=1), 2, dt.timedelta(minutes=30)),
    max_attempts=3,
    initial_backfill=dt.timedelta(hours=6),
)


async def test_headend_loop_validates_what_it_read(runtime: Runtime) -> None:
    clock = FixedClock(NOW)
    ids = add_meters(runtime, [MeterRow("900")])
    meter = FakeMeter("900", clock, drift=dt.timedelta(minutes=7))  # a clock finding to make

    def connect(target: MeterTarget) -> Transport:
        return MockTransport(meter_session(meter).receive_data, peer=target.serial)

    # the fixed clock never moves: no throttle, no settling, so the test is about the wiring
    upkeep = ValidationHook(every=dt.timedelta(0), settle=dt.timedelta(0))
    summaries: list[UpkeepSummary] = []
    stop = asyncio.Event()

    def watch(rt: Runtime, now: dt.datetime) -> None:
        summary = upkeep(rt, now)
        if summary is not None:
            summaries.append(summary)
        if sum(s.readouts for s in summaries) >= 2 or len(summaries) > 2000:
            stop.set()

    await run_headend(
        runtime,
        stop=stop,
        clock=clock,
        concurrency=2,
        tick_s=0.01,
        config=CONFIG,
        after_tick=[watch],
        connector=connect,
    )
    assert sum(s.readouts for s in summaries) >= 2  # the readout and the load profile
    assert sum(s.errors for s in summaries) == 0
    with runtime.sessions() as session:
        findings = session.execute(
            select(ValidationFinding.code, ValidationFinding.detail).where(
                ValidationFinding.meter_id == ids["900"]
            )
        ).all()
        assert (Code.CLOCK_DRIFT.value, "meter clock ahead by 420 s") in findings
        months = session.execute(
            select(BillingDeterminant.period, BillingDeterminant.dirty)
        ).all()  # fmt: skip
        assert ("2026-11", False) in months
        assert session.get(UpkeepWatermark, "validation") is not None

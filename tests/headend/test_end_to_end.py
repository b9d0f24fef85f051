"""200 simulated meters read by the head-end over TCP, on SQLite and PostgreSQL.

Faults (no answer, drop, bad BCC, wrong password, garbage) show up in the communication log,
are retried after the back-off, and leave no partial or duplicate data: what is stored equals
the simulator's model exactly, with no gap, also after a drop mid-profile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import func, select

from osos.channels import BY_OBIS, from_milli
from osos.domain import Generation
from osos.headend.commlog import comm_log, comm_status
from osos.headend.config import HeadendConfig
from osos.headend.plans import Backoff
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.runtime import Runtime
from osos.simulator import Fleet
from osos.simulator.consumption import CustomerKind
from osos.simulator.faults import Fault
from osos.simulator.spec import MeterSpec, specs_for
from osos.store.models import (
    Meter,
    ProfileConflict,
    Readout,
    ReadoutValue,
    profile_intervals,
)
from osos.store.models.headend import ReadJob
from osos.timeutil import UTC, FixedClock
from tests.factories import MeterRow, add_meters

T0 = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)  # 09:07:30 local
CONFIG = HeadendConfig(
    concurrency=40,
    timeouts=Timeouts(connect=10, inter_byte=8, step=60, session=600),
    backoff=Backoff(dt.timedelta(minutes=1), 2, dt.timedelta(minutes=30)),
    max_attempts=4,
    initial_backfill=dt.timedelta(hours=4),
)
FAULTS = {
    0: Fault.NO_ANSWER,
    1: Fault.DROP,
    2: Fault.BAD_BCC,
    3: Fault.WRONG_PASSWORD,
    4: Fault.GARBAGE,
}


def _rows(specs: list[MeterSpec], fleet: Fleet) -> list[MeterRow]:
    return [
        MeterRow(
            spec.serial,
            flag=spec.meter_flag,
            port=fleet.port(spec.serial),
            password=spec.password,
            balancing_unit=i % 10 == 0,
            generation=(
                Generation.LICENSED if spec.kind is CustomerKind.GENERATION else Generation.NONE
            ),
        )
        for i, spec in enumerate(specs)
    ]


def _stored_profile(runtime: Runtime, meter_id: int) -> list[dict[str, object]]:
    table = profile_intervals
    with runtime.sessions() as session:
        result = session.execute(
            select(table).where(table.c.meter_id == meter_id).order_by(table.c.end_at)
        )
        return [dict(row) for row in result.mappings()]


def _check_profile(runtime: Runtime, fleet: Fleet, serial: str, meter_id: int) -> int:
    """Stored intervals equal the model's, contiguous, none missing up to now."""
    rows = _stored_profile(runtime, meter_id)
    assert rows, f"{serial}: nothing stored"
    first = rows[0]["end_at"]
    assert isinstance(first, dt.datetime)
    expected = fleet.device(serial).profile(first, None).records
    assert [r["end_at"] for r in rows] == [e.time.astimezone(UTC) for e in expected], serial
    channels = [c.obis for c in fleet.device(serial).profile(first, first).channels]
    for row, record in zip(rows, expected, strict=True):
        extra = json.loads(str(row["extra"])) if row["extra"] else {}
        for position, obis in enumerate(channels):
            want = record.values[obis]
            channel = BY_OBIS.get(obis)
            if channel is not None and row[channel.column] is not None:
                got = from_milli(int(str(row[channel.column])))
            else:  # channels the codec names by position (Luna) are kept as exact text
                got = Decimal(extra.get(obis, extra.get(f"ch{position + 1}")))
            assert got == want, (serial, row["end_at"], obis)
    return len(rows)


def _check_readout(runtime: Runtime, fleet: Fleet, serial: str, meter_id: int) -> None:
    with runtime.sessions() as session:
        readout = session.scalars(
            select(Readout).where(Readout.meter_id == meter_id, Readout.kind == "readout")
        ).one()
        values = {
            v.address: v.value
            for v in session.scalars(
                select(ReadoutValue).where(ReadoutValue.readout_id == readout.id)
            )
        }
    clock = FixedClock(readout.read_at)
    device = fleet.device(serial)
    saved, device.clock = device.clock, clock
    try:
        expected = {ds.address: ds.first.text for ds in device.readout_data_sets()}
    finally:
        device.clock = saved
    assert values == expected, serial


async def test_fleet_of_200_with_faults(runtime: Runtime) -> None:
    clock = FixedClock(T0)
    specs = [dataclasses.replace(s, port=0) for s in specs_for(200, seed=7)]
    async with Fleet(specs, clock=clock) as fleet:
        ids = add_meters(runtime, _rows(specs, fleet))
        faulty = {specs[10 * k + 3].serial: fault for k, fault in FAULTS.items()}
        faulty |= {specs[10 * k + 5 + 100].serial: fault for k, fault in FAULTS.items()}
        for serial, fault in faulty.items():
            fleet.set_fault(serial, fault, 1)
        scheduler = Scheduler(runtime, clock=clock, config=CONFIG)

        first = {r.serial: r for r in await scheduler.run_once()}
        assert len(first) == 200
        not_ok = {s for s, r in first.items() if r.outcome != "ok"}
        assert not_ok == set(faulty)
        wrong_password = {s for s, f in faulty.items() if f is Fault.WRONG_PASSWORD}
        assert {s for s, r in first.items() if r.outcome == "partial"} == wrong_password
        with runtime.sessions() as session:
            failing = {s.serial: s for s in comm_status(session, failing_only=True)}
            assert set(failing) == set(faulty)
            for serial, fault in faulty.items():
                (entry,) = comm_log(session, ids[serial])
                assert entry.outcome in ("failed", "partial") and entry.error
                assert entry.transcript, serial  # the raw bytes are kept on failure
                if fault is Fault.WRONG_PASSWORD:
                    assert "password" in entry.error
                if fault is Fault.BAD_BCC:
                    assert "BCC" in entry.error
                if fault is Fault.GARBAGE:
                    assert "no valid message" in entry.error
            # failed readouts left nothing behind
            for serial, fault in faulty.items():
                if fault is not Fault.WRONG_PASSWORD:
                    count = session.scalar(
                        select(func.count()).where(Readout.meter_id == ids[serial])
                    )
                    assert count == 0, serial

        clock.advance(dt.timedelta(minutes=1))  # the back-off of the first retry
        retried = {r.serial: r for r in await scheduler.run_once()}
        assert set(retried) == set(faulty)
        assert {r.outcome for r in retried.values()} == {"ok"}

        for spec in specs:
            _check_readout(runtime, fleet, spec.serial, ids[spec.serial])
            assert _check_profile(runtime, fleet, spec.serial, ids[spec.serial]) >= 16

        # Two hours on: balancing units (15 min) and generation (hourly) read their gap; a
        # few drop mid-profile and resume after the back-off with no gap.
        clock.advance(dt.timedelta(hours=2))
        balancing = [s.serial for i, s in enumerate(specs) if i % 10 == 0]
        for serial in balancing[:4]:
            fleet.set_fault(serial, Fault.DROP, 1)
        third = {r.serial: r for r in await scheduler.run_once()}
        assert {s for s, r in third.items() if r.outcome != "ok"} == set(balancing[:4])
        assert all(third[s].profile.inserted == 0 for s in balancing[:4])
        clock.advance(dt.timedelta(minutes=1))
        fourth = {r.serial: r for r in await scheduler.run_once()}
        assert set(fourth) == set(balancing[:4])
        for serial in balancing:
            assert _check_profile(runtime, fleet, serial, ids[serial]) >= 16 + 8
            last = _stored_profile(runtime, ids[serial])[-1]["end_at"]
            assert last == dt.datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

        with runtime.sessions() as session:
            assert session.scalar(select(func.count()).select_from(ProfileConflict)) == 0
            states = {
                state: n
                for state, n in session.execute(
                    select(ReadJob.state, func.count()).group_by(ReadJob.state)
                )
            }
            assert set(states) == {"done"}, states
            assert comm_status(session, failing_only=True) == []
            serials = session.scalar(select(func.count()).select_from(Meter))
            assert serials == 200

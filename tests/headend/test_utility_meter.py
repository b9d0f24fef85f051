"""A water meter read by the head-end like an electricity meter beside it, over TCP from the
simulated fleet, on SQLite and PostgreSQL: readout jobs only, the readout stored with its m³
values, an ok line in the communication log, and nothing that expects 15-minute electricity
data (no P.01, no profile rows, no missing-interval findings, no market-operator delivery)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from osos.domain import MeterKind
from osos.headend.commlog import comm_log, comm_status
from osos.headend.scheduler import Scheduler
from osos.mdm.upkeep import ValidationHook
from osos.runtime import Runtime
from osos.settings import SharingConfig
from osos.sharing.obligations import plan
from osos.simulator import Fleet, MeterSpec
from osos.simulator.consumption import CustomerKind
from osos.store.models import Installation, Readout, ReadoutValue, profile_intervals
from osos.store.models.headend import ReadJob
from osos.store.models.mdm import ValidationFinding
from osos.store.models.sharing import Delivery
from osos.timeutil import FixedClock
from tests.factories import MeterRow, add_meters

from .test_end_to_end import CONFIG, T0

WATER = MeterSpec("SU240101", "water-iec", CustomerKind.COMMERCE, seed=3, port=0, flag="KAM")
POWER = MeterSpec("80220001", "makel-c520", CustomerKind.INDUSTRY, seed=4, port=0)


def _rows(fleet: Fleet) -> list[MeterRow]:
    return [
        MeterRow(WATER.serial, flag="KAM", port=fleet.port(WATER.serial), password=None,
                 meter={"kind": MeterKind.WATER}),
        MeterRow(POWER.serial, flag="MSY", port=fleet.port(POWER.serial),
                 password=POWER.password),
    ]  # fmt: skip


async def test_the_head_end_reads_a_water_meter_readout_only(runtime: Runtime) -> None:
    clock = FixedClock(T0)
    async with Fleet([WATER, POWER], clock=clock) as fleet:
        ids = add_meters(runtime, _rows(fleet))
        scheduler = Scheduler(runtime, clock=clock, config=CONFIG)
        reports = {r.serial: r for r in await scheduler.run_once()}
        water = reports[WATER.serial]
        assert water.outcome == "ok" and water.error is None
        assert POWER.serial in reports and reports[POWER.serial].outcome == "ok"
        device = fleet.device(WATER.serial)
        expected = {ds.address: ds.first.text for ds in device.readout_data_sets()}
        with runtime.sessions() as session:
            planned = {
                meter: set(
                    session.scalars(select(ReadJob.purpose).where(ReadJob.meter_id == meter))
                )
                for meter in ids.values()
            }
        assert planned[ids[WATER.serial]] == {"readout"}  # the plans ask nothing else of it
        assert planned[ids[POWER.serial]] == {"readout", "profile"}
        # ``osos read --profile-from`` of a water meter: its readout, no P.01, no failure
        again = await scheduler.read_now(WATER.serial, profile_from=T0 - dt.timedelta(hours=2))
        assert again.outcome == "ok"
        await scheduler.close()
    water_id, power_id = ids[WATER.serial], ids[POWER.serial]
    with runtime.sessions() as session:
        readout = session.scalars(
            select(Readout).where(Readout.meter_id == water_id, Readout.kind == "readout")
        ).first()
        assert readout is not None
        values = {
            v.address: (v.value, v.unit)
            for v in session.scalars(
                select(ReadoutValue).where(ReadoutValue.readout_id == readout.id)
            )
        }
        assert values["8-0:1.0.0"] == (expected["8-0:1.0.0"], "m3")
        assert values["8-0:1.0.0*1"][1] == "m3" and "1.8.0" not in values
        log = comm_log(session, water_id)
        assert log and all(e.outcome == "ok" and e.error is None for e in log)
        assert b"P.01" not in b"".join(e.transcript or b"" for e in log)
        status = {s.serial: s for s in comm_status(session)}[WATER.serial]
        assert status.consecutive_failures == 0 and status.last_profile_end is None
        rows = session.scalar(
            select(func.count())
            .select_from(profile_intervals)
            .where(profile_intervals.c.meter_id == water_id)
        )
        assert rows == 0
        powered = session.scalar(
            select(func.count())
            .select_from(profile_intervals)
            .where(profile_intervals.c.meter_id == power_id)
        )
        assert powered  # the electricity meter beside it has its profile
    # the MDM's upkeep validates the new reads: nothing to find on the water meter
    summary = ValidationHook(settle=dt.timedelta(0)).run(runtime, T0 + dt.timedelta(hours=1))
    assert summary.errors == 0
    with runtime.sessions.begin() as session:
        findings = session.scalar(
            select(func.count()).where(ValidationFinding.meter_id == water_id)
        )
        assert findings == 0
        # the market operator is owed the electricity point's month, not the water point's
        plan(session, T0 + dt.timedelta(days=40), SharingConfig())
        owed = set(session.scalars(select(Delivery.service_point_id).distinct()))
        query = select(Installation.meter_id, Installation.service_point_id)
        point_of = {meter: point for meter, point in session.execute(query)}
    assert point_of[power_id] in owed and point_of[water_id] not in owed

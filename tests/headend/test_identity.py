"""A dial-in's ``ID:<serial>`` greeting is only a claim (issue 12 item 12): the meter on the
line must say who it is (its serial in the readout, or a DLMS association with a password)
before anything is stored as that meter's reading; a mismatch is a security finding."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from osos.domain import CommMode, Protocol
from osos.headend.flush import IDENTITY_MISMATCH
from osos.headend.scheduler import Scheduler
from osos.runtime import Runtime
from osos.simulator import Fleet
from osos.simulator.spec import MeterSpec
from osos.store.models import AuditEntry, Readout
from osos.store.models.mdm import ValidationFinding
from osos.timeutil import UTC, FixedClock
from osos.transport.tcp import TcpTransport
from tests.factories import MeterRow, add_meters

from .test_dlms import CONFIG

T0 = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
REAL = [
    MeterSpec("30000001", family="makel-c520", seed=1, password="11112222", port=0),
    MeterSpec("D0001", protocol="dlms", seed=3, port=0),
    MeterSpec("D0002", protocol="dlms", seed=4, port=0),
]


@pytest.mark.parametrize(
    ("real", "claimed", "columns"),
    [
        ("30000001", "30000009", {}),
        ("D0001", "D0009", {"protocol": Protocol.DLMS}),
    ],
    ids=["iec", "dlms"],
)
async def test_an_impostor_is_not_stored_and_is_a_security_finding(
    runtime: Runtime, real: str, claimed: str, columns: dict[str, object]
) -> None:
    clock = FixedClock(T0)
    async with Fleet(REAL, clock=clock) as fleet:
        ids = add_meters(
            runtime,
            [
                MeterRow(claimed, password="11112222", comm_mode=CommMode.DIAL_IN, meter=columns),
                MeterRow(real, port=fleet.port(real), password="11112222", meter=columns),
            ],
        )
        scheduler = Scheduler(runtime, clock=clock, config=CONFIG)
        # someone on the dial-in port says "ID:<claimed>" but is the other meter
        await scheduler.on_dial_in(claimed, TcpTransport("127.0.0.1", fleet.port(real)))
        (report,) = scheduler.reports
        await scheduler.close()
    assert report.outcome == "failed" and "not this meter" in (report.error or "")
    with runtime.sessions() as session:
        stored = session.scalar(select(func.count()).where(Readout.meter_id == ids[claimed]))
        (finding,) = session.scalars(
            select(ValidationFinding).where(ValidationFinding.code == IDENTITY_MISMATCH)
        )
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "security.identity_mismatch")
        ).one()
    assert stored == 0
    assert finding.meter_id == ids[claimed] and real in finding.detail
    assert audit.outcome == "failed"


async def test_a_dlms_meter_that_logs_in_with_its_password_is_who_it_claims(
    runtime: Runtime,
) -> None:
    clock = FixedClock(T0)
    async with Fleet(REAL[2:], clock=clock) as fleet:
        columns = {"protocol": Protocol.DLMS, "dlms_authentication": "lls"}
        ids = add_meters(
            runtime,
            [MeterRow("D0002", password="12345678", comm_mode=CommMode.DIAL_IN, meter=columns)],
        )
        scheduler = Scheduler(runtime, clock=clock, config=CONFIG)
        await scheduler.on_dial_in("D0002", TcpTransport("127.0.0.1", fleet.port("D0002")))
        (report,) = scheduler.reports
        await scheduler.close()
    assert report.outcome == "ok", report.error
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).where(Readout.meter_id == ids["D0002"])) >= 1
        assert session.scalar(select(func.count()).select_from(ValidationFinding)) == 0

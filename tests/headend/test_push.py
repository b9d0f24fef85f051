"""DLMS pushes (DataNotification over the IP wrapper) arriving on the dial-in listener are
stored as readout values of the meter they name, when that meter may push unauthenticated;
a plain push naming a meter registered with security is a security finding; bytes that are
not pushes are logged, never a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from osos.domain import CommMode, Protocol
from osos.headend.flush import IDENTITY_MISMATCH
from osos.headend.push import decode_pushes
from osos.headend.push_in import receive_push
from osos.headend.scheduler import Scheduler
from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.cosem import Obis
from osos.protocol.dlms.dates import DateTime
from osos.protocol.dlms.wrapper import WrapperFrame
from osos.protocol.dlms.xdlms import DataNotification
from osos.runtime import Runtime
from osos.store.models import Readout, ReadoutValue
from osos.store.models.mdm import ValidationFinding
from osos.timeutil import UTC, FixedClock
from osos.transport import DialInListener
from tests.factories import MeterRow, add_meters

T0 = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
WH = 30  # the Blue Book's unit code of Wh


def _obis(text: str) -> Data:
    return Data.octets(Obis.parse(text).to_bytes())


def push(serial: str, wh: int) -> bytes:
    body = Data.structure(
        _obis("0.0.96.1.0.255"),
        Data.visible(serial),
        Data.structure(
            _obis("1.0.1.8.0.255"),
            Data(Tag.DOUBLE_LONG_UNSIGNED, wh),
            Data.structure(Data(Tag.INTEGER, 0), Data(Tag.ENUM, WH)),
        ),
        _obis("1.0.32.7.0.255"),
        Data(Tag.LONG_UNSIGNED, 2301),
        Data.structure(Data(Tag.INTEGER, -1), Data(Tag.ENUM, 35)),  # V
    )
    notification = DataNotification(0x40000001, body, DateTime.from_utc(T0, -180))
    return WrapperFrame(1, 102, notification.to_bytes()).to_bytes()


def test_a_push_body_becomes_the_registers_an_iec_meter_gives() -> None:
    (found,) = decode_pushes(push("D0001", 12345678))
    values = {v.obis: v for v in found.values}
    assert found.serial == "D0001" and found.sent_at == T0
    assert values["1.8.0"].number == Decimal("12345.678") and values["1.8.0"].unit == "kWh"
    assert values["32.7.0"].number == Decimal("230.1") and values["32.7.0"].unit == "V"


async def test_pushes_on_the_dial_in_listener(runtime: Runtime) -> None:
    dlms = {"protocol": Protocol.DLMS}
    ids = add_meters(
        runtime,
        [
            MeterRow("D0001", password=None, comm_mode=CommMode.DIAL_IN, meter=dlms),
            MeterRow(
                "D0002",
                password="12345678",
                comm_mode=CommMode.DIAL_IN,
                meter={**dlms, "dlms_authentication": "lls"},
            ),
        ],
    )
    scheduler = Scheduler(runtime, clock=FixedClock(T0))
    done: list[int] = []

    async def handler(peer: str, data: bytes) -> None:
        done.append(await receive_push(scheduler, peer, data))

    async with DialInListener(
        "127.0.0.1", 0, scheduler.on_dial_in, push_handler=handler
    ) as listener:
        for data in (push("D0001", 12345678), push("D0002", 1), b"\x00\x01garbage", push("X", 1)):
            _reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            writer.write(data)
            await writer.drain()
            writer.close()
        for _ in range(1000):  # bounded polling until the four calls were handled
            if len(done) == 4:
                break
            await asyncio.sleep(0.01)
    await scheduler.close()
    assert sorted(done) == [0, 0, 0, 1]
    with runtime.sessions() as session:
        (readout,) = session.scalars(select(Readout).where(Readout.meter_id == ids["D0001"]))
        values = {
            v.obis: v.value
            for v in session.scalars(
                select(ReadoutValue).where(ReadoutValue.readout_id == readout.id)
            )
        }
        refused = session.scalar(select(func.count()).where(Readout.meter_id == ids["D0002"]))
        (finding,) = session.scalars(select(ValidationFinding))
    assert readout.kind == "push" and readout.meter_time == T0
    assert values == {"96.1.0": "D0001", "1.8.0": "12345.678", "32.7.0": "230.10"}
    assert refused == 0
    assert finding.code == IDENTITY_MISMATCH and finding.meter_id == ids["D0002"]

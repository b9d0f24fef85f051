"""DLMS pushes (DataNotification over the IP wrapper) arriving on the dial-in listener are
stored as readout values of the meter they name, when that meter may push unauthenticated;
a plain push naming a meter registered with security is a security finding; bytes that are
not pushes are logged, never a crash."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from osos.domain import CommMode, Protocol
from osos.headend.flush import IDENTITY_MISMATCH
from osos.headend.push import Layer, PushSource, decode_pushes, open_push
from osos.headend.push_in import receive_push
from osos.headend.scheduler import Scheduler
from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.cosem import Obis
from osos.protocol.dlms.dates import DateTime
from osos.protocol.dlms.errors import SecurityError
from osos.protocol.dlms.hdlc import LLC_RESPONSE, FrameKind, HdlcAddress, HdlcFrame
from osos.protocol.dlms.security import CipheredApdu, Keys, protect
from osos.protocol.dlms.wrapper import WrapperFrame
from osos.protocol.dlms.xdlms import DataNotification
from osos.runtime import Runtime
from osos.store.models import CommLogEntry, Readout, ReadoutValue
from osos.store.models.headend import DlmsFrameCounter
from osos.store.models.mdm import ValidationFinding
from osos.store.raw import raw_of
from osos.timeutil import UTC, FixedClock
from osos.transport import DialInListener
from tests.conftest import DATA
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


# ---------------------------------------------------------------- ciphered and HDLC pushes

EK = bytes.fromhex("000102030405060708090a0b0c0d0e0f")  # the Green Book's test keys
AK = bytes.fromhex("d0d1d2d3d4d5d6d7d8d9dadbdcdddedf")
TITLE = bytes.fromhex("4d4d4d0000bc614e")  # the meter's own system title
UDP_KEY = b"MYDUMMYGLOBALKEY"  # dlms-cosem's published test key of the UDP capture


def sample(name: str) -> bytes:
    """A real capture of tests/data/dlms (provenance and values in its SOURCES.md)."""
    return bytes.fromhex((DATA / "dlms" / f"{name}.hex").read_text().strip())


def _hls(title: bytes, ek: bytes = EK, ak: bytes = AK) -> dict[str, object]:
    return {
        "protocol": Protocol.DLMS,
        "dlms_authentication": "hls-gmac",
        "dlms_encryption_key": ek.hex(),
        "dlms_authentication_key": ak.hex(),
        "dlms_meter_system_title": title.hex(),
    }


def _notification(serial: str, wh: int) -> bytes:
    return DataNotification.from_bytes(WrapperFrame.from_bytes(push(serial, wh)).payload).to_bytes()


def sealed_push(serial: str, wh: int, counter: int, keys: Keys, title: bytes = TITLE) -> bytes:
    """A general-glo-ciphering push made by osos's own encoder, in a wrapper frame."""
    apdu = CipheredApdu.seal(_notification(serial, wh), 0x30, title, counter, keys, general=True)
    return WrapperFrame(1, 102, apdu.to_bytes()).to_bytes()


class _Calls:
    """Sends each call over TCP and waits (bounded) until the listener has handled it."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.done: list[int] = []

    async def handler(self, peer: str, data: bytes) -> None:
        self.done.append(await receive_push(self.scheduler, peer, data))

    async def send(self, port: int, data: bytes) -> int:
        before = len(self.done)
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        await writer.drain()
        writer.close()
        for _ in range(1000):
            if len(self.done) > before:
                break
            await asyncio.sleep(0.01)
        return self.done[before]


def _log(runtime: Runtime, meter_id: int) -> list[tuple[str, str | None]]:
    with runtime.sessions() as session:
        rows = session.scalars(
            select(CommLogEntry).where(CommLogEntry.meter_id == meter_id).order_by(CommLogEntry.id)
        )
        return [(r.outcome, r.error) for r in rows]


def _values(runtime: Runtime, meter_id: int) -> list[dict[str, str]]:
    with runtime.sessions() as session:
        readouts = session.scalars(select(Readout).where(Readout.meter_id == meter_id))
        return [
            {
                v.obis: v.value
                for v in session.scalars(
                    select(ReadoutValue).where(ReadoutValue.readout_id == r.id)
                )
            }
            for r in readouts
        ]


async def test_ciphered_pushes_over_tcp_stored_replays_and_wrong_keys_refused(
    runtime: Runtime,
) -> None:
    ids = add_meters(
        runtime, [MeterRow("C0001", password=None, comm_mode=CommMode.DIAL_IN, meter=_hls(TITLE))]
    )
    scheduler = Scheduler(runtime, clock=FixedClock(T0))
    calls = _Calls(scheduler)
    keys, wrong = Keys(EK, AK), Keys(AK, EK)
    async with DialInListener(
        "127.0.0.1", 0, scheduler.on_dial_in, push_handler=calls.handler
    ) as listener:
        good = sealed_push("C0001", 12345678, 10, keys)
        got = [
            await calls.send(listener.port, good),
            await calls.send(listener.port, good),  # the same push again: a replay
            await calls.send(listener.port, sealed_push("C0001", 1, 9, keys)),  # older
            await calls.send(listener.port, sealed_push("C0001", 1, 11, wrong)),
            await calls.send(listener.port, sealed_push("C0001", 1, 12, keys, b"NOTKNOWN")),
        ]
    await scheduler.close()
    assert got == [1, 0, 0, 0, 0]
    assert _values(runtime, ids["C0001"]) == [
        {"96.1.0": "C0001", "1.8.0": "12345.678", "32.7.0": "230.10"}
    ]
    log = _log(runtime, ids["C0001"])
    assert [outcome for outcome, _ in log] == ["ok", "failed", "failed", "failed"]
    assert "replayed invocation counter 10" in str(log[1][1])
    assert "older invocation counter 9" in str(log[2][1])
    assert "authentication failed" in str(log[3][1])  # the unknown title: no row at all
    with runtime.sessions() as session:
        counter = session.get(DlmsFrameCounter, ids["C0001"])
        assert counter is not None and counter.received_value == 10
        readout = session.scalars(select(Readout).where(Readout.meter_id == ids["C0001"])).one()
        assert readout.meter_time == T0 and readout.kind == "push"


async def test_the_real_general_glo_udp_capture_is_stored_by_its_system_title(
    runtime: Runtime,
) -> None:
    capture = sample("dlmscosem_udp_wrapper_gglo_datanotification")
    title = bytes.fromhex("2f19229199164103")
    ids = add_meters(
        runtime,
        [
            MeterRow(
                "U0001",
                password=None,
                comm_mode=CommMode.DIAL_IN,
                meter=_hls(title, UDP_KEY, UDP_KEY),
            )
        ],
    )
    scheduler = Scheduler(runtime, clock=FixedClock(T0))
    calls = _Calls(scheduler)
    async with DialInListener(
        "127.0.0.1", 0, scheduler.on_dial_in, push_handler=calls.handler
    ) as listener:
        assert await calls.send(listener.port, capture) == 1
        assert await calls.send(listener.port, capture) == 0  # its counter was seen
    await scheduler.close()
    with runtime.sessions() as session:
        readout = session.scalars(select(Readout).where(Readout.meter_id == ids["U0001"])).one()
        counter = session.get(DlmsFrameCounter, ids["U0001"])
        raw = raw_of(session, readout.id)
    assert raw is not None and raw.raw == capture and readout.kind == "push"
    assert counter is not None and counter.received_value == 0x1E5  # SOURCES.md: IC 0x1E5
    (opened,) = [open_push(p, Keys(UDP_KEY, UDP_KEY), None) for p in decode_pushes(capture)]
    assert opened.invocation_counter == 0x1E5 and opened.system_title == title
    assert opened.values == () and opened.source == PushSource(Layer.WRAPPER, 1)


def _hdlc(info: bytes, source: HdlcAddress, kind: FrameKind = FrameKind.UI) -> list[bytes]:
    """``info`` in UI (or I) frames from ``source``, segmented in two when it is long."""
    info = LLC_RESPONSE + info
    cut = len(info) // 2
    parts = [info] if len(info) < 64 else [info[:cut], info[cut:]]
    return [
        HdlcFrame(kind, HdlcAddress(16), source, part, segmented=i < len(parts) - 1).to_bytes()
        for i, part in enumerate(parts)
    ]


async def test_hdlc_pushes_on_the_listener(runtime: Runtime) -> None:
    """The real Aidon UI push (known by its HDLC address), an osos-made push in two
    segmented I frames (known by its serial), a glo-ciphered push in HDLC (no system title:
    known by its address, opened with the registered title), and pushes from an address
    two meters share or none has: those are not stored."""
    aidon = sample("aidon_han_hdlc_ui_datanotification")
    plain = {"protocol": Protocol.DLMS_HDLC}
    ids = add_meters(
        runtime,
        [
            MeterRow(
                "A0001",
                password=None,
                comm_mode=CommMode.DIAL_IN,
                meter={**plain, "dlms_server_logical": 4, "dlms_server_physical": 65},
            ),
            MeterRow("H0001", password=None, comm_mode=CommMode.DIAL_IN, meter=plain),
            MeterRow(
                "G0001",
                password=None,
                comm_mode=CommMode.DIAL_IN,
                meter={**_hls(TITLE), "dlms_server_logical": 1, "dlms_server_physical": 300},
            ),
            *(
                MeterRow(
                    f"S000{i}",
                    password=None,
                    comm_mode=CommMode.DIAL_IN,
                    meter={**plain, "dlms_server_logical": 1, "dlms_server_physical": 17},
                )
                for i in (1, 2)
            ),
        ],
    )
    glo = CipheredApdu(
        0xCA, 0x30, 7, protect(0x30, TITLE, 7, Keys(EK, AK), _notification("G0001", 5000))
    )
    scheduler = Scheduler(runtime, clock=FixedClock(T0))
    calls = _Calls(scheduler)
    async with DialInListener(
        "127.0.0.1", 0, scheduler.on_dial_in, push_handler=calls.handler
    ) as listener:
        info = _notification("H0001", 2000)
        framed = b"".join(_hdlc(info, HdlcAddress(1, 99, 2), FrameKind.I))
        got = [
            await calls.send(listener.port, aidon),
            await calls.send(listener.port, framed),
            await calls.send(
                listener.port, b"".join(_hdlc(glo.to_bytes(), HdlcAddress(1, 300, 4)))
            ),
            await calls.send(
                listener.port,
                b"".join(_hdlc(DataNotification(1, Data.structure()).to_bytes(), A17)),
            ),
            await calls.send(listener.port, framed[:-20]),  # a broken last frame
        ]
    await scheduler.close()
    assert got == [1, 1, 1, 0, 0]
    (values,) = _values(runtime, ids["A0001"])
    assert values["1.8.0"] == "10049.926" and values["2.8.0"] == "0.008"  # SOURCES.md
    assert values["32.7.0"] == "230.70" and values["52.7.0"] == "249.90"
    assert values["72.7.0"] == "230.80" and values["51.7.0"] == "7.50"
    assert _values(runtime, ids["H0001"]) == [
        {"96.1.0": "H0001", "1.8.0": "2.000", "32.7.0": "230.10"}
    ]
    assert _values(runtime, ids["G0001"])[0]["1.8.0"] == "5.000"
    assert _values(runtime, ids["S0001"]) == _values(runtime, ids["S0002"]) == []
    with runtime.sessions() as session:
        readout = session.scalars(select(Readout).where(Readout.meter_id == ids["A0001"])).one()
        counter = session.get(DlmsFrameCounter, ids["G0001"])
    # 2019-12-16 07:59:40 from the clock in the body (no deviation sent: Turkey's, UTC+3)
    assert readout.meter_time == dt.datetime(2019, 12, 16, 4, 59, 40, tzinfo=UTC)
    assert counter is not None and counter.received_value == 7


A17 = HdlcAddress(1, 17, 2)


def test_ciphered_push_refusals_are_typed() -> None:
    keys = Keys(EK, AK)
    (good,) = decode_pushes(sealed_push("C0001", 1, 3, keys))
    assert good.serial is None and good.system_title == TITLE and good.invocation_counter == 3
    assert open_push(good, keys, None).serial == "C0001"
    with pytest.raises(SecurityError, match="does not verify"):
        open_push(good, Keys(AK, EK), None)
    encrypted_only = CipheredApdu.seal(_notification("C0001", 1), 0x20, TITLE, 4, keys, True)
    (unauthenticated,) = decode_pushes(WrapperFrame(1, 102, encrypted_only.to_bytes()).to_bytes())
    with pytest.raises(SecurityError, match="not authenticated"):
        open_push(unauthenticated, keys, None)
    glo = CipheredApdu(0xCA, 0x30, 5, protect(0x30, TITLE, 5, keys, _notification("X", 1)))
    (untitled,) = decode_pushes(WrapperFrame(1, 102, glo.to_bytes()).to_bytes())
    with pytest.raises(SecurityError, match="system title is not known"):
        open_push(untitled, keys, None)
    assert open_push(untitled, keys, TITLE).serial == "X"

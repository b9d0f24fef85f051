"""The demo's way, with DLMS meters beside IEC ones: the demo registry imported (its secrets
sealed), the simulated fleet built from the database, the head-end reading both kinds; then
the panel's screens (their view-model step) show a DLMS meter exactly like an IEC meter."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from osos.domain import Protocol, UserKind
from osos.headend.config import HeadendConfig
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.readmodel.access import Principal, see
from osos.registry.importer import import_registry
from osos.runtime import Runtime
from osos.simulator import Fleet, specs_from_meters
from osos.simulator.fromdb import meter_rows
from osos.store import db
from osos.store.models import Meter
from osos.timeutil import UTC, FixedClock, local_date
from osos.web.screens import readout, yuk

REGISTRY = Path(__file__).parents[2] / "examples" / "registry.csv"
T0 = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)
IEC = "30246633"  # a Makel on the IP modem, IEC 62056-21
DLMS = ("99000011", "99000028", "99000035", "99000042")  # wrapper, wrapper+LLS, HDLC, HDLC+HLS
STAFF = Principal(UserKind.OPERATOR, 1, None, "op")


async def test_demo_registry_reads_dlms_and_iec_alike_on_the_panel(runtime: Runtime) -> None:
    with db.transaction(runtime.sessions) as session:
        import_registry(session, REGISTRY)
        meters = {m.serial: m for m in session.scalars(select(Meter))}
        assert {meters[s].protocol for s in DLMS} == {Protocol.DLMS, Protocol.DLMS_HDLC}
        assert meters["99000042"].dlms_encryption_key.startswith("sealed:v1:")
        wanted = {IEC, *DLMS}
        rows = [r for r in meter_rows(session) if r["serial"] in wanted]
        points = {
            m.serial: m.installations[0].service_point.no
            for m in meters.values()
            if m.serial in wanted
        }
    clock = FixedClock(T0)
    specs = [dataclasses.replace(s, port=0) for s in specs_from_meters(rows)]
    assert {s.protocol for s in specs} == {"iec", "dlms", "dlms-hdlc"}
    config = HeadendConfig(
        timeouts=Timeouts(connect=10, inter_byte=8, step=60, session=600),
        initial_backfill=dt.timedelta(hours=6),
    )
    async with Fleet(specs, clock=clock) as fleet:
        ports = {s.serial: fleet.port(s.serial) for s in specs}
        with db.transaction(runtime.sessions) as session:
            for meter in session.scalars(select(Meter).where(Meter.serial.in_(list(ports)))):
                meter.port = ports[meter.serial]
        scheduler = Scheduler(runtime, clock=clock, config=config)
        reports = {
            serial: await scheduler.read_now(
                serial, profile_from=T0 - dt.timedelta(hours=6), profile_to=T0
            )
            for serial in (IEC, *DLMS)
        }
    assert {s: r.outcome for s, r in reports.items()} == dict.fromkeys(reports, "ok")
    assert all(r.profile.inserted >= 20 for r in reports.values())

    with runtime.sessions() as session:
        pages = {}
        for serial in (IEC, *DLMS):
            sight = see(session, STAFF, points[serial])
            data = readout.load(session, sight, readout.ReadoutQuery(), runtime.settings)
            day = local_date(T0)
            load = yuk.load(session, sight, yuk.YukQuery(**{"from": day}), runtime.settings)
            pages[serial] = (readout.view(data, "tr"), yuk.view(load, "tr"), load)
    iec_readout, iec_yuk, iec_load = pages[IEC]
    for serial in DLMS:
        page, load_page, load = pages[serial]
        assert [c.header for c in page.table.columns] == [
            c.header for c in iec_readout.table.columns
        ]
        lines = {row[0]: row for row in page.table.rows}
        for code in ("1.8.0", "1.8.1", "2.8.0", "5.8.0", "32.7.0"):
            _obis, name, _address, value, unit, _time = lines[code]
            assert name and name == {r[0]: r for r in iec_readout.table.rows}[code][1]
            assert isinstance(value, Decimal) and unit
        kwh = lines["1.8.0"][3]
        assert (
            isinstance(kwh, Decimal)
            and kwh.as_tuple().exponent == -3
            and lines["1.8.0"][4] == "kWh"
        )
        demand = lines["1.6.0"]
        assert demand[4] == "kW" and demand[5]  # with its time, as IEC meters give it
        # the load-profile screen: the same quarters, each with a value, the same columns
        assert [i.end for i in load.load] == [i.end for i in iec_load.load]
        filled = [i.end for i in load.load if i.withdrawal_kwh is not None]
        assert len(filled) >= 20
        assert filled == [i.end for i in iec_load.load if i.withdrawal_kwh is not None]
        assert [c.header for c in load_page.table.columns] == [
            c.header for c in iec_yuk.table.columns
        ]

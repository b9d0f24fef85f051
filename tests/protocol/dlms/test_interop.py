"""A third-party client, dlms-cosem 21.3.2 (MIT; a test-only dependency, see docs/dlms.md),
reads osos's simulated DLMS meter over TCP with its IP-wrapper transport: the clock, a
register with its scaler_unit, a range of the load profile, and an LLS login.

dlms-cosem 21.3.2 has no HDLC-over-TCP transport (its HDLC transport is serial only), so
HDLC interoperability is shown by osos's own client in test_reader_sim.py; its HLS-GMAC
support in this version is not exercised here.
"""

from __future__ import annotations

import datetime as dt

from dlms_cosem import enumerations
from dlms_cosem.clients.dlms_client import DlmsClient
from dlms_cosem.cosem import CosemAttribute, Obis
from dlms_cosem.cosem.capture_object import CaptureObject
from dlms_cosem.cosem.selective_access import RangeDescriptor

from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.classes import ScalerUnit
from osos.simulator import import_total

from .conftest import NOW, ThreadedFleet

TURKEY = dt.timezone(dt.timedelta(hours=3))
CLOCK = CosemAttribute(
    interface=enumerations.CosemInterface.CLOCK, instance=Obis(0, 0, 1, 0, 0), attribute=2
)


def _register(attribute: int) -> CosemAttribute:
    return CosemAttribute(
        interface=enumerations.CosemInterface.REGISTER,
        instance=Obis(1, 0, 1, 8, 0),
        attribute=attribute,
    )


def test_dlms_cosem_reads_clock_register_and_profile(threaded_fleet: ThreadedFleet) -> None:
    port = threaded_fleet.ports["D0001"]
    client = DlmsClient.with_tcp_transport(
        "127.0.0.1", port, client_logical_address=16, server_logical_address=1
    )
    selection = RangeDescriptor(
        restricting_object=CaptureObject(cosem_attribute=CLOCK, data_index=0),
        from_value=dt.datetime(2026, 3, 10, 11, 0, tzinfo=TURKEY),
        to_value=dt.datetime(2026, 3, 10, 12, 0, tzinfo=TURKEY),
    )
    profile = CosemAttribute(
        interface=enumerations.CosemInterface.PROFILE_GENERIC,
        instance=Obis(1, 0, 99, 1, 0),
        attribute=2,
    )
    with client.session() as session:
        clock = session.get(CLOCK)
        value = session.get(_register(2))
        scaler = session.get(_register(3))
        buffer = session.get(profile, access_descriptor=selection)
    stamp = Data.from_bytes(clock).as_datetime()
    assert stamp is not None and stamp.to_utc() == NOW
    assert threaded_fleet.fleet is not None
    model = threaded_fleet.fleet.meter("D0001")
    assert Data.from_bytes(value) == Data(
        Tag.DOUBLE_LONG_UNSIGNED, import_total(model.registers_at(NOW))
    )
    assert ScalerUnit.from_data(Data.from_bytes(scaler)) == ScalerUnit(0, 30)  # Wh
    rows = Data.from_bytes(buffer).items
    times = [r.items[0].as_datetime() for r in rows]
    assert [t.to_utc().isoformat() for t in times if t is not None] == [  # type: ignore[union-attr]
        f"2026-03-10T{h}+00:00"
        for h in ("08:00:00", "08:15:00", "08:30:00", "08:45:00", "09:00:00")
    ]


def test_dlms_cosem_logs_in_with_low_level_security(threaded_fleet: ThreadedFleet) -> None:
    port = threaded_fleet.ports["D0001"]
    client = DlmsClient.with_tcp_transport(
        "127.0.0.1",
        port,
        client_logical_address=1,
        server_logical_address=1,
        authentication_method=enumerations.AuthenticationMechanism.LLS,
        password=b"12345678",
    )
    with client.session() as session:
        value = session.get(_register(2))
    assert Data.from_bytes(value).tag is Tag.DOUBLE_LONG_UNSIGNED

"""Client and meter sessions in memory (no sockets): association with every mechanism over
both links, long answers in blocks and segments, refusals as typed errors."""

from __future__ import annotations

import pytest

from osos.protocol.dlms.association import Authentication, ClientSettings
from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.client import (
    Associated,
    Closed,
    DlmsClient,
    Event,
    GetDone,
    LinkUp,
    NeedMoreData,
    Released,
    SetDone,
)
from osos.protocol.dlms.cosem import AttributeDescriptor, MethodDescriptor, Obis, SelectiveAccess
from osos.protocol.dlms.errors import AssociationRejected, SessionError
from osos.protocol.dlms.hdlc import HdlcAddress, HdlcParameters
from osos.protocol.dlms.link import HdlcLink, Link, WrapperLink
from osos.protocol.dlms.security import Keys, MemoryFrameCounter
from osos.protocol.dlms.server import MeterServer, Policy

KEYS = Keys(bytes(range(16)), bytes(range(16, 32)))
REGISTER = AttributeDescriptor(3, Obis(1, 0, 1, 8, 0), 2)
BUFFER = AttributeDescriptor(7, Obis(1, 0, 99, 1, 0), 2)


class Objects:
    def __init__(self) -> None:
        self.written: list[Data] = []

    def get(self, item: AttributeDescriptor, access: SelectiveAccess | None) -> Data | int:
        if item == BUFFER:
            return Data.array(
                *(
                    Data.structure(Data(Tag.DOUBLE_LONG_UNSIGNED, i), Data.octets(bytes(20)))
                    for i in range(100)
                )
            )
        return Data(Tag.DOUBLE_LONG_UNSIGNED, 1234) if item == REGISTER else 4

    def set(self, item: AttributeDescriptor, value: Data) -> int:
        self.written.append(value)
        return 0

    def action(self, method: MethodDescriptor, parameters: Data | None) -> tuple[int, Data | None]:
        return 0, None


POLICIES = {
    16: (Policy(),),
    1: (
        Policy(Authentication.LLS, b"12345678"),
        Policy(Authentication.HLS_GMAC, keys=KEYS, ciphered=None),
    ),
}


def pair(settings: ClientSettings, hdlc: bool) -> tuple[DlmsClient, MeterServer]:
    sap = settings.client_sap
    client_link: Link
    server_link: Link
    if hdlc:
        small = HdlcParameters(64, 64)
        client_link = HdlcLink(HdlcAddress(sap), HdlcAddress.server(1, 17), parameters=small)
        server_link = HdlcLink(HdlcAddress.server(1, 17), None, client=False, parameters=small)
    else:
        client_link, server_link = WrapperLink(sap, 1), WrapperLink(1, sap)
    server = MeterServer(
        Objects(), POLICIES, server_link, client_sap=lambda: sap, challenge=lambda: b"P6wRJ21F" * 2
    )
    return DlmsClient(settings, client_link, counter=MemoryFrameCounter(41)), server


def pump(client: DlmsClient, server: MeterServer) -> list[Event]:
    while out := client.data_to_send():
        client.receive_data(server.receive_data(out))
    events = []
    while not isinstance(event := client.next_event(), NeedMoreData):
        events.append(event)
    return events


SETTINGS = [
    ClientSettings(),
    ClientSettings(client_sap=1, authentication=Authentication.LLS, password=b"12345678"),
    ClientSettings(client_sap=1, authentication=Authentication.HLS_GMAC, keys=KEYS),
    ClientSettings(client_sap=1, authentication=Authentication.HLS_GMAC, keys=KEYS, ciphered=False),
]


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
@pytest.mark.parametrize("settings", SETTINGS, ids=["public", "lls", "hls-ciphered", "hls"])
def test_a_whole_session(settings: ClientSettings, hdlc: bool) -> None:
    client, server = pair(settings, hdlc)
    client.connect()
    assert [type(e) for e in pump(client, server)] in ([], [LinkUp]) or not hdlc
    client.associate()
    events = pump(client, server)
    assert isinstance(events[-1], Associated)
    client.get(REGISTER)
    done = pump(client, server)[0]
    assert isinstance(done, GetDone) and done.results[0].data == Data(
        Tag.DOUBLE_LONG_UNSIGNED, 1234
    )
    client.get(BUFFER)
    long = pump(client, server)[0]
    assert isinstance(long, GetDone) and long.blocks > 1
    assert long.results[0].data is not None and len(long.results[0].data.items) == 100
    client.set(REGISTER, Data(Tag.UNSIGNED, 1))
    assert isinstance(pump(client, server)[0], SetDone)
    client.get(AttributeDescriptor(1, Obis(0, 0, 96, 1, 0), 2))
    missing = pump(client, server)[0]
    assert isinstance(missing, GetDone) and missing.results[0].error == 4
    client.release()
    assert isinstance(pump(client, server)[0], Released)
    client.disconnect()
    assert isinstance(pump(client, server)[-1], Closed)
    if settings.use_ciphering:
        assert client.cipher is not None and client.cipher.last_sent is not None
        assert client.cipher.last_sent > 41  # the counter only grows
        assert server.counter.next_value() > 1


def test_wrong_password_is_rejected_with_a_typed_error() -> None:
    settings = ClientSettings(client_sap=1, authentication=Authentication.LLS, password=b"0")
    client, server = pair(settings, False)
    client.connect()
    client.associate()
    with pytest.raises(AssociationRejected, match="authentication failure"):
        pump(client, server)


def test_hls_with_wrong_keys_fails_the_proof() -> None:
    other = Keys(bytes(16), bytes(16))
    settings = ClientSettings(
        client_sap=1, authentication=Authentication.HLS_GMAC, keys=other, ciphered=False
    )
    client, server = pair(settings, False)
    client.connect()
    client.associate()
    with pytest.raises(AssociationRejected, match="HLS-GMAC"):
        pump(client, server)


def test_illegal_calls_raise_session_error() -> None:
    client, _ = pair(ClientSettings(), False)
    with pytest.raises(SessionError, match="not allowed in state 'idle'"):
        client.get(REGISTER)
    client.connect()
    with pytest.raises(SessionError):
        client.release()


def test_unassociated_request_gets_an_exception_response() -> None:
    _client, server = pair(ClientSettings(), False)
    reply = server.receive_data(WrapperLinkFrame.get_register())
    assert reply[-3:] == b"\xd8\x01\x01"


class WrapperLinkFrame:
    @staticmethod
    def get_register() -> bytes:
        from osos.protocol.dlms.wrapper import WrapperFrame
        from osos.protocol.dlms.xdlms import GetRequest

        return WrapperFrame(16, 1, GetRequest.normal(REGISTER).to_bytes()).to_bytes()

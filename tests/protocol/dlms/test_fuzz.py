"""Hypothesis against the decoders and both session state machines, seeded with the real
captures: no input crashes them, every refusal is a typed DLMS error. Small budgets here
(``-m fuzz`` with more examples for a longer run); no deadline, so no wall-clock limit."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from osos.protocol.dlms.acse import Aare
from osos.protocol.dlms.apdu import decode_apdu
from osos.protocol.dlms.association import ClientSettings
from osos.protocol.dlms.axdr import Data
from osos.protocol.dlms.capture import parse_capture
from osos.protocol.dlms.client import DlmsClient
from osos.protocol.dlms.errors import DlmsError
from osos.protocol.dlms.hdlc import FrameBuffer, HdlcAddress, HdlcFrame
from osos.protocol.dlms.link import HdlcLink, WrapperLink
from osos.protocol.dlms.server import MeterServer, Policy
from osos.protocol.dlms.wrapper import WrapperBuffer

from .conftest import all_samples, sample
from .test_sessions import Objects

SEEDS = [sample(name) for name in all_samples()]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _mutated() -> st.SearchStrategy[bytes]:
    def flip(seed: bytes, at: int, value: int, cut: int) -> bytes:
        raw = bytearray(seed)
        if raw:
            raw[at % len(raw)] = value
        return bytes(raw[: max(1, len(raw) - cut)])

    return st.builds(
        flip, st.sampled_from(SEEDS), st.integers(0, 2000), st.integers(0, 255), st.integers(0, 8)
    ) | st.binary(max_size=300)


def _seeded(test):  # type: ignore[no-untyped-def]
    for seed in SEEDS[:12]:
        test = example(seed)(test)
    return test


@pytest.mark.fuzz
@FUZZ
@given(_mutated())
@_seeded
def test_decoders_refuse_with_typed_errors(raw: bytes) -> None:
    for decoder in (
        decode_apdu,
        Data.from_bytes,
        HdlcFrame.from_bytes,
        lambda b: Aare.from_bytes(b, lenient=True),
        lambda b: parse_capture(b),
    ):
        with contextlib.suppress(DlmsError):
            decoder(raw)


@pytest.mark.fuzz
@FUZZ
@given(st.lists(_mutated(), max_size=4))
def test_stream_buffers_never_crash(chunks: list[bytes]) -> None:
    hdlc, wrapper = FrameBuffer(), WrapperBuffer()
    for chunk in chunks:
        hdlc.feed(chunk)
        list(hdlc.frames())
        wrapper.feed(chunk)
        with contextlib.suppress(DlmsError):
            list(wrapper.frames())


@pytest.mark.fuzz
@FUZZ
@given(st.lists(_mutated(), max_size=4), st.booleans())
def test_sessions_survive_hostile_peers(chunks: list[bytes], hdlc: bool) -> None:
    if hdlc:
        client_link = HdlcLink(HdlcAddress(16), HdlcAddress.server(1, 17))
        server_link = HdlcLink(HdlcAddress.server(1, 17), None, client=False)
    else:
        client_link, server_link = WrapperLink(16, 1), WrapperLink(1, 16)  # type: ignore[assignment]
    client = DlmsClient(ClientSettings(), client_link)
    server = MeterServer(Objects(), {16: (Policy(),)}, server_link)
    client.connect()
    with contextlib.suppress(DlmsError):
        client.associate()
    for chunk in chunks:
        for feed in (client.receive_data, server.receive_data):
            with contextlib.suppress(DlmsError):
                feed(chunk)
        while client.next_event().__class__.__name__ != "NeedMoreData":
            pass

"""One call to a simulated DLMS meter: the protocol package's
:class:`~osos.protocol.dlms.server.MeterServer` over an asyncio stream.

Who may associate (per client SAP): the public client 16 without authentication, the
management client 1 with low-level security (the spec's ``lls_password``) and, when the spec
has ``dlms_keys``, with HLS-GMAC (ciphered or not). The meter's faults apply as on the IEC
side: ``no_answer``, ``drop``, ``garbage``, ``noise``, ``bad_bcc`` (a corrupt FCS on HDLC),
``wrong_password`` (every LLS password refused); the clock faults act on the model.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Final

from osos.protocol.dlms.association import MANAGEMENT_CLIENT, PUBLIC_CLIENT, Authentication
from osos.protocol.dlms.errors import DlmsError
from osos.protocol.dlms.hdlc import HdlcAddress, HdlcParameters
from osos.protocol.dlms.link import HdlcLink, Link, WrapperLink
from osos.protocol.dlms.security import Keys
from osos.protocol.dlms.server import MeterServer, Policy
from osos.protocol.dlms.wrapper import WrapperBuffer
from osos.protocol.iec62056_21.messages import IdentificationMessage

from .dlms_meter import DlmsMeter
from .faults import Fault
from .meter import VirtualMeter

log = logging.getLogger(__name__)

DROP_AFTER_BYTES: Final = 256  # the drop fault: the line goes once a call has sent this much
SERVER_PHYSICAL: Final = 17


def policies(meter: VirtualMeter, faults: frozenset[Fault]) -> dict[int, tuple[Policy, ...]]:
    spec = meter.spec
    password = spec.lls_password.encode("ascii")
    if Fault.WRONG_PASSWORD in faults:
        password = b"\x00never"
    management = [Policy(Authentication.LLS, password)]
    if spec.dlms_keys is not None:
        keys = Keys(bytes.fromhex(spec.dlms_keys[0]), bytes.fromhex(spec.dlms_keys[1]))
        management.append(Policy(Authentication.HLS_GMAC, keys=keys, ciphered=None))
    return {PUBLIC_CLIENT: (Policy(),), MANAGEMENT_CLIENT: tuple(management)}


class _SapTracker:
    """Which client SAP is talking: the wrapper's source wPort or the HDLC source address."""

    def __init__(self, hdlc: bool) -> None:
        self.hdlc = hdlc
        self.sap = PUBLIC_CLIENT
        self._buffer = WrapperBuffer()

    def see(self, data: bytes, link: Link) -> None:
        if self.hdlc and isinstance(link, HdlcLink) and link.remote is not None:
            self.sap = link.remote.logical
            return
        if not self.hdlc:
            self._buffer.feed(data)
            try:
                for frame in self._buffer.frames():
                    self.sap = frame.source
                    if isinstance(link, WrapperLink):
                        link.remote = frame.source
            except DlmsError:
                self._buffer.clear()


def new_server(
    meter: VirtualMeter, dlms: DlmsMeter, hdlc: bool, faults: frozenset[Fault]
) -> tuple[MeterServer, _SapTracker]:
    tracker = _SapTracker(hdlc)
    link: Link
    if hdlc:
        link = HdlcLink(
            HdlcAddress.server(1, SERVER_PHYSICAL),
            None,
            client=False,
            parameters=HdlcParameters(256, 256),
        )
    else:
        link = WrapperLink(1, PUBLIC_CLIENT)
    server = MeterServer(
        dlms,
        policies(meter, faults),
        link,
        system_title=dlms.system_title,
        counter=dlms.counter,
        client_sap=lambda: tracker.sap,
    )
    return server, tracker


async def converse(
    meter: VirtualMeter,
    dlms: DlmsMeter,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    hdlc: bool,
    idle_timeout: float,
    rng: random.Random,
) -> bool:
    """Answer one call until the other side hangs up (True) or the line drops (False)."""
    faults = meter.begin_session()
    server, tracker = new_server(meter, dlms, hdlc, faults)
    if meter.spec.protocol == "dlms-mode-e" and not await _mode_e(meter, reader, writer):
        return True
    sent = [0]  # bytes of this call so far (the drop fault counts them)
    while True:
        try:
            async with asyncio.timeout(idle_timeout):
                chunk = await reader.read(4096)
        except TimeoutError:
            return True
        if not chunk:
            return True
        if Fault.NO_ANSWER in faults:
            continue
        tracker.see(chunk, server.link)
        try:
            reply = server.receive_data(chunk)
        except DlmsError as exc:
            log.warning("meter %s: DLMS session error: %s", meter.serial, exc)
            return False
        if reply and not await _send(writer, reply, faults, rng, sent):
            return False


async def _mode_e(
    meter: VirtualMeter, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    """Mode E: ``/?!`` → an identification announcing ``\\2`` → ``ACK 2 Z 2`` → HDLC."""
    try:
        async with asyncio.timeout(30):
            request = await reader.readuntil(b"\n")
            if not request.startswith(b"/?"):
                return False
            ident = IdentificationMessage(meter.spec.meter_flag, "5", meter.serial, enhanced="2")
            writer.write(ident.to_bytes())
            await writer.drain()
            ack = await reader.readuntil(b"\n")
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return False
    return ack[:1] == b"\x06" and ack[1:2] == b"2"


async def _send(
    writer: asyncio.StreamWriter,
    data: bytes,
    faults: frozenset[Fault],
    rng: random.Random,
    sent: list[int],
) -> bool:
    if Fault.GARBAGE in faults:
        data = rng.randbytes(len(data))
    elif Fault.BAD_BCC in faults and data[:1] == b"\x7e" and len(data) > 4:
        data = data[:-2] + bytes((data[-2] ^ 0x01,)) + data[-1:]
    if Fault.NOISE in faults:
        data = b"#?*+" + data
    sent[0] += len(data)
    if Fault.DROP in faults and sent[0] > DROP_AFTER_BYTES:
        writer.write(data[: len(data) // 2])
        await writer.drain()
        writer.transport.abort()
        return False
    writer.write(data)
    await writer.drain()
    return True

"""A fleet of virtual meters behind virtual GPRS modems, on asyncio, in one process.

Dial-out: each meter with a port listens on ``host:port`` like a modem in server mode, one
call at a time (a second concurrent connection is closed at once); meters given the same
non-zero port share one modem (:mod:`.modem`). Dial-in: each modem calls
the head-end, says ``ID:<serial>`` CR LF, answers the head-end's IEC session on that
connection, and calls again after ``interval`` seconds (sooner after a failed call).

Bytes go through the codec's :class:`~osos.protocol.iec62056_21.MeterSession`; this module
only moves them, adding what the line does: 7E1 parity, modem latency, the pace of the baud
rate, and the faults set per meter (:class:`~.faults.Fault`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import random
from collections.abc import Iterable
from types import TracebackType

from osos.errors import InvalidInput, OsosError
from osos.protocol.iec62056_21.errors import IecError
from osos.protocol.iec62056_21.framing import add_even_parity, strip_parity
from osos.protocol.iec62056_21.messages import EOT, ETX, STX
from osos.protocol.iec62056_21.meter_session import MeterSession, MeterState
from osos.timeutil import Clock, SystemClock

from .dlms_meter import DlmsMeter
from .dlms_session import converse as converse_dlms
from .faults import CLOCK_OFF_SECONDS, TAMPERS, Fault, tamper_start
from .meter import VirtualMeter
from .model import MeterModel
from .modem import Modem, modem_groups
from .spec import DLMS_PROTOCOLS, MeterSpec

log = logging.getLogger(__name__)


class ListenFailed(OsosError):
    """A virtual modem could not open its port (in use, not allowed, bad address)."""


#: A reply longer than this is where DROP cuts the line (a readout or a profile).
DROP_AFTER_BYTES = 256
_NOISE_CHARS = b"#%&*+-0123456789=?@ABCDEFGHJKLMNPQRSTUVWXYZ"


class Fleet:
    """Virtual meters from ``specs``; ``async with Fleet(specs) as fleet:`` serves them.

    ``latency``: seconds before each answer (a number, or a (low, high) range drawn per
    message). ``emulate_baud``: pace the bytes as the negotiated baud rate would (300 Bd for
    the identification, then the switched rate). ``idle_timeout``: the modem hangs up a call
    that stays silent this long. ``option_timeout``: after an identification without option
    select, the meter sends its readout at 300 Bd (IEC 62056-21 mode C).
    """

    def __init__(
        self,
        specs: Iterable[MeterSpec],
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        latency: float | tuple[float, float] = 0.0,
        emulate_baud: bool = False,
        idle_timeout: float = 120.0,
        option_timeout: float = 5.0,
        seed: int = 0,
        dlms_hdlc: bool = False,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.dlms_hdlc = dlms_hdlc  # DLMS meters speak HDLC over TCP (else the IP wrapper)
        self.host = host
        self.latency = latency
        self.emulate_baud = emulate_baud
        self.idle_timeout = idle_timeout
        self.option_timeout = option_timeout
        self.meters: dict[str, VirtualMeter] = {}
        for spec in specs:
            if spec.serial in self.meters:
                raise InvalidInput(f"meter {spec.serial} appears twice in the fleet")
            self.meters[spec.serial] = VirtualMeter(spec, self.clock)
        self.dlms: dict[str, DlmsMeter] = {
            serial: DlmsMeter(meter)
            for serial, meter in self.meters.items()
            if meter.spec.protocol in DLMS_PROTOCOLS
        }
        self.refused = 0  # second concurrent calls closed
        self._ports: dict[str, int] = {}
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._dialers: set[asyncio.Task[None]] = set()
        self._rng = random.Random(seed)

    # --- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Fleet:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Open the listening port of every meter that has one (port 0: any free port); meters
        sharing a port share one modem (see the module text)."""
        try:
            for group in modem_groups(self.meters.values()):
                first = group[0]
                modem = Modem({m.spec.device_address or m.serial: m for m in group})
                handler = functools.partial(self._answer, modem)
                try:
                    server = await asyncio.start_server(
                        handler, self.host, first.spec.port, reuse_address=True
                    )
                except OSError as exc:
                    raise ListenFailed(
                        f"meter {first.serial}: cannot listen on {self.host}:{first.spec.port}: "
                        f"{exc.strerror or exc}"
                    ) from exc
                self._servers.append(server)
                for meter in group:
                    self._ports[meter.serial] = server.sockets[0].getsockname()[1]
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close every port, hang up every call, stop dialling."""
        for server in self._servers:
            server.close()
        tasks = [*self._dialers, *self._tasks]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self._servers.clear()
        self._dialers.clear()
        self._tasks.clear()

    # --- what tests and callers look at ----------------------------------------------------

    def meter(self, serial: str) -> MeterModel:
        """The model of a meter: expected registers, profile and demand for any time."""
        return self.device(serial).model

    def device(self, serial: str) -> VirtualMeter:
        """The virtual meter (provider, spec, faults, session count)."""
        try:
            return self.meters[serial]
        except KeyError:
            raise KeyError(f"no meter {serial!r} in the fleet") from None

    def port(self, serial: str) -> int:
        """The port a meter listens on (the real one when its spec asked for port 0)."""
        try:
            return self._ports[serial]
        except KeyError:
            raise KeyError(
                f"meter {serial!r} does not listen (no port, or fleet not started)"
            ) from None

    @property
    def ports(self) -> dict[str, int]:
        return dict(self._ports)

    # --- faults -----------------------------------------------------------------------------

    def set_fault(
        self,
        serial: str,
        fault: Fault,
        count: int | None = None,
        since: dt.datetime | None = None,
    ) -> None:
        """Give a meter a fault for its next ``count`` calls (None: until cleared).
        CLOCK_OFF moves the clock at once; it stays off until the head-end sets it. A tamper
        fault (``TAMPERS``) is the meter's state from ``since`` on (default: 10:30 local a
        week ago, so the history a head-end back-fills shows the change)."""
        meter = self.device(serial)
        if fault in TAMPERS:
            meter.model.tamper.begin(fault.value, since or tamper_start(self.clock.now()))
            return
        if fault is Fault.CLOCK_OFF:
            meter.set_clock_offset(CLOCK_OFF_SECONDS)
            return
        meter.faults.set(fault, count)

    def clear_fault(self, serial: str, fault: Fault | None = None) -> None:
        """Clear one fault, or all of them (a CLOCK_OFF clock goes back to the spec's drift)."""
        meter = self.device(serial)
        meter.faults.clear(fault)
        meter.model.tamper.clear(None if fault is None else fault.value)
        if fault in (None, Fault.CLOCK_OFF):
            meter.set_clock_offset(meter.spec.drift_s)

    def random_faults(self, rate: float, seed: int = 0) -> dict[str, Fault]:
        """Give each meter a random fault with probability ``rate`` (seeded); returns them."""
        rng = random.Random(seed)
        chosen: dict[str, Fault] = {}
        kinds = sorted(set(Fault) - TAMPERS)
        for serial in sorted(self.meters):
            if rng.random() < rate:
                chosen[serial] = rng.choice(kinds)
                self.set_fault(serial, chosen[serial])
        return chosen

    # --- dial-in ----------------------------------------------------------------------------

    def dial_in(
        self,
        host: str,
        port: int,
        *,
        interval: float = 300.0,
        retry: float = 5.0,
        stagger: float = 0.0,
        serials: Iterable[str] | None = None,
    ) -> None:
        """Start every modem (or ``serials``) calling the head-end's listener: a call now
        (spread over ``stagger`` seconds), then every ``interval`` seconds; ``retry`` seconds
        after a call that failed or dropped. Call inside the running event loop."""
        chosen = [self.device(s) for s in serials] if serials is not None else self.meters.values()
        for meter in chosen:
            delay = self._rng.uniform(0, stagger) if stagger else 0.0
            task = asyncio.create_task(self._dial_loop(meter, host, port, interval, retry, delay))
            self._dialers.add(task)
            task.add_done_callback(self._dialers.discard)

    async def stop_dial_in(self) -> None:
        tasks = list(self._dialers)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)

    async def _dial_loop(
        self, meter: VirtualMeter, host: str, port: int, interval: float, retry: float, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        while True:
            completed = False
            if not meter.busy:
                try:
                    reader, writer = await asyncio.open_connection(host, port)
                except OSError as exc:
                    log.debug(
                        "meter %s: dial-in to %s:%s failed: %s", meter.serial, host, port, exc
                    )
                else:
                    meter.busy = True
                    try:
                        writer.write(f"ID:{meter.serial}\r\n".encode("ascii"))
                        await writer.drain()
                        completed = await self._converse(meter, reader, writer)
                    except OSError as exc:
                        log.debug("meter %s: dial-in call dropped: %s", meter.serial, exc)
                    finally:
                        meter.busy = False
                        await _close(writer)
            await asyncio.sleep(interval if completed else retry)

    # --- one call ---------------------------------------------------------------------------

    async def _answer(
        self, modem: Modem, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            if not await modem.answer(reader, writer, self._converse, self.idle_timeout):
                self.refused += 1
        finally:
            if task is not None:
                self._tasks.discard(task)
            await _close(writer)

    async def _converse(
        self,
        meter: VirtualMeter,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        first: bytes = b"",
    ) -> bool:
        """Answer one call until the other side hangs up (True) or the line drops (False);
        ``first``: bytes of the call already read (a shared modem's sign-on)."""
        if meter.serial in self.dlms:
            return await converse_dlms(
                meter,
                self.dlms[meter.serial],
                reader,
                writer,
                hdlc=self.dlms_hdlc or meter.spec.protocol != "dlms",
                idle_timeout=self.idle_timeout,
                rng=self._rng,
            )
        faults = meter.begin_session()
        session = MeterSession(
            meter,
            profile=meter.family.protocol,
            address=meter.spec.device_address or meter.spec.serial,
        )
        pending = first
        while True:
            identified = session.state is MeterState.IDENTIFIED
            timeout = self.option_timeout if identified else self.idle_timeout
            try:
                if pending:
                    chunk, pending = pending, b""
                else:
                    async with asyncio.timeout(timeout):
                        chunk = await reader.read(4096)
            except TimeoutError:
                if session.state is MeterState.IDLE:
                    return True  # the modem hangs up a silent call
                reply = session.timeout()
            else:
                if not chunk:
                    return True
                if Fault.NO_ANSWER in faults:
                    continue
                if meter.spec.parity:
                    chunk = strip_parity(chunk)
                try:
                    reply = session.receive_data(chunk)
                except IecError as exc:
                    log.warning("meter %s: session error: %s", meter.serial, exc)
                    return False
            if reply and not await self._send(meter, writer, reply, session.baud, faults):
                return False

    async def _send(
        self,
        meter: VirtualMeter,
        writer: asyncio.StreamWriter,
        data: bytes,
        baud: int,
        faults: frozenset[Fault],
    ) -> bool:
        """Write an answer as the line would; False when the line was cut (DROP)."""
        if Fault.GARBAGE in faults:
            data = self._noise(len(data))
        elif Fault.BAD_BCC in faults and data[:1] == bytes([STX]) and data[-2] in (ETX, EOT):
            data = data[:-1] + bytes([data[-1] ^ 0x01])
        if Fault.NOISE in faults:
            data = self._noise(12) + data
        if meter.spec.parity:
            data = add_even_parity(data)
        delay = self._latency()
        if delay:
            await asyncio.sleep(delay)
        if Fault.DROP in faults and len(data) > DROP_AFTER_BYTES:
            writer.write(data[: len(data) // 2])
            await writer.drain()
            writer.transport.abort()
            return False
        pace = 300 if Fault.SLOW_BAUD in faults else (baud if self.emulate_baud else 0)
        if not pace:
            writer.write(data)
            await writer.drain()
            return True
        chunk = max(1, pace // 100)  # about 0.1 s of characters per write
        for start in range(0, len(data), chunk):
            piece = data[start : start + chunk]
            await asyncio.sleep(len(piece) * 10 / pace)  # 7E1: 10 bits a character
            writer.write(piece)
            await writer.drain()
        return True

    def _latency(self) -> float:
        if isinstance(self.latency, tuple):
            low, high = self.latency
            return self._rng.uniform(low, high)
        return float(self.latency)

    def _noise(self, size: int) -> bytes:
        return bytes(self._rng.choice(_NOISE_CHARS) for _ in range(size))


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()

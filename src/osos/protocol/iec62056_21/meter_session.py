"""Meter (server) side of a mode-C session, sans-io: bytes in, bytes out.

The simulator owns the socket and the clock; this class owns the protocol::

    meter = MeterSession(provider)              # provider implements MeterProvider
    reply = meter.receive_data(chunk)           # bytes to write back (may be b"")
    ...                                         # after reply, switch the line to meter.baud
    reply = meter.timeout()                     # call when the head-end went quiet

What the meter says comes from the provider (:class:`MeterProvider`): identification,
readout data sets, load profile records, password check, register reads and writes. How it
is said (read command digit, P.01 layout and request format, password attempts) comes from
the :class:`~.meter_profiles.MeterProfile`, looked up from the identification's FLAG unless
given.

Behaviour: ``/?addr!`` → identification (only when ``addr`` is empty or the meter's
address); option select mode 0 (and national 5–9) → readout, back to idle; mode 1 → P0 seed,
password (ACK / NAK; after ``max_password_attempts`` wrong ones, B0 and idle); then R (data or
``(ERROR)``), W (ACK/NAK), E (ACK/NAK), B0 (idle, no answer). A received block with a bad BCC
is answered NAK; a NAK from the head-end repeats the last answer. With ``block_size`` the
readout is split into partial blocks (EOT) sent one per ACK.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from typing import Final, Protocol

from .datasets import DataSet, format_data_sets
from .errors import BccError, FrameError, ProfileError, SessionError
from .eventlog import encode_event_log
from .framing import FrameBuffer, ParityCodec
from .messages import (
    BAUD_RATES,
    MODE_BINARY,
    MODE_PROGRAMMING,
    Ack,
    AckOptionSelect,
    CommandMessage,
    DataMessage,
    IdentificationMessage,
    Nak,
    RequestMessage,
    decode,
)
from .meter_profiles import MeterProfile, profile_for
from .profile import LoadProfile, encode_profile, parse_profile_request

INITIAL_BAUD: Final = 300
_PROFILE_ADDRESS = re.compile(r"P\.?\d{1,2}")


class MeterProvider(Protocol):
    """The content of a (simulated) meter. Methods are called at most once per message."""

    def identification(self) -> IdentificationMessage:
        """What the meter answers to ``/?!``."""
        ...

    def readout_data_sets(self) -> Sequence[DataSet]:
        """The data sets of a full readout, in order. A provider may also offer
        ``readout_text() -> str``, the same data block already written, which is sent instead
        (and ``profile_text(start, end, layout) -> str | None`` for :meth:`profile`)."""
        ...

    def profile(self, start: dt.datetime | None, end: dt.datetime | None) -> LoadProfile | None:
        """Load-profile records with ``start <= time <= end`` (None: open end); None when the
        meter keeps no load profile (answered ``(ERROR)``, as a meter does)."""
        ...

    def check_password(self, password: str) -> bool:
        """True when the P1/P2 password is right."""
        ...

    def read(self, address: str) -> str | DataSet | None:
        """A register for an R command: its value text, a whole data set, or None (unknown →
        the meter answers ``(ERROR)``)."""
        ...

    def write(self, address: str, value: str) -> bool:
        """Apply a W command; False makes the meter answer NAK."""
        ...


class MeterState(enum.Enum):
    IDLE = "idle"
    IDENTIFIED = "identified"
    READOUT_BLOCKS = "sending readout blocks"
    AWAIT_PASSWORD = "await password"
    PROGRAMMING = "programming"


M = MeterState
#: The meter's transition table: (state, input kind) → next state.
METER_TRANSITIONS: Final[dict[tuple[MeterState, str], MeterState]] = {
    **{(state, "request"): M.IDENTIFIED for state in MeterState},
    (M.IDENTIFIED, "option readout"): M.IDLE,
    (M.IDENTIFIED, "option readout blocks"): M.READOUT_BLOCKS,
    (M.IDENTIFIED, "option programming"): M.AWAIT_PASSWORD,
    (M.READOUT_BLOCKS, "ack"): M.READOUT_BLOCKS,
    (M.READOUT_BLOCKS, "last block"): M.IDLE,
    (M.AWAIT_PASSWORD, "password ok"): M.PROGRAMMING,
    (M.AWAIT_PASSWORD, "password wrong"): M.AWAIT_PASSWORD,
    (M.AWAIT_PASSWORD, "locked out"): M.IDLE,
    (M.PROGRAMMING, "command"): M.PROGRAMMING,
    **{(state, "break"): M.IDLE for state in MeterState},
    **{(state, "timeout"): M.IDLE for state in MeterState},
}


class MeterSession:
    """One meter's protocol state. ``address``: the device address accepted in ``/?addr!``
    (None accepts any). ``seed``: the P0 seed text. ``block_size``: split the readout into
    partial blocks of about that many characters (None: one block)."""

    def __init__(
        self,
        provider: MeterProvider,
        *,
        profile: MeterProfile | None = None,
        address: str | None = None,
        seed: str = "",
        block_size: int | None = None,
        parity: ParityCodec | None = None,
    ) -> None:
        self.provider = provider
        self.address = address
        self.seed = seed
        self.block_size = block_size
        self.parity = parity or ParityCodec()
        ident = provider.identification()
        self.profile = profile or profile_for(ident.flag, ident.ident)
        self.state = MeterState.IDLE
        self.baud = INITIAL_BAUD
        self.password_attempts = 0
        self.bcc_errors = 0
        self.log: list[str] = []
        self._buffer = FrameBuffer()
        self._last_reply = b""
        self._blocks: list[bytes] = []

    def _fire(self, kind: str) -> None:
        target = METER_TRANSITIONS.get((self.state, kind))
        if target is None:
            raise SessionError(f"meter: {kind!r} not allowed in state {self.state.value!r}")
        self.log.append(f"{self.state.value} --{kind}--> {target.value}")
        self.state = target
        self._buffer.option_select_expected = target is MeterState.IDENTIFIED

    def receive_data(self, data: bytes) -> bytes:
        """Feed received bytes; returns every byte the meter answers (possibly b"")."""
        self._buffer.feed(self.parity.decode(data))
        out = bytearray()
        for frame in self._buffer.frames():
            out += self._handle(frame)
        return self.parity.encode(bytes(out))

    def timeout(self) -> bytes:
        """The head-end went quiet: after an identification the meter sends its readout at
        the initial baud and signs off (IEC 62056-21 mode C); otherwise it just goes idle."""
        if self.state is MeterState.IDENTIFIED:
            self.baud = INITIAL_BAUD
            self._fire("timeout")
            return self.parity.encode(self._reply(self._readout_message().to_bytes()))
        self._fire("timeout")
        self.baud = INITIAL_BAUD
        return b""

    def reset(self) -> None:
        """Drop the connection state (new call, line dropped)."""
        self.state = MeterState.IDLE
        self.baud = INITIAL_BAUD
        self.password_attempts = 0
        self._buffer.clear()
        self._blocks.clear()

    def _reply(self, data: bytes) -> bytes:
        self._last_reply = data
        return data

    def _handle(self, frame: bytes) -> bytes:
        try:
            message = decode(frame)
        except BccError:
            self.bcc_errors += 1
            return Nak().to_bytes() if self.state is not MeterState.IDLE else b""
        except FrameError:
            return b""  # noise: a real meter stays silent
        if isinstance(message, RequestMessage):
            if self.address is not None and message.address not in ("", self.address):
                return b""
            self._fire("request")
            self.baud = INITIAL_BAUD
            self.password_attempts = 0
            return self._reply(self.provider.identification().to_bytes())
        if isinstance(message, Nak):
            return self._last_reply  # repeat, also a readout the meter already signed off after
        if isinstance(message, CommandMessage) and message.command == "B":
            self._last_reply = b""
            self._fire("break")
            self.baud = INITIAL_BAUD
            return b""
        if self.state is MeterState.IDENTIFIED and isinstance(message, AckOptionSelect):
            return self._option_select(message)
        if self.state is MeterState.READOUT_BLOCKS and isinstance(message, Ack):
            return self._next_block()
        if self.state is MeterState.AWAIT_PASSWORD and isinstance(message, CommandMessage):
            return self._password(message)
        if self.state is MeterState.PROGRAMMING and isinstance(message, CommandMessage):
            self._fire("command")
            return self._reply(self._command(message))
        return b""  # anything else: a real meter ignores it

    def _option_select(self, message: AckOptionSelect) -> bytes:
        if self.profile.baud_switch:
            self.baud = BAUD_RATES.get(message.baud_char, INITIAL_BAUD)
        if message.mode == MODE_PROGRAMMING:
            self._fire("option programming")
            return self._reply(CommandMessage.seed(self.seed).to_bytes())
        if message.mode == MODE_BINARY:
            self._fire("timeout")
            return b""
        if self.block_size:
            self._fire("option readout blocks")
            text = self._readout_text()
            self._blocks = _split_blocks(text, self.block_size)
            return self._next_block()
        self._fire("option readout")
        return self._reply(self._readout_message().to_bytes())

    def _readout_message(self) -> DataMessage:
        return DataMessage(self._readout_text())

    def _readout_text(self) -> str:
        """The readout's data block: the provider's own text when it writes one
        (``readout_text()``, e.g. the simulator's, made without data set objects), else its
        data sets formatted."""
        write = getattr(self.provider, "readout_text", None)
        if callable(write):
            return str(write())
        return format_data_sets(list(self.provider.readout_data_sets()))

    def _profile_text(self, start: dt.datetime | None, end: dt.datetime | None) -> str | None:
        """The P.01 answer's data: the provider's own text when it writes one
        (``profile_text(start, end, layout)``, e.g. the simulator's, made without records),
        else its profile encoded; None when it keeps none."""
        layout = self.profile.profile_layout
        write = getattr(self.provider, "profile_text", None)
        if callable(write):
            text = write(start, end, layout)
            return None if text is None else str(text)
        profile = self.provider.profile(start, end)
        return None if profile is None else encode_profile(profile, layout)

    def _next_block(self) -> bytes:
        block = self._blocks.pop(0)
        if not self._blocks:
            self._fire("last block")
        return self._reply(block)

    def _password(self, message: CommandMessage) -> bytes:
        if message.command != "P" or message.kind not in ("1", "2"):
            return self._reply(Nak().to_bytes())
        self.password_attempts += 1
        if self.provider.check_password(message.value):
            self._fire("password ok")
            return self._reply(Ack().to_bytes())
        if self.password_attempts >= self.profile.max_password_attempts:
            self._fire("locked out")
            self.baud = INITIAL_BAUD
            return self._reply(CommandMessage.break_().to_bytes())
        self._fire("password wrong")
        return self._reply(Nak().to_bytes())

    def _command(self, message: CommandMessage) -> bytes:
        address = message.address
        if message.command == "R":
            if address == self.profile.event_log:  # a provider's optional event_log(start, end)
                log = getattr(self.provider, "event_log", None)
                try:
                    _, start, end = parse_profile_request(message.data or "")
                except ProfileError:
                    return DataMessage.error_answer("ERROR").to_bytes()
                if not callable(log):
                    return DataMessage.error_answer("ERROR").to_bytes()
                return DataMessage(encode_event_log(log(start, end)) or "\r\n").to_bytes()
            if _PROFILE_ADDRESS.fullmatch(address):
                try:
                    _, start, end = parse_profile_request(message.data or "")
                except ProfileError:
                    return DataMessage.error_answer("ERROR").to_bytes()
                text = self._profile_text(start, end)
                if text is None:
                    return DataMessage.error_answer("ERROR").to_bytes()
                return DataMessage(text).to_bytes()
            value = self.provider.read(address)
            if value is None:
                return DataMessage.error_answer("ERROR").to_bytes()
            if isinstance(value, DataSet):
                return DataMessage(value.to_text()).to_bytes()
            return DataMessage.answer(address, value).to_bytes()
        if message.command == "W":
            accepted = self.provider.write(address, message.value)
            return (Ack() if accepted else Nak()).to_bytes()
        if message.command == "E":
            execute = getattr(self.provider, "execute", None)
            accepted = bool(execute(address, message.value)) if callable(execute) else False
            return (Ack() if accepted else Nak()).to_bytes()
        return Nak().to_bytes()


def _split_blocks(text: str, size: int) -> list[bytes]:
    """Cut a readout at line ends into blocks of about ``size`` characters; all but the last
    end with EOT."""
    lines = text.splitlines(keepends=True)
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) > size:
            chunks.append(current)
            current = ""
        current += line
    chunks.append(current)
    return [
        DataMessage(chunk, partial=index < len(chunks) - 1).to_bytes()
        for index, chunk in enumerate(chunks)
    ]

"""Head-end (client) side of a mode-C session, sans-io: it never touches a socket or a clock.

Usage — the caller moves bytes, the session decides::

    session = ClientSession(address="")          # profile looked up from the identification
    transport.write(session.send_request())          # '/?!' CR LF
    while True:
        event = session.next_event()
        if isinstance(event, NeedMoreData):
            session.receive_data(transport.read_some())  # with an inter-byte deadline
            continue
        ...

Sequence: ``send_request`` → :class:`Identified` → ``send_option_select(READOUT)`` →
:class:`ReadoutReceived`; or ``send_option_select(PROGRAMMING)`` → :class:`PasswordRequested`
(the meter's P0 seed) → ``send_password`` → :class:`PasswordAccepted` / :class:`PasswordRejected`
→ ``send_read`` / ``send_profile_request`` / ``send_time_set`` → :class:`DataReceived` /
:class:`ProfileReceived` / :class:`WriteAccepted` … → ``send_break``.

After writing the bytes of ``send_option_select`` the caller switches its line to
``session.baud`` (the meter profile decides whether the rate changes at all). A
:class:`BadBcc` event leaves the state unchanged: answer with ``send_nak()`` (bounded by
``max_retries``) and the meter repeats its message. Partial blocks (EOT) give
:class:`PartialBlockReceived`; answer ``send_ack()`` for the next one. Frames identical to what
we just sent (the optical head's echo) are dropped. Every state change goes through one
transition table; a call the current state does not allow raises :class:`SessionError`.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Final

from osos.timeutil import LOCAL_TZ

from .commands import answer_error
from .datasets import join_pieces
from .errors import BccError, SessionError
from .events import (
    BadBcc,
    DataReceived,
    ErrorReceived,
    Event,
    Identified,
    NeedMoreData,
    PartialBlockReceived,
    PasswordAccepted,
    PasswordRejected,
    PasswordRequested,
    ProfileReceived,
    ReadoutReceived,
    SessionClosed,
    WriteAccepted,
    WriteRejected,
)
from .framing import FrameBuffer, ParityCodec
from .messages import (
    BAUD_RATES,
    MODE_PROGRAMMING,
    MODE_READOUT,
    Ack,
    AckOptionSelect,
    CommandMessage,
    DataMessage,
    IdentificationMessage,
    Nak,
    RequestMessage,
    decode,
)
from .meter_profiles import GENERIC, MeterProfile, profile_for
from .profile import scan_profile
from .scan import scan

READOUT: Final = MODE_READOUT
PROGRAMMING: Final = MODE_PROGRAMMING
INITIAL_BAUD: Final = 300


class State(enum.Enum):
    IDLE = "idle"
    AWAIT_IDENTIFICATION = "await identification"
    IDENTIFIED = "identified"
    AWAIT_READOUT = "await readout"
    AWAIT_SEED = "await P0 seed"
    SEED_RECEIVED = "seed received"
    AWAIT_PASSWORD_REPLY = "await password reply"
    PROGRAMMING = "programming"
    AWAIT_READ_REPLY = "await read reply"
    AWAIT_WRITE_REPLY = "await write reply"
    CLOSED = "closed"


class Trigger(enum.Enum):
    SEND_REQUEST = "send request"
    RECV_IDENTIFICATION = "receive identification"
    SEND_OPTION_READOUT = "send option select (readout)"
    SEND_OPTION_PROGRAMMING = "send option select (programming)"
    RECV_DATA = "receive data block"
    RECV_PARTIAL = "receive partial block"
    SEND_ACK = "send ACK for next block"
    SEND_NAK = "send NAK (repeat)"
    RECV_BAD_BCC = "receive block with bad BCC"
    RECV_SEED = "receive P0 seed"
    SEND_PASSWORD = "send password"
    RECV_ACK = "receive ACK"
    RECV_NAK = "receive NAK"
    RECV_ERROR = "receive error answer"
    RECV_BREAK = "receive B0"
    SEND_READ = "send read"
    SEND_WRITE = "send write/execute"
    SEND_BREAK = "send B0"


S, T = State, Trigger
_WAITING = (
    S.AWAIT_IDENTIFICATION,
    S.AWAIT_READOUT,
    S.AWAIT_SEED,
    S.AWAIT_PASSWORD_REPLY,
    S.AWAIT_READ_REPLY,
    S.AWAIT_WRITE_REPLY,
    S.IDENTIFIED,
)
_SIGNED_ON = (
    S.AWAIT_SEED,
    S.SEED_RECEIVED,
    S.AWAIT_PASSWORD_REPLY,
    S.PROGRAMMING,
    S.AWAIT_READ_REPLY,
    S.AWAIT_WRITE_REPLY,
)

#: The one transition table: (state, trigger) → next state. Anything else is illegal.
TRANSITIONS: Final[dict[tuple[State, Trigger], State]] = {
    (S.IDLE, T.SEND_REQUEST): S.AWAIT_IDENTIFICATION,
    (S.CLOSED, T.SEND_REQUEST): S.AWAIT_IDENTIFICATION,
    (S.AWAIT_IDENTIFICATION, T.SEND_REQUEST): S.AWAIT_IDENTIFICATION,
    (S.AWAIT_IDENTIFICATION, T.RECV_IDENTIFICATION): S.IDENTIFIED,
    (S.IDENTIFIED, T.SEND_OPTION_READOUT): S.AWAIT_READOUT,
    (S.IDENTIFIED, T.SEND_OPTION_PROGRAMMING): S.AWAIT_SEED,
    # A meter that gets no option select in time sends its readout at 300 Bd and signs off.
    (S.IDENTIFIED, T.RECV_DATA): S.CLOSED,
    (S.AWAIT_READOUT, T.RECV_DATA): S.CLOSED,
    (S.AWAIT_READOUT, T.RECV_PARTIAL): S.AWAIT_READOUT,
    (S.AWAIT_READOUT, T.SEND_ACK): S.AWAIT_READOUT,
    (S.AWAIT_SEED, T.RECV_SEED): S.SEED_RECEIVED,
    (S.SEED_RECEIVED, T.SEND_PASSWORD): S.AWAIT_PASSWORD_REPLY,
    (S.AWAIT_PASSWORD_REPLY, T.RECV_ACK): S.PROGRAMMING,
    (S.AWAIT_PASSWORD_REPLY, T.RECV_NAK): S.SEED_RECEIVED,
    (S.PROGRAMMING, T.SEND_READ): S.AWAIT_READ_REPLY,
    (S.AWAIT_READ_REPLY, T.RECV_DATA): S.PROGRAMMING,
    (S.AWAIT_READ_REPLY, T.RECV_PARTIAL): S.AWAIT_READ_REPLY,
    (S.AWAIT_READ_REPLY, T.SEND_ACK): S.AWAIT_READ_REPLY,
    (S.AWAIT_READ_REPLY, T.RECV_ERROR): S.PROGRAMMING,
    (S.AWAIT_READ_REPLY, T.RECV_NAK): S.PROGRAMMING,
    (S.PROGRAMMING, T.SEND_WRITE): S.AWAIT_WRITE_REPLY,
    (S.AWAIT_WRITE_REPLY, T.RECV_ACK): S.PROGRAMMING,
    (S.AWAIT_WRITE_REPLY, T.RECV_NAK): S.PROGRAMMING,
    (S.AWAIT_WRITE_REPLY, T.RECV_ERROR): S.PROGRAMMING,
    **{(state, T.SEND_NAK): state for state in _WAITING},
    **{(state, T.RECV_BAD_BCC): state for state in _WAITING},
    **{(state, T.SEND_BREAK): S.CLOSED for state in _SIGNED_ON},
    **{(state, T.RECV_BREAK): S.CLOSED for state in _SIGNED_ON},
}


# ---------------------------------------------------------------- events


class ClientSession:
    """Head-end state machine for one sign-on; see the module docstring for the sequence.

    ``profile`` fixes the meter family; when None it is looked up from the identification.
    ``parity`` adds/strips 7E1 parity in software for transparent 8N1 links.
    """

    def __init__(
        self,
        *,
        address: str = "",
        profile: MeterProfile | None = None,
        parity: ParityCodec | None = None,
        max_retries: int = 3,
    ) -> None:
        self.address = address
        self.fixed_profile = profile
        self.profile: MeterProfile = profile or GENERIC
        self.parity = parity or ParityCodec()
        self.max_retries = max_retries
        self.state = State.IDLE
        self.identification: IdentificationMessage | None = None
        self.baud = INITIAL_BAUD
        self.bcc_errors = 0
        self.retries = 0
        self.password_attempts = 0
        self._buffer = FrameBuffer()
        self._last_sent = b""
        self._pending: tuple[str, str] = ("", "")  # (kind, address) of the outstanding read
        self._blocks: list[bytes] = []
        self._block_texts: list[str] = []

    # -- transition table

    def _fire(self, trigger: Trigger) -> None:
        target = TRANSITIONS.get((self.state, trigger))
        if target is None:
            raise SessionError(f"{trigger.value!r} is not allowed in state {self.state.value!r}")
        self.state = target

    def _send(
        self, trigger: Trigger, message: bytes, pending: tuple[str, str] | None = None
    ) -> bytes:
        self._fire(trigger)
        if pending is not None:
            self._pending = pending
        self._last_sent = message
        if trigger is not T.SEND_NAK:
            self.retries = 0
        return self.parity.encode(message)

    # -- outgoing

    def send_request(self) -> bytes:
        """``/?[address]!`` CR LF at the initial baud rate."""
        self.baud = INITIAL_BAUD
        self._buffer.clear()
        self._blocks.clear()
        self._block_texts.clear()
        return self._send(T.SEND_REQUEST, RequestMessage(self.address).to_bytes())

    def send_option_select(self, mode: str = READOUT, baud_char: str | None = None) -> bytes:
        """``ACK 0 Z Y`` CR LF; afterwards switch the line to ``self.baud``.

        ``baud_char`` None: the identification's rate if the profile switches, else ``0``.
        """
        if baud_char is None:
            offered = self.identification.baud_char if self.identification else "0"
            baud_char = offered if self.profile.baud_switch and offered.isdigit() else "0"
        message = AckOptionSelect("0", baud_char, mode)
        trigger = T.SEND_OPTION_PROGRAMMING if mode == PROGRAMMING else T.SEND_OPTION_READOUT
        data = self._send(trigger, message.to_bytes())
        self.baud = BAUD_RATES.get(baud_char, INITIAL_BAUD)
        return data

    def send_password(self, password: str, kind: str | None = None) -> bytes:
        """``P1 (password)`` (``kind`` defaults to the profile's password kind)."""
        message = CommandMessage.password(password, kind or self.profile.password_kind)
        data = self._send(T.SEND_PASSWORD, message.to_bytes())
        self.password_attempts += 1
        return data

    def send_read(self, address: str, args: str = "", kind: str | None = None) -> bytes:
        """``R5/R2 addr(args)``; the answer comes as :class:`DataReceived`."""
        message = CommandMessage.read(address, args, kind or self.profile.read_kind)
        return self._send(T.SEND_READ, message.to_bytes(), ("register", address))

    def send_profile_request(
        self, start: dt.datetime | None, end: dt.datetime | None = None
    ) -> bytes:
        """Read the load profile between ``start`` and ``end`` (None: open) in the profile's
        request format; the answer comes as :class:`ProfileReceived`."""
        fmt = self.profile.profile_request
        text = fmt.build(start, end)
        address, _, rest = text.partition("(")
        message = CommandMessage.read(address, rest[:-1], self.profile.read_kind)
        return self._send(T.SEND_READ, message.to_bytes(), ("profile", address))

    def send_write(self, address: str, value: str, kind: str | None = None) -> bytes:
        """``W5/W2 addr(value)``; answered by :class:`WriteAccepted` / :class:`WriteRejected`."""
        message = CommandMessage.write(address, value, kind or self.profile.write_kind)
        return self._send(T.SEND_WRITE, message.to_bytes(), ("write", address))

    def send_time_set(self, when: dt.datetime) -> bytes:
        """Write the meter's time of day (local time, the profile's register and format)."""
        local = when.astimezone(LOCAL_TZ) if when.tzinfo else when
        return self.send_write(self.profile.time_address, local.strftime(self.profile.time_format))

    def send_date_set(self, when: dt.datetime) -> bytes:
        """Write the meter's date (local time, the profile's register and format)."""
        local = when.astimezone(LOCAL_TZ) if when.tzinfo else when
        return self.send_write(self.profile.date_address, local.strftime(self.profile.date_format))

    def send_break(self) -> bytes:
        """``SOH B0 ETX q``: sign off."""
        return self._send(T.SEND_BREAK, CommandMessage.break_().to_bytes())

    def send_ack(self) -> bytes:
        """ACK after a partial block: ask for the next one."""
        return self._send(T.SEND_ACK, Ack().to_bytes())

    def send_nak(self) -> bytes:
        """NAK after a bad BCC: ask the meter to repeat. Bounded by ``max_retries``."""
        if self.retries >= self.max_retries:
            raise SessionError(f"gave up after {self.retries} repeat requests (bad BCC)")
        self.retries += 1
        return self._send(T.SEND_NAK, Nak().to_bytes())

    # -- incoming

    def receive_data(self, data: bytes) -> None:
        """Feed bytes exactly as they arrived (any chunking)."""
        self._buffer.feed(self.parity.decode(data))

    def next_event(self) -> Event:
        """The next event, or :class:`NeedMoreData`. Raises SessionError for a message the
        current state does not expect, FrameError for bytes that are no message at all."""
        for frame in self._buffer.frames():
            event = self._handle(frame)
            if event is not None:
                return event
        return NeedMoreData()

    def _handle(self, frame: bytes) -> Event | None:
        if frame == self._last_sent:
            return None  # echo of our own message
        try:
            message = decode(frame)
        except BccError as exc:
            self._fire(T.RECV_BAD_BCC)
            self.bcc_errors += 1
            return BadBcc(frame, exc, self.bcc_errors)
        if isinstance(message, RequestMessage | AckOptionSelect):
            return None  # echo (possibly of an earlier message)
        if isinstance(message, IdentificationMessage):
            self._fire(T.RECV_IDENTIFICATION)
            self.identification = message
            self.profile = self.fixed_profile or profile_for(message.flag, message.ident)
            return Identified(message, self.profile)
        if isinstance(message, CommandMessage):
            return self._on_command(message)
        if isinstance(message, DataMessage):
            return self._on_data(frame, message)
        waiting = self.state
        if isinstance(message, Ack):
            self._fire(T.RECV_ACK)
            if waiting is State.AWAIT_WRITE_REPLY:
                return WriteAccepted(self._pending[1])
            return PasswordAccepted()
        # NAK
        self._fire(T.RECV_NAK)
        if waiting is State.AWAIT_PASSWORD_REPLY:
            return PasswordRejected(self.password_attempts)
        if waiting is State.AWAIT_WRITE_REPLY:
            return WriteRejected(self._pending[1])
        return ErrorReceived("NAK", frame)

    def _on_command(self, message: CommandMessage) -> Event | None:
        if message.name == "P0":
            self._fire(T.RECV_SEED)
            return PasswordRequested(message.value)
        if message.command == "B":
            self._fire(T.RECV_BREAK)
            return SessionClosed("meter sent B0")
        if message.to_bytes() == self._last_sent:
            return None
        raise SessionError(f"unexpected command {message!r} from the meter in {self.state.value}")

    def _on_data(self, frame: bytes, message: DataMessage) -> Event:
        if message.partial:
            self._fire(T.RECV_PARTIAL)
            self._blocks.append(frame)
            self._block_texts.append(message.data)
            return PartialBlockReceived(frame, len(self._blocks))
        raw = b"".join([*self._blocks, frame])
        text = "".join([*self._block_texts, message.data])  # each block decoded once
        self._blocks.clear()
        self._block_texts.clear()
        error = answer_error(text)
        if error is not None and self.state in (State.AWAIT_READ_REPLY, State.AWAIT_WRITE_REPLY):
            self._fire(T.RECV_ERROR)
            return ErrorReceived(error, raw)
        reading = self.state in (State.AWAIT_READOUT, State.IDENTIFIED)
        self._fire(T.RECV_DATA)
        pieces = scan(text)
        kind, address = self._pending
        if kind == "profile" and not reading:
            profile, errors = scan_profile(pieces.items(), self.profile.profile_layout)
            return ProfileReceived(raw, profile, tuple([*pieces.errors, *errors]))
        sets = tuple(join_pieces(pieces)[0])
        if reading:
            return ReadoutReceived(raw, sets, tuple(pieces.errors))
        return DataReceived(raw, address, sets, tuple(pieces.errors))

"""What a head-end session tells its caller, one event at a time (see :mod:`.session`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .datasets import DataSet
from .errors import BccError
from .messages import IdentificationMessage
from .meter_profiles import MeterProfile
from .profile import LoadProfile


class Event:
    """Base of everything :meth:`ClientSession.next_event` returns."""


@dataclass(frozen=True)
class NeedMoreData(Event):
    """No complete message yet: feed more bytes (or give up at the deadline)."""


@dataclass(frozen=True)
class Identified(Event):
    identification: IdentificationMessage
    profile: MeterProfile


@dataclass(frozen=True)
class ReadoutReceived(Event):
    """The whole readout: ``raw`` frame bytes (all blocks), parsed data sets, parse errors."""

    raw: bytes
    data_sets: tuple[DataSet, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartialBlockReceived(Event):
    """A block ended with EOT; call ``send_ack()`` for the next one."""

    raw: bytes
    blocks: int


@dataclass(frozen=True)
class PasswordRequested(Event):
    """The meter entered programming mode and sent its P0 seed (often empty)."""

    seed: str


@dataclass(frozen=True)
class PasswordAccepted(Event):
    pass


@dataclass(frozen=True)
class PasswordRejected(Event):
    attempts: int


@dataclass(frozen=True)
class DataReceived(Event):
    """Answer to a register read."""

    raw: bytes
    address: str
    data_sets: tuple[DataSet, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProfileReceived(Event):
    raw: bytes
    profile: LoadProfile
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class WriteAccepted(Event):
    address: str


@dataclass(frozen=True)
class WriteRejected(Event):
    address: str


@dataclass(frozen=True)
class ErrorReceived(Event):
    """``(ERROR…)`` or NAK in answer to a read; ``text`` is what the meter said."""

    text: str
    raw: bytes = b""


@dataclass(frozen=True)
class BadBcc(Event):
    """A block failed its BCC; send ``send_nak()`` to have it repeated."""

    raw: bytes
    error: BccError = field(compare=False)
    count: int = 0


@dataclass(frozen=True)
class SessionClosed(Event):
    reason: str


# ---------------------------------------------------------------- session

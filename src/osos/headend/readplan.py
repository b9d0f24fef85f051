"""What one reading session is asked and what it gives back, for every protocol's reader:
the request and its timeouts, the data handed to the sink as soon as it is complete, and the
outcome the communication log and the jobs record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from osos.errors import CommunicationError
from osos.protocol.iec62056_21.meter_profiles import MeterProfile
from osos.readings import ClockCheck, IntervalRecord, ReadValue


class ReadFailed(CommunicationError):
    """A step of the session failed; ``step`` names it for the communication log."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step


@dataclass(frozen=True)
class Timeouts:
    """Seconds. Modems add 1–3 s of latency (PROTOCOL.md §8): keep these generous in the field."""

    connect: float = 30.0
    inter_byte: float = 5.0
    step: float = 60.0
    session: float = 900.0
    pause: float = 0.0  # rest between a readout and the next sign-on (real meters: ~0.5 s)


@dataclass(frozen=True)
class DlmsAccess:
    """How to reach and log in to a DLMS/COSEM meter: framing, addresses, security. The
    password and keys are opened (from their sealed form) only for the call; never printed."""

    framing: str = "wrapper"  # wrapper | hdlc | mode-e
    client_sap: int = 16
    server_logical: int = 1
    server_physical: int | None = None
    authentication: str = "none"  # none | lls | hls-gmac
    password: str | None = field(default=None, repr=False)
    encryption_key: str | None = field(default=None, repr=False)  # hex
    authentication_key: str | None = field(default=None, repr=False)
    system_title: str | None = None  # the client's, hex
    profile: str | None = None  # DLMS meter-profile key (None: by the meter's FLAG)


@dataclass(frozen=True)
class ReadRequest:
    """What to read from one meter in one session."""

    serial: str
    address: str = ""
    password: str | None = field(default=None, repr=False)
    readout: bool = True
    profile_from: dt.datetime | None = None  # first interval end wanted (None: no profile)
    profile_to: dt.datetime | None = None
    profile_chunk: dt.timedelta = dt.timedelta(days=1)
    clock_check: bool = False
    max_drift: dt.timedelta = dt.timedelta(seconds=20)
    meter_profile: MeterProfile | None = None
    software_parity: bool = False
    flag: str | None = None
    dlms: DlmsAccess | None = None  # set: a DLMS/COSEM meter (else IEC 62056-21)
    # A dial-in's ``ID:<serial>`` proves nothing: the meter itself must say who it is (its
    # serial in the readout, or a DLMS association with a password or keys).
    require_identity: bool = False

    @property
    def wants_programming(self) -> bool:
        return self.profile_from is not None or self.clock_check

    @property
    def needs_call(self) -> bool:
        return self.readout or self.wants_programming


@dataclass(frozen=True)
class ReadoutData:
    raw: bytes
    identification: str
    values: tuple[ReadValue, ...]
    meter_time: dt.datetime | None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventLogData:
    """The meter's event log (P.98) as it arrived, and the events it names as values."""

    raw: bytes
    identification: str
    values: tuple[ReadValue, ...]


@dataclass(frozen=True)
class ProfileChunk:
    """Intervals that arrived complete, with the bytes they came in (stored together)."""

    raw: bytes
    identification: str
    records: tuple[IntervalRecord, ...]
    requested_from: dt.datetime
    requested_to: dt.datetime
    complete: bool
    errors: tuple[str, ...] = ()


class ReadSink(Protocol):
    """Where a session puts what it read, step by step (the scheduler stores it)."""

    async def readout(self, data: ReadoutData) -> None: ...

    async def profile(self, chunk: ProfileChunk) -> None: ...

    async def event_log(self, data: EventLogData) -> None: ...

    async def clock(self, check: ClockCheck) -> None: ...


@dataclass
class ReadOutcome:
    """What one session achieved; ``error`` is set when a step failed."""

    identification: str | None = None
    readout_ok: bool = False
    profile_ok: bool = False
    profile_chunks: int = 0
    profile_records: int = 0
    clock: ClockCheck | None = None
    error: str | None = None
    failed_step: str | None = None
    bcc_errors: int = 0
    notes: list[str] = field(default_factory=list)
    identity_mismatch: str | None = None  # what the meter said it is, when not this meter

    @property
    def outcome(self) -> str:
        """``ok``, ``partial`` (something stored, something failed) or ``failed``."""
        if self.error is None:
            return "ok"
        return "partial" if self.readout_ok or self.profile_chunks else "failed"

"""How the head-end reads (its configuration) and what one session reports."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from osos.domain import Protocol
from osos.errors import ConfigError, NotFound
from osos.headend.jobs import MeterTarget
from osos.headend.plans import Backoff
from osos.headend.readplan import DlmsAccess, ReadRequest, Timeouts
from osos.protocol.dlms.association import MANAGEMENT_CLIENT, PUBLIC_CLIENT
from osos.protocol.iec62056_21.meter_profiles import MeterProfile, profile_by_key
from osos.readings import ClockCheck, ReadValue
from osos.store.intervals import ProfileIngestResult
from osos.store.secrets import MeterSecrets, is_sealed
from osos.transport.base import Transport
from osos.transport.tcp import TcpTransport


@dataclass(frozen=True)
class HeadendConfig:
    """How hard and how patiently to read. Defaults suit GPRS modems; tests shrink them."""

    concurrency: int = 200
    timeouts: Timeouts = field(default_factory=Timeouts)
    backoff: Backoff = field(default_factory=Backoff)
    max_attempts: int = 6
    max_drift: dt.timedelta = dt.timedelta(seconds=20)
    profile_period: dt.timedelta = dt.timedelta(minutes=15)
    profile_chunk: dt.timedelta = dt.timedelta(days=1)
    initial_backfill: dt.timedelta = dt.timedelta(days=1)
    max_backfill: dt.timedelta = dt.timedelta(days=40)
    stale_after: dt.timedelta = dt.timedelta(minutes=30)  # a lock by a worker with no heartbeat
    dead_after: dt.timedelta = dt.timedelta(minutes=2)  # a silent heartbeat: the worker died
    modem_wait: dt.timedelta = dt.timedelta(seconds=30)  # for a modem busy in another process
    plan_every: dt.timedelta = dt.timedelta(minutes=1)  # how often plans become jobs
    job_retention: dt.timedelta = dt.timedelta(days=7)  # finished jobs kept (comm log: always)
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


@dataclass(frozen=True)
class MeterReadReport:
    """What one session did, for the CLI and the tests."""

    serial: str
    outcome: str
    error: str | None
    values: tuple[ReadValue, ...]
    profile: ProfileIngestResult
    profile_range: tuple[dt.datetime, dt.datetime] | None
    clock: ClockCheck | None
    comm_log_id: int | None  # None: nothing was missing, no call was made
    jobs: tuple[tuple[int, str], ...] = ()  # (job id, state after this attempt)


Connector = Callable[[MeterTarget], Transport]


def tcp_connector(target: MeterTarget) -> Transport:
    if not target.host or not target.port:
        raise NotFound(f"meter {target.serial} has no host:port to dial")
    return TcpTransport(target.host, target.port)


def read_request(
    target: MeterTarget,
    profile_range: tuple[dt.datetime, dt.datetime] | None,
    config: HeadendConfig,
    *,
    readout: bool,
    clock_check: bool,
    secrets: MeterSecrets | None = None,
    dial_in: bool = False,
) -> ReadRequest:
    """What one session asks of a meter, from its registry row and the head-end's settings
    (the clock is checked only where the registry has the meter's password to set it). The
    meter's secrets are opened here, for this call only. A dial-in's greeting is a claim:
    the meter must prove who it is before its data is stored (``require_identity``)."""
    meter_profile: MeterProfile | None = None
    if target.meter_profile and not target.protocol.is_dlms:
        with contextlib.suppress(KeyError):
            meter_profile = profile_by_key(target.meter_profile)
    password = _open(secrets, target.password, target.serial)
    dlms = dlms_access(target, password, secrets) if target.protocol.is_dlms else None
    may_set = dlms.authentication != "none" if dlms is not None else password is not None
    return ReadRequest(
        serial=target.serial,
        address=target.device_address or "",
        password=password,
        readout=readout,
        profile_from=profile_range[0] if profile_range else None,
        profile_to=profile_range[1] if profile_range else None,
        profile_chunk=config.profile_chunk,
        clock_check=clock_check and may_set,
        max_drift=config.max_drift,
        meter_profile=meter_profile,
        software_parity=target.software_parity,
        flag=target.flag,
        dlms=dlms,
        require_identity=dial_in,
    )


FRAMING = {
    Protocol.DLMS: "wrapper",
    Protocol.DLMS_HDLC: "hdlc",
    Protocol.DLMS_MODE_E: "mode-e",
}


def dlms_access(
    target: MeterTarget, password: str | None, secrets: MeterSecrets | None
) -> DlmsAccess:
    """The registry's DLMS columns, with the protocol's defaults where they are empty: the
    public client (16, no security) unless a password or keys say otherwise."""
    keys = (
        _open(secrets, target.dlms_encryption_key, target.serial),
        _open(secrets, target.dlms_authentication_key, target.serial),
    )
    authentication = target.dlms_authentication or "none"
    management = authentication != "none"
    return DlmsAccess(
        framing=FRAMING.get(target.protocol, "wrapper"),
        client_sap=target.dlms_client_sap
        if target.dlms_client_sap is not None
        else (MANAGEMENT_CLIENT if management else PUBLIC_CLIENT),
        server_logical=target.dlms_server_logical if target.dlms_server_logical is not None else 1,
        server_physical=target.dlms_server_physical,
        authentication=authentication,
        password=password if authentication == "lls" else None,
        encryption_key=keys[0],
        authentication_key=keys[1],
        system_title=target.dlms_system_title,
        profile=target.meter_profile,
    )


def _open(secrets: MeterSecrets | None, value: str | None, serial: str) -> str | None:
    if secrets is None:
        if is_sealed(value):
            raise ConfigError("a sealed meter secret and no meter key to open it")
        return value
    return secrets.open(value, serial)


def timeouts_for(target: MeterTarget, config: HeadendConfig) -> Timeouts:
    """The head-end's timeouts, with the registry's inter-byte timeout for slow links."""
    if target.inter_byte_timeout_s:
        return replace(config.timeouts, inter_byte=float(target.inter_byte_timeout_s))
    return config.timeouts

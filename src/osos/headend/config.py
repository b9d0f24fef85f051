"""How the head-end reads (its configuration) and what one session reports."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from osos.errors import NotFound
from osos.headend.jobs import MeterTarget
from osos.headend.plans import Backoff
from osos.headend.readplan import ClockCheck, ReadRequest, Timeouts
from osos.protocol.iec62056_21.meter_profiles import MeterProfile, profile_by_key
from osos.readings import ReadValue
from osos.store.intervals import ProfileIngestResult
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
) -> ReadRequest:
    """What one session asks of a meter, from its registry row and the head-end's settings
    (the clock is checked only where the registry has the meter's password to set it)."""
    meter_profile: MeterProfile | None = None
    if target.meter_profile:
        with contextlib.suppress(KeyError):
            meter_profile = profile_by_key(target.meter_profile)
    return ReadRequest(
        serial=target.serial,
        address=target.device_address or "",
        password=target.password,
        readout=readout,
        profile_from=profile_range[0] if profile_range else None,
        profile_to=profile_range[1] if profile_range else None,
        profile_chunk=config.profile_chunk,
        clock_check=clock_check and target.password is not None,
        max_drift=config.max_drift,
        meter_profile=meter_profile,
        software_parity=target.software_parity,
    )


def timeouts_for(target: MeterTarget, config: HeadendConfig) -> Timeouts:
    """The head-end's timeouts, with the registry's inter-byte timeout for slow links."""
    if target.inter_byte_timeout_s:
        return replace(config.timeouts, inter_byte=float(target.inter_byte_timeout_s))
    return config.timeouts

"""The head-end reads tampered simulated meters over TCP and the detectors find what was done,
from what it stored: the readout's event registers and the profile's phase values."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.domain import Protocol
from osos.headend.config import HeadendConfig
from osos.headend.scheduler import Scheduler
from osos.losses.findings import Kind
from osos.losses.service import run_window
from osos.protocol.dlms.meter_profiles import FRAUD_LOG
from osos.runtime import Runtime
from osos.settings import LossLimits
from osos.simulator import Fleet, MeterSpec
from osos.simulator.faults import Fault
from osos.simulator.tamper import MAGNET_MINUTES
from osos.store.db import transaction
from osos.store.models import Readout
from osos.store.raw import RawTranscript, raw_of
from osos.timeutil import UTC, FixedClock
from tests.factories import MeterRow, add_meters

T0 = dt.datetime(2026, 11, 12, 9, 7, 30, tzinfo=UTC)  # 12:07:30 local
HOUR = dt.timedelta(hours=1)
SINCE = T0 - dt.timedelta(hours=2, minutes=7, seconds=30)  # 10:00 local


async def test_tampered_meters_read_by_the_head_end_are_found(sqlite_runtime: Runtime) -> None:
    clock = FixedClock(T0)
    specs = [
        MeterSpec("80225501", family="makel-c520", seed=3, port=0, peak_w=30_000),
        MeterSpec("12345501", family="emh-lzqj", seed=4, port=0, peak_w=30_000),
    ]
    async with Fleet(specs, clock=clock) as fleet:
        for fault in (Fault.COVER_OPEN, Fault.MAGNETIC, Fault.PHASE_LOSS):
            fleet.set_fault("80225501", fault, since=SINCE)
        fleet.set_fault("12345501", Fault.PHASE_LOSS, since=SINCE)
        rows = [
            MeterRow(s.serial, flag=s.meter_flag, port=fleet.port(s.serial), password=s.password)
            for s in specs
        ]
        add_meters(sqlite_runtime, rows)
        config = HeadendConfig(initial_backfill=dt.timedelta(hours=6))
        results = await Scheduler(sqlite_runtime, clock=clock, config=config).run_once()
        assert [r.error for r in results] == [None, None], results
    with transaction(sqlite_runtime.sessions) as session:
        found, saved = run_window(session, T0 - dt.timedelta(days=1), T0 + HOUR, LossLimits())
    by_meter = {(f.meter, f.kind): f for f in found}
    assert set(by_meter) == {
        ("80225501", Kind.TERMINAL_COVER), ("80225501", Kind.MAGNETIC),
        ("80225501", Kind.PHASE_FAIL), ("80225501", Kind.VOLTAGE_MISSING),
        ("12345501", Kind.VOLTAGE_MISSING),
    }  # fmt: skip
    assert by_meter[("80225501", Kind.TERMINAL_COVER)].start == SINCE
    assert by_meter[("80225501", Kind.TERMINAL_COVER)].evidence["count"] == "01"
    emh = by_meter[("12345501", Kind.VOLTAGE_MISSING)]
    assert emh.start == SINCE + dt.timedelta(minutes=15) and int(emh.evidence["samples"]) >= 8
    assert saved.added == 5


async def _read_tampered(runtime: Runtime, spec: MeterSpec, row: MeterRow) -> None:
    """The head-end reads ``spec`` (registered as ``row``) once, its cover opened and a magnet
    held to it at SINCE."""
    clock = FixedClock(T0)
    async with Fleet([spec], clock=clock) as fleet:
        for fault in (Fault.COVER_OPEN, Fault.MAGNETIC):
            fleet.set_fault(spec.serial, fault, since=SINCE)
        add_meters(runtime, [dataclasses.replace(row, port=fleet.port(spec.serial))])
        config = HeadendConfig(initial_backfill=dt.timedelta(hours=6))
        results = await Scheduler(runtime, clock=clock, config=config).run_once()
        assert [r.error for r in results] == [None], results


def _event_log_findings(session: Session) -> tuple[Readout, RawTranscript]:
    """The cover and magnet findings, both from one stored event log: that log."""
    found, _saved = run_window(session, T0 - dt.timedelta(days=1), T0 + HOUR, LossLimits())
    by_kind = {f.kind: f for f in found}
    assert set(by_kind) == {Kind.TERMINAL_COVER, Kind.MAGNETIC}
    cover, magnet = by_kind[Kind.TERMINAL_COVER], by_kind[Kind.MAGNETIC]
    assert cover.start == cover.end == SINCE
    assert cover.evidence["register"].startswith("P.98*")
    assert cover.evidence["value"].startswith("terminal_cover,")
    assert (magnet.start, magnet.end) == (SINCE, SINCE + dt.timedelta(minutes=MAGNET_MINUTES))
    log = session.get(Readout, cover.readout_id)
    assert log is not None and log.kind == "event_log" and magnet.readout_id == log.id
    raw = raw_of(session, log.id)
    assert raw is not None
    return log, raw


async def test_an_emh_meters_cover_and_magnet_come_from_its_p98_event_log(
    sqlite_runtime: Runtime,
) -> None:
    """EMH keeps its events in P.98, not the readout: the head-end reads the log after the
    profile, stores its bytes, and the findings point at them."""
    spec = MeterSpec("12345502", family="emh-lzqj", seed=5, port=0, peak_w=30_000)
    row = MeterRow(spec.serial, flag=spec.meter_flag, password=spec.password)
    await _read_tampered(sqlite_runtime, spec, row)
    with transaction(sqlite_runtime.sessions) as session:
        assert b"P.98(" in _event_log_findings(session)[1].raw


async def test_a_dlms_meters_cover_and_magnet_come_from_its_event_logs(runtime: Runtime) -> None:
    """A DLMS meter keeps its events in the IDIS fraud detection log: the head-end reads the
    logs by range after the profile, stores their frames as one ``event_log`` response with
    the same ``P.98*k`` values as an IEC meter's, and the findings point at it."""
    spec = MeterSpec("D7001", protocol="dlms", seed=8, port=0, peak_w=30_000)
    row = MeterRow(spec.serial, flag=spec.meter_flag, meter={"protocol": Protocol.DLMS})
    await _read_tampered(runtime, spec, row)
    with transaction(runtime.sessions) as session:
        log, raw = _event_log_findings(session)
        fraud_log = FRAUD_LOG.to_bytes()  # the GET's logical name is in the stored frames
        assert fraud_log in raw.raw and b"\x00\x00\x60\x0b\x01\xff" in raw.raw
        session_id = session.scalars(
            select(Readout.id).where(Readout.meter_id == log.meter_id, Readout.kind == "readout")
        ).one()
        session_raw = raw_of(session, session_id)  # the whole session's frames (its profile too)
        assert session_raw is not None
        assert raw.raw in session_raw.raw and len(raw.raw) < len(session_raw.raw)  # the logs' only

"""The DLMS event logs: IDIS event codes → the event names the IEC P.98 path uses, stored
in the one ``P.98*k`` representation the losses rules read; an unknown code is left out
with a note; the reader reads the logs by range against the simulated meter."""

from __future__ import annotations

import dataclasses
import datetime as dt

from osos.losses.events import log_events as stored_events
from osos.losses.findings import Kind
from osos.protocol.dlms.adapter import log_events
from osos.protocol.dlms.association import ClientSettings
from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.classes import date_time_data, profile_rows
from osos.protocol.dlms.cosem import Obis
from osos.protocol.dlms.meter_profiles import (
    FRAUD_EVENT_LOG,
    GENERIC,
    STANDARD_EVENT_LOG,
    EventLogSpec,
)
from osos.protocol.dlms.read_plan import ReadPlan
from osos.protocol.iec62056_21.adapter import log_values
from osos.readings import EVENT_LOG_LEAD
from osos.simulator import Fleet
from osos.simulator.faults import Fault
from osos.simulator.tamper import MAGNET_MINUTES
from osos.timeutil import FixedClock

from .conftest import NOW, dlms_spec
from .test_reader_sim import read

T = dt.datetime(2026, 3, 10, 7, 0, 12, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def _buffer(entries: list[tuple[dt.datetime, int]]) -> Data:
    return Data.array(
        *(
            Data.structure(date_time_data(at, GENERIC.deviation), Data(Tag.LONG_UNSIGNED, code))
            for at, code in entries
        )
    )


def _events(
    log: EventLogSpec, entries: list[tuple[dt.datetime, int]]
) -> tuple[list[tuple[dt.datetime, str]], tuple[str, ...]]:
    rows = profile_rows(_buffer(entries), log.columns, 0, GENERIC.deviation)
    return log_events(rows, log.columns, log)


def test_idis_codes_name_the_events_the_losses_rules_read() -> None:
    fraud = [(T, 40), (T + MINUTE, 41), (T + 2 * MINUTE, 42), (T + 9 * MINUTE, 43), (T, 44)]
    events, notes = _events(FRAUD_EVENT_LOG, fraud)
    assert notes == ()
    assert [name for _at, name in events] == [
        "terminal_cover", "terminal_cover_closed", "magnetic", "magnetic_end", "main_cover",
    ]  # fmt: skip
    power, notes = _events(STANDARD_EVENT_LOG, [(T, 1), (T + 5 * MINUTE, 2)])
    assert power == [(T, "power_fail"), (T + 5 * MINUTE, "power_back")] and notes == ()
    values = {v.address: v.value for v in log_values([*events, *power])}
    assert values["P.98*1"] == "terminal_cover,0260310100012"  # local time, with seconds
    kinds = {(e.kind, e.start, e.end) for e in stored_events(values)}
    assert kinds == {
        (Kind.TERMINAL_COVER, T, T),
        (Kind.MAIN_COVER, T, T),
        (Kind.MAGNETIC, T + 2 * MINUTE, T + 9 * MINUTE),
        (Kind.POWER_FAIL, T, T + 5 * MINUTE),
    }


def test_an_unknown_event_code_is_left_out_with_a_note() -> None:
    events, notes = _events(FRAUD_EVENT_LOG, [(T, 40), (T + MINUTE, 231), (T + MINUTE, 231)])
    assert events == [(T, "terminal_cover")]
    assert notes == ("event log 0.0.99.98.1.255: unknown event code 231: left out",)
    # a code from the other log's table is unknown here too
    assert _events(STANDARD_EVENT_LOG, [(T, 40)])[0] == []


async def test_the_reader_reads_both_logs_by_the_profiles_range() -> None:
    """Only what the range holds (the cover opened before it), from both logs; a log the
    meter lacks is a note, and the session goes on."""
    spec = dlms_spec()
    since = NOW - dt.timedelta(hours=2)
    magnet = NOW - dt.timedelta(hours=1)
    missing = EventLogSpec(Obis(0, 0, 99, 98, 7, 255), Obis(0, 0, 96, 11, 7, 255), ())
    profile = dataclasses.replace(GENERIC, event_logs=(*GENERIC.event_logs, missing))
    async with Fleet([spec], clock=FixedClock(NOW)) as fleet:
        fleet.set_fault(spec.serial, Fault.COVER_OPEN, since=since - dt.timedelta(hours=1))
        fleet.set_fault(spec.serial, Fault.MAGNETIC, since=magnet)
        result = await read(
            fleet.port(spec.serial), ClientSettings(), False, ReadPlan(profile_from=since),
            profile=profile,
        )  # fmt: skip
    assert result.events == [
        (magnet, "magnetic"),
        (magnet + dt.timedelta(minutes=MAGNET_MINUTES), "magnetic_end"),
    ]
    assert result.event_logs_read == 2 and result.records
    assert [e for e in result.errors if "event log" in e] == [
        "event log 0.0.99.98.7.255: object-undefined"
    ]
    assert FRAUD_EVENT_LOG.obis.to_bytes() in result.event_log_raw


async def test_the_event_logs_start_a_quarter_before_the_profile() -> None:
    """The previous session read events up to its own moment but intervals only to the quarter
    before it: an event between the two (here 10 minutes before ``profile_from``) is read now;
    one before that quarter (the cover, 20 minutes before) is not read again."""
    spec = dlms_spec()
    since = NOW - dt.timedelta(hours=2)
    async with Fleet([spec], clock=FixedClock(NOW)) as fleet:
        fleet.set_fault(spec.serial, Fault.COVER_OPEN, since=since - dt.timedelta(minutes=20))
        fleet.set_fault(spec.serial, Fault.MAGNETIC, since=since - dt.timedelta(minutes=10))
        result = await read(
            fleet.port(spec.serial), ClientSettings(), False, ReadPlan(profile_from=since)
        )
    assert dt.timedelta(minutes=15) == EVENT_LOG_LEAD
    assert [name for _, name in result.events] == ["magnetic", "magnetic_end"]
    assert result.events[0][0] == since - dt.timedelta(minutes=10)

"""Ingest keeps the data rules on both databases: once, exact, conflicts kept, estimates out."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osos.domain import DataSource, ReadSource
from osos.errors import DataRejected, InvalidInput, ProtocolError
from osos.protocol.iec62056_21.adapter import capture_readings
from osos.readings import IntervalRecord, ReadValue
from osos.runtime import Runtime
from osos.store.ingest import IngestSummary, store_capture, store_readout
from osos.store.intervals import (
    ProfileBatch,
    ProfileIngestResult,
    interval_row,
    interval_tuple,
    last_profile_end,
    store_profile,
    store_profiles,
)
from osos.store.models import (
    Meter,
    ProfileConflict,
    ProfileIntervalHistory,
    Readout,
    ReadoutValue,
    profile_intervals,
)
from osos.store.raw import raw_of
from osos.timeutil import UTC, period_of

T0 = dt.datetime(2026, 11, 1, 0, 15, tzinfo=UTC)
READ_AT = dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def _meter(runtime: Runtime, serial: str = "12345678") -> int:
    with runtime.sessions.begin() as session:
        meter = Meter(serial=serial, flag="MSY")
        session.add(meter)
        session.flush()
        return meter.id


def _records(n: int, start: dt.datetime = T0, base: str = "100.000") -> list[IntervalRecord]:
    return [
        IntervalRecord(
            end_at=start + dt.timedelta(minutes=15 * k),
            values={
                "1.8.0": Decimal(base) + Decimal("0.125") * k,
                "5.8.0": Decimal("7.001"),
                "0.0.9": Decimal("1.23456"),  # not a typed channel: kept as exact text
            },
            status="00",
        )
        for k in range(n)
    ]


def _rows(runtime: Runtime, meter_id: int) -> list[dict[str, object]]:
    with runtime.sessions() as session:
        table = profile_intervals
        result = session.execute(
            select(table).where(table.c.meter_id == meter_id).order_by(table.c.end_at)
        )
        return [dict(r) for r in result.mappings()]


def _profile(
    runtime: Runtime, meter_id: int, records: list[IntervalRecord], raw: bytes
) -> ProfileIngestResult:
    with runtime.sessions.begin() as session:
        stored = store_readout(
            session,
            meter_id=meter_id,
            read_at=READ_AT,
            raw=raw,
            values=[],
            source=ReadSource.HEADEND,
            kind="profile",
        )
        return store_profile(
            session, meter_id=meter_id, records=records, readout_id=stored.readout_id
        )


def test_readout_stored_once_with_exact_values(runtime: Runtime) -> None:
    meter_id = _meter(runtime)
    values = [
        ReadValue(
            address="1-0:1.8.0*255", value="000070.677", number=Decimal("70.677"), unit="kWh"
        ),
        ReadValue(
            address="1.6.0",
            value="003.264",
            number=Decimal("3.264"),
            unit="kW",
            value_time=dt.datetime(2026, 11, 1, 15, 45, tzinfo=UTC),
        ),
        ReadValue(address="C.1.0", value="03878504"),
    ]
    raw = b"\x02C.1.0(03878504)\r\n1.8.0(000070.677*kWh)\r\n!\r\n\x03x"
    with runtime.sessions.begin() as session:
        first = store_readout(
            session,
            meter_id=meter_id,
            read_at=READ_AT,
            raw=raw,
            values=values,
            source=ReadSource.HEADEND,
            identification="/MSY5<1>C520",
        )
    with runtime.sessions.begin() as session:
        again = store_readout(
            session,
            meter_id=meter_id,
            read_at=READ_AT + dt.timedelta(hours=1),
            raw=raw,
            values=values,
            source=ReadSource.HEADEND,
        )
    assert first.created and not again.created
    assert first.readout_id == again.readout_id
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Readout)) == 1
        stored_raw = raw_of(session, first.readout_id)
        assert stored_raw is not None and stored_raw.raw == raw and stored_raw.archive is None
        assert stored_raw.month == period_of(READ_AT)
        stored = {v.obis: v for v in session.scalars(select(ReadoutValue))}
    assert set(stored) == {"1.8.0", "1.6.0", "C.1.0"}
    assert stored["1.8.0"].address == "1-0:1.8.0*255"
    assert stored["1.8.0"].value == "000070.677"
    assert stored["1.8.0"].number == Decimal("70.677")
    assert stored["1.6.0"].value_time == dt.datetime(2026, 11, 1, 15, 45, tzinfo=UTC)
    assert stored["C.1.0"].value == "03878504" and stored["C.1.0"].number is None


def test_profile_idempotent_and_exact(runtime: Runtime) -> None:
    meter_id = _meter(runtime)
    records = _records(96)
    first = _profile(runtime, meter_id, records, b"P.01 day one")
    again = _profile(runtime, meter_id, records, b"P.01 day one")
    other_bytes = _profile(runtime, meter_id, records[10:20], b"P.01 partial re-read")
    assert (first.inserted, first.unchanged, first.conflicts) == (96, 0, 0)
    assert (again.inserted, again.unchanged, again.conflicts) == (0, 96, 0)
    assert (other_bytes.inserted, other_bytes.unchanged) == (0, 10)
    rows = _rows(runtime, meter_id)
    assert len(rows) == 96
    assert rows[0]["end_at"] == T0
    assert rows[3]["r1_8_0"] == 100_375  # 100.375 kWh in Wh, exact
    assert rows[0]["r5_8_0"] == 7_001
    assert json.loads(str(rows[0]["extra"])) == {"0.0.9": "1.23456"}
    assert all(r["version"] == 1 and r["source"] == DataSource.ACTUAL for r in rows)
    with runtime.sessions() as session:
        assert last_profile_end(session, meter_id) == T0 + dt.timedelta(minutes=15 * 95)


def test_differing_reread_is_a_conflict_not_an_overwrite(runtime: Runtime) -> None:
    meter_id = _meter(runtime)
    _profile(runtime, meter_id, _records(4), b"first read")
    changed = _records(4, base="200.000")
    result = _profile(runtime, meter_id, [*changed[:2], *_records(6)[4:]], b"second read")
    again = _profile(runtime, meter_id, [*changed[:2], *_records(6)[4:]], b"second read")
    assert (result.inserted, result.conflicts, result.unchanged) == (2, 2, 0)
    assert (again.inserted, again.conflicts, again.unchanged) == (0, 2, 2)
    rows = _rows(runtime, meter_id)
    assert [r["r1_8_0"] for r in rows[:2]] == [100_000, 100_125]  # the first read stands
    with runtime.sessions() as session:
        conflicts = list(session.scalars(select(ProfileConflict).order_by(ProfileConflict.end_at)))
    assert len(conflicts) == 2  # recorded once per readout, even when ingested twice
    assert json.loads(conflicts[0].values)["r1_8_0"] == 200_000
    assert conflicts[0].end_at == T0


def test_estimate_replaced_by_actual_with_history(runtime: Runtime) -> None:
    meter_id = _meter(runtime)
    with runtime.sessions.begin() as session:
        estimate = interval_row(
            meter_id,
            IntervalRecord(T0, {"1.8.0": Decimal("99.999")}),
            source=DataSource.ESTIMATED,
        )
        session.execute(profile_intervals.insert(), [estimate])
    result = _profile(runtime, meter_id, _records(2), b"actual read")
    assert (result.inserted, result.replaced_estimates, result.conflicts) == (1, 1, 0)
    rows = _rows(runtime, meter_id)
    assert rows[0]["r1_8_0"] == 100_000
    assert rows[0]["source"] == DataSource.ACTUAL and rows[0]["version"] == 2
    assert rows[0]["readout_id"] is not None
    with runtime.sessions() as session:
        history = list(session.scalars(select(ProfileIntervalHistory)))
    assert len(history) == 1
    assert history[0].source == DataSource.ESTIMATED and history[0].version == 1
    assert json.loads(history[0].values)["r1_8_0"] == 99_999
    assert history[0].superseded_by == "headend" and history[0].reason
    again = _profile(runtime, meter_id, _records(2), b"actual read")
    assert (again.unchanged, again.replaced_estimates) == (2, 0)


def test_failure_leaves_nothing_half_stored(runtime: Runtime) -> None:
    meter_id = _meter(runtime)
    bad = [*_records(3), IntervalRecord(T0 + dt.timedelta(hours=5), {"1.8.0": Decimal("1.0001")})]
    with pytest.raises(DataRejected, match="three decimals"):
        _profile(runtime, meter_id, bad, b"bad read")
    assert _rows(runtime, meter_id) == []
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Readout)) == 0


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput, match="naive"):
        IntervalRecord(dt.datetime(2026, 1, 1), {})
    assert ReadValue(address="1-0:2.8.0*255", value="1").obis == "2.8.0"


DATA = Path(__file__).parent.parent / "data"


def ingest_capture(
    session: Session, *, meter_id: int, raw: bytes, read_at: dt.datetime, source: ReadSource
) -> IngestSummary:
    """A capture as the CLI stores it: the IEC adapter's values, then the store."""
    capture = capture_readings(raw)
    return store_capture(
        session, meter_id=meter_id, raw=raw, capture=capture, read_at=read_at, source=source
    )


def test_ingest_capture_readout_and_profile(runtime: Runtime) -> None:
    meter_id = _meter(runtime, "80221569")
    raw = (DATA / "makel-c520.txt").read_bytes()
    with runtime.sessions.begin() as session:
        first = ingest_capture(
            session, meter_id=meter_id, raw=raw, read_at=READ_AT, source=ReadSource.INGEST
        )
    with runtime.sessions.begin() as session:
        again = ingest_capture(
            session, meter_id=meter_id, raw=raw, read_at=READ_AT, source=ReadSource.INGEST
        )
    assert first.created and first.values == 70 and not again.created
    assert first.readout_id == again.readout_id
    with runtime.sessions() as session:
        readout = session.get(Readout, first.readout_id)
        assert readout is not None and readout.source == ReadSource.INGEST
        stored_raw = raw_of(session, first.readout_id)
        assert stored_raw is not None and stored_raw.raw == raw
        values = {v.obis: v for v in session.scalars(select(ReadoutValue))}
    assert values["1.8.0"].number == Decimal("70.677") and values["1.8.0"].unit == "kWh"
    assert values["0.0.0"].value == "80221569"
    assert values["1.6.0"].value_time == dt.datetime(2023, 6, 6, 15, 45, tzinfo=UTC)

    profile_raw = (DATA / "emh-lzqj-p01-6ch.txt").read_bytes()
    with runtime.sessions.begin() as session:
        loaded = ingest_capture(
            session, meter_id=meter_id, raw=profile_raw, read_at=READ_AT, source=ReadSource.INGEST
        )
    with runtime.sessions.begin() as session:
        reloaded = ingest_capture(
            session, meter_id=meter_id, raw=profile_raw, read_at=READ_AT, source=ReadSource.INGEST
        )
    assert loaded.profile.inserted > 0 and loaded.profile.conflicts == 0
    assert reloaded.profile.inserted == 0
    assert reloaded.profile.unchanged == loaded.profile.inserted
    rows = _rows(runtime, meter_id)
    assert len(rows) == loaded.profile.inserted
    # 2022-08-23 16:15 local is the first stamp; "1.5" (kW demand) is kept as exact text
    assert rows[0]["end_at"] == dt.datetime(2022, 8, 23, 13, 15, tzinfo=UTC)
    assert json.loads(str(rows[0]["extra"]))["1.5"] == "0.18374"


def test_ingest_capture_refuses_what_is_no_readout(runtime: Runtime) -> None:
    meter_id = _meter(runtime)
    with runtime.sessions.begin() as session, pytest.raises(ProtocolError):
        ingest_capture(
            session,
            meter_id=meter_id,
            raw=b"hello, this is not a meter\r\n",
            read_at=READ_AT,
            source=ReadSource.INGEST,
        )
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Readout)) == 0


def test_many_meters_at_once_fresh_and_reread_together(runtime: Runtime) -> None:
    """One bulk write where one meter re-reads (a conflict, an unchanged row, a new one) and
    the others' rows are all new: on PostgreSQL the straight COPY fails, the fresh meters go
    straight in again and the re-read one the careful way, with the same results as alone."""
    reread, *fresh = (_meter(runtime, f"M{i:07d}") for i in range(3))
    _profile(runtime, reread, _records(2), b"first read")
    changed = _records(2, base="300.000")
    with runtime.sessions.begin() as session:
        stored = store_readout(
            session,
            meter_id=reread,
            read_at=READ_AT,
            raw=b"second read",
            values=[],
            source=ReadSource.HEADEND,
            kind="profile",
        )
        batches = [
            ProfileBatch(reread, tuple(interval_tuple(reread, r) for r in records), readout)
            for records, readout in (([changed[0], *_records(3)[1:]], stored.readout_id),)
        ]
        batches += [
            ProfileBatch(m, tuple(interval_tuple(m, r) for r in _records(5))) for m in fresh
        ]
        results = store_profiles(session, batches)
    assert [(r.inserted, r.unchanged, r.conflicts) for r in results] == [
        (1, 1, 1),
        (5, 0, 0),
        (5, 0, 0),
    ]
    assert [r["r1_8_0"] for r in _rows(runtime, reread)] == [100_000, 100_125, 100_250]
    assert all(len(_rows(runtime, m)) == 5 for m in fresh)
    with runtime.sessions() as session:
        conflicts = list(session.scalars(select(ProfileConflict)))
        readouts = session.scalar(select(func.count()).select_from(Readout))
    assert [(c.meter_id, c.end_at) for c in conflicts] == [(reread, T0)]
    assert readouts == 2  # the readout written before the failed COPY is kept

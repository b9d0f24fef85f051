"""profile_intervals partitioned by month on PostgreSQL: created ahead, nothing refused, the
ingest (COPY into staging, INSERT … ON CONFLICT) unchanged on the partitioned table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from osos.mdm.upkeep import ValidationHook
from osos.readings import IntervalRecord
from osos.runtime import Runtime
from osos.store import db, partitions
from osos.store.intervals import ProfileBatch, interval_tuple, store_profile, store_profiles
from osos.timeutil import month_bounds
from tests.factories import add_meter


def _where(runtime: Runtime, meter_id: int) -> dict[str, int]:
    with runtime.engine.connect() as c:
        rows = c.execute(
            text("SELECT tableoid::regclass::text, count(*) FROM profile_intervals "
                 "WHERE meter_id = :m GROUP BY 1"), {"m": meter_id}
        ).all()  # fmt: skip
    return {name: count for name, count in rows}


def _records(start: dt.datetime, n: int, base: int = 0) -> list[IntervalRecord]:
    q = dt.timedelta(minutes=15)
    return [IntervalRecord(start + k * q, {"1.8.0": Decimal(base + k)}) for k in range(n)]


def test_sqlite_has_one_plain_table(sqlite_runtime: Runtime) -> None:
    with sqlite_runtime.engine.begin() as c:
        assert not partitions.is_partitioned(c)
        assert partitions.ensure_ahead(c, dt.datetime(2026, 10, 5, tzinfo=dt.UTC)) == []


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_ahead_default_and_ingest(runtime: Runtime) -> None:
    start, end = month_bounds("2031-03")
    with db.transaction(runtime.sessions) as s:
        assert partitions.is_partitioned(s.connection())
        meter = add_meter(s, "P1")
        # no partition for 2031-03 yet: the rows land in the default partition, none refused
        result = store_profile(s, meter_id=meter.id, records=_records(start, 8), readout_id=None)
        assert result.inserted == 8
    assert _where(runtime, meter.id) == {partitions.DEFAULT: 8}
    with db.transaction(runtime.sessions) as s:
        created = partitions.ensure_ahead(s.connection(), start + dt.timedelta(days=3))
    assert created == [partitions.partition_name(m) for m in (
        start, *(month_bounds(p)[0] for p in ("2031-04", "2031-05", "2031-06")))]  # fmt: skip
    assert _where(runtime, meter.id) == {partitions.partition_name(start): 8}
    with db.transaction(runtime.sessions) as s:  # the same rows again and a differing one
        again = store_profile(s, meter_id=meter.id, records=_records(start, 9), readout_id=None)
        changed = store_profile(
            s, meter_id=meter.id, records=_records(start, 1, base=5), readout_id=None
        )
    assert (again.inserted, again.unchanged) == (1, 8)
    assert changed.conflicts == 1
    with db.transaction(runtime.sessions) as s:
        assert partitions.ensure_ahead(s.connection(), start) == []
    # the row at the month's end belongs to the next month's partition
    with db.transaction(runtime.sessions) as s:
        store_profile(s, meter_id=meter.id, records=[IntervalRecord(end, {"1.8.0": Decimal(99)})],
                      readout_id=None)  # fmt: skip
    assert _where(runtime, meter.id)[partitions.partition_name(end)] == 1


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_upkeep_creates_the_months_ahead(runtime: Runtime) -> None:
    now = month_bounds("2032-07")[0] + dt.timedelta(days=10)
    ValidationHook().run(runtime, now)
    with runtime.engine.connect() as c:
        names = set(c.execute(text(
            "SELECT c.relnamespace::regnamespace || '.' || c.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'profile_intervals'::regclass"
        )).scalars())  # fmt: skip
    wanted = {partitions.partition_name(month_bounds(p)[0])
              for p in ("2032-07", "2032-08", "2032-09", "2032-10")}  # fmt: skip
    assert wanted <= names and partitions.DEFAULT in names


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_migration_keeps_the_rows_and_the_key(runtime: Runtime, db_url: str) -> None:
    with db.transaction(runtime.sessions) as s:  # before the downgrade: the model is newer
        meter = add_meter(s, "P2")
    db.downgrade(db_url, "0016")
    runtime.engine.dispose()
    start, _ = month_bounds("2026-10")
    with db.transaction(runtime.sessions) as s:
        records = _records(start - dt.timedelta(hours=2), 16)  # across the month boundary
        assert store_profile(s, meter_id=meter.id, records=records, readout_id=None).inserted == 16
    with runtime.engine.connect() as c:
        assert not partitions.is_partitioned(c)
    db.upgrade(db_url)
    runtime.engine.dispose()
    assert _where(runtime, meter.id) == {
        partitions.partition_name(month_bounds("2026-09")[0]): 8,
        partitions.partition_name(start): 8,
    }
    with runtime.engine.connect() as c, pytest.raises(IntegrityError):
        c.execute(text("INSERT INTO profile_intervals (meter_id, end_at, source, version) "
                       "VALUES (:m, :t, 'actual', 1)"), {"m": meter.id, "t": start})  # fmt: skip
    db.downgrade(db_url, "0016")
    runtime.engine.dispose()
    with runtime.engine.connect() as c:
        assert not partitions.is_partitioned(c)
        count = c.execute(text("SELECT count(*) FROM profile_intervals")).scalar_one()
    assert count == 16


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_flush_goes_into_its_months_partition_or_through_the_parent(runtime: Runtime) -> None:
    """The direct COPY writes a one-month flush into that month's partition (the default one
    for a month without its own) and a flush across months through the parent: every row
    lands where the parent would route it, and none twice."""
    start, end = month_bounds("2033-05")
    with db.transaction(runtime.sessions) as s:
        partitions.ensure_ahead(s.connection(), start)  # 2033-05 … 2033-08
        one, across, unowned = (add_meter(s, name).id for name in ("F1", "F2", "F3"))
    with db.transaction(runtime.sessions) as s:
        fresh = [
            ProfileBatch(one, tuple(interval_tuple(one, r) for r in _records(start, 4))),
        ]
        assert [r.inserted for r in store_profiles(s, fresh)] == [4]
    with db.transaction(runtime.sessions) as s:
        rows = _records(end - dt.timedelta(minutes=30), 4)  # two in May, two in June
        batch = ProfileBatch(across, tuple(interval_tuple(across, r) for r in rows))
        assert [r.inserted for r in store_profiles(s, [batch])] == [4]
    with db.transaction(runtime.sessions) as s:
        later = month_bounds("2034-01")[0]  # no partition of its own: the default one
        batch = ProfileBatch(unowned, tuple(interval_tuple(unowned, r) for r in _records(later, 3)))
        assert [r.inserted for r in store_profiles(s, [batch])] == [3]
    assert _where(runtime, one) == {partitions.partition_name(start): 4}
    assert _where(runtime, across) == {
        partitions.partition_name(start): 2,
        partitions.partition_name(end): 2,
    }
    assert _where(runtime, unowned) == {partitions.DEFAULT: 3}

"""Pure scheduling rules: due slots from local midnight, bounded back-off, the profile gap."""

from __future__ import annotations

import datetime as dt

import pytest

from osos.domain import Generation
from osos.errors import InvalidInput
from osos.headend.plans import Backoff, due_slot, next_due, profile_gap, service_class
from osos.timeutil import UTC

# 2026-11-02 09:07:30 local (UTC+3)
NOW = dt.datetime(2026, 11, 2, 6, 7, 30, tzinfo=UTC)


def test_daily_slot_is_local_time() -> None:
    # daily at 01:00 local = 22:00 UTC the day before
    assert due_slot(NOW, 1440, 60) == dt.datetime(2026, 11, 1, 22, 0, tzinfo=UTC)
    # before 01:00 local the slot is yesterday's
    early = dt.datetime(2026, 11, 1, 21, 30, tzinfo=UTC)  # 00:30 local
    assert due_slot(early, 1440, 60) == dt.datetime(2026, 10, 31, 22, 0, tzinfo=UTC)
    assert next_due(NOW, 1440, 60) == dt.datetime(2026, 11, 2, 22, 0, tzinfo=UTC)


def test_quarter_hour_and_hourly_slots() -> None:
    assert due_slot(NOW, 15, 2) == dt.datetime(2026, 11, 2, 6, 2, tzinfo=UTC)
    assert due_slot(NOW, 60, 5) == dt.datetime(2026, 11, 2, 6, 5, tzinfo=UTC)
    on_slot = dt.datetime(2026, 11, 2, 6, 17, tzinfo=UTC)
    assert due_slot(on_slot, 15, 2) == on_slot
    with pytest.raises(InvalidInput, match="positive"):
        due_slot(NOW, 0)


def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(dt.timedelta(minutes=1), 2, dt.timedelta(minutes=10))
    delays = [backoff.delay(n) for n in range(1, 7)]
    assert delays == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 10, 10)]
    assert backoff.delay(1000) == dt.timedelta(minutes=10)
    with pytest.raises(InvalidInput):
        backoff.delay(0)
    spread = {backoff.delay(3, key=job) for job in range(1, 200)}
    assert len(spread) > 50  # retries of meters that failed together are spread out
    assert all(dt.timedelta(minutes=4) * 0.8 <= d <= dt.timedelta(minutes=4) for d in spread)


def test_profile_gap() -> None:
    last = dt.datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    start, end = profile_gap(last, NOW) or (None, None)
    assert start == last + dt.timedelta(minutes=1)
    assert end == dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # the last closed interval
    assert profile_gap(end, NOW) is None  # nothing missing
    first = profile_gap(None, NOW, initial=dt.timedelta(hours=6))
    assert first == (end - dt.timedelta(hours=6), end)
    outage = profile_gap(last - dt.timedelta(days=90), NOW, max_backfill=dt.timedelta(days=40))
    assert outage is not None and outage[0] == end - dt.timedelta(days=40)


def test_service_class() -> None:
    assert service_class(balancing_unit=True, generation=Generation.LICENSED) == "balancing_unit"
    assert service_class(balancing_unit=False, generation="unlicensed") == "generation"
    assert service_class(balancing_unit=False, generation=Generation.NONE) == "default"
    assert service_class(balancing_unit=False, generation=None) == "default"

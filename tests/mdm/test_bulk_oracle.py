"""The set-based monthly run gives the per-point run's figures to the last digit.

:func:`osos.mdm.months.compute_for` is the reference: on seeded random months (``worlds``) every
service point's :class:`~osos.mdm.billing.MonthlyReport` from :func:`osos.mdm.bulk.monthly_bulk`
must equal it as a value — segments, indexes with their origins, consumption, flags, ratios and
demands with their times — on SQLite and PostgreSQL, for months of 28, 29, 30 and 31 days and
across a year end.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.mdm import bulk, bulk_store, determinants
from osos.mdm.billing import MonthlyReport
from osos.mdm.model import INTERVAL
from osos.mdm.months import compute_for
from osos.readings import IntervalRecord
from osos.runtime import Runtime
from osos.store import db
from osos.store.models.mdm import BillingDeterminant
from osos.timeutil import month_bounds
from tests.factories import add_meter, add_service_point, install, store_intervals

from .worlds import build_world, service_points

#: Months of 31, 28, 29 and 30 days, and December (its month end is the year's: the next
#: month's partition and the readouts' ``*1`` reset fall in another year).
CASES = [
    (1, "2026-10"),
    (2, "2026-02"),
    (3, "2028-02"),
    (4, "2026-06"),
    (5, "2026-10"),
    (8, "2026-12"),
    (9, "2027-03"),
]


def _fallbacks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The service points the set-based run handed to the per-point run."""
    seen: list[str] = []

    def counting(session: Any, sp: Any, period: str, settings: Any) -> MonthlyReport:
        seen.append(sp.no)
        return compute_for(session, sp, period, settings)

    monkeypatch.setattr(bulk, "compute_for", counting)
    return seen


def _diff(new: MonthlyReport, old: MonthlyReport) -> str:
    a, b = new.to_json(), old.to_json()
    keys = [k for k in a if a[k] != b[k]]
    return f"{old.service_point}: {keys or 'non-JSON fields'} {[(a[k], b[k]) for k in keys]}"


@pytest.mark.parametrize(("seed", "period"), CASES)
def test_same_reports_as_the_per_point_run(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, seed: int, period: str
) -> None:
    with db.transaction(runtime.sessions) as s:
        nos = build_world(s, seed, period)
    fallbacks = _fallbacks(monkeypatch)
    with runtime.sessions() as s:
        sps = service_points(s)
        expected = [compute_for(s, sp, period, runtime.settings) for sp in sps]
        got = list(bulk.monthly_bulk(s, period, runtime.settings, chunk=5))
    assert [r.service_point for r in got] == sorted(nos)
    assert [_diff(n, o) for n, o in zip(got, expected, strict=True) if n != o] == []
    assert not [no for no in fallbacks if no.startswith("C")]  # clean points stay column-wise
    assert len(fallbacks) < len(nos)


def test_inside_a_transaction_that_wrote(runtime: Runtime) -> None:
    """Rows written in the same transaction are seen (read through its own connection)."""
    with db.transaction(runtime.sessions) as s:
        build_world(s, 7, "2026-10", points=6)
        sps = service_points(s)
        expected = [compute_for(s, sp, "2026-10", runtime.settings) for sp in sps]
        got = list(bulk.monthly_bulk(s, "2026-10", runtime.settings))
        assert got == expected
        assert any(r.segments for r in got)


def test_no_service_points_and_no_data(runtime: Runtime) -> None:
    with runtime.sessions() as s:
        assert list(bulk.monthly_bulk(s, "2026-10", runtime.settings)) == []


def _removed_at_the_month_start(s: Session, period: str) -> None:
    """A point whose old meter left exactly at the month start: no segment of the month (so the
    bulk read skips it) but in the fingerprint's installations, with rows in its window."""
    start, _ = month_bounds(period)
    sp = add_service_point(s, "Z00000")
    old, new = add_meter(s, "Z-OLD"), add_meter(s, "Z-NEW")
    install(s, sp, old, start - dt.timedelta(days=400), start)
    install(s, sp, new, start)
    rows = [start - k * INTERVAL for k in range(6)]
    store_intervals(s, old, [IntervalRecord(t, {"1.8.0": Decimal(9000 - k)}) for k, t in
                             enumerate(rows)])  # fmt: skip


@pytest.mark.parametrize("batch", [bulk_store.CHUNK, 3])
def test_store_period_keeps_the_per_point_figures_and_fingerprints(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """The batch stores every month with the fingerprint the panel computes for it, so a
    stored month is served as stored (not recomputed) until its data moves — also when the
    rows' counts come from the run's own read and the batches do not match its chunks."""
    monkeypatch.setattr(bulk_store, "CHUNK", batch)
    with db.transaction(runtime.sessions) as s:
        build_world(s, 11, "2026-10", points=7)
        _removed_at_the_month_start(s, "2026-10")
    with db.transaction(runtime.sessions) as s:
        assert determinants.store_period(s, "2026-10", runtime.settings) == 8
    with db.transaction(runtime.sessions) as s:
        for sp in service_points(s):
            row = s.execute(
                select(BillingDeterminant).where(BillingDeterminant.service_point_id == sp.id)
            ).scalar_one()
            assert row.fingerprint == determinants.fingerprint(s, sp.id, "2026-10")
            assert (
                json.loads(row.data or "")
                == compute_for(s, sp, "2026-10", runtime.settings).to_json()
            )
            assert (row.dirty, row.version) == (False, 1)
    with db.transaction(runtime.sessions) as s:  # again: the same rows, a new version
        determinants.store_period(s, "2026-10", runtime.settings)
        versions = s.execute(select(BillingDeterminant.version)).scalars().all()
    assert sorted(versions) == [2] * 8


def test_chunks_of_one_service_point(runtime: Runtime) -> None:
    """A chunk with one or two meters (the parallel read's smallest split) gives the same."""
    with db.transaction(runtime.sessions) as s:
        build_world(s, 6, "2026-10", points=4)
    with runtime.sessions() as s:
        expected = [compute_for(s, sp, "2026-10", runtime.settings) for sp in service_points(s)]
        assert list(bulk.monthly_bulk(s, "2026-10", runtime.settings, chunk=1)) == expected

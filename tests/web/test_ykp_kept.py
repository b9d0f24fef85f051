"""YKP Listesi read once and kept (osos.web.screens.ykp_figures): the same figures as the
implementation it replaced (kept here as the oracle: ``intervals`` once per range and part,
``totals`` of each, a ``formatting.number`` per cell), a kept page that changes with every late
or corrected row, and no viewer ever shown what another may see."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from osos.mdm.edits import edit_interval
from osos.readings import IntervalRecord
from osos.readmodel.access import Sight, grant
from osos.readmodel.intervals import Interval, intervals, totals
from osos.readmodel.points import service_point_view
from osos.store.db import transaction
from osos.store.intervals import store_profile
from osos.store.models import Installation, ServicePoint
from osos.timeutil import LOCAL_TZ, QUARTER, floor_to, local_midnight, parse_local
from osos.web import formatting
from osos.web.app import create_app
from osos.web.i18n import Words
from osos.web.screens import ykp
from osos.web.screens.common import SOURCE_KEYS
from osos.web.screens.ykp_figures import FIGURES
from tests.web.conftest import (
    ABONE_SP,
    BACKENDS,
    KURUMSAL_SP,
    LATE_SP,
    World,
    build_world,
    login,
    module_world,
)

# A fixed "now" a few days after a month end: the ranges below cross 31 October → 1 November.
NOW = parse_local("2026-11-02T06:07")


@pytest.fixture(scope="module", params=BACKENDS)
def kept_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield from module_world(request, tmp_path_factory, NOW, lambda rt: build_world(rt, days=6))


def _sight(session: Session, no: str, window: tuple[str, str] | None = None) -> Sight:
    sp_id = session.scalars(select(ServicePoint.id).where(ServicePoint.no == no)).one()
    if window is not None:
        return grant(session, sp_id, parse_local(window[0]), parse_local(window[1]))
    view = service_point_view(session, sp_id)
    assert view is not None
    return Sight(view)


def _old_body(rows: Sequence[Interval], w: Words) -> str:
    """The table rows as the page rendered them before: a quantize per cell."""
    labels = {k: escape(w.t(key)) for k, key in SOURCE_KEYS.items()}
    out = []
    for r in rows:
        source = r.source if r.source in labels else "missing"
        start = formatting.local_datetime(r.start, False, w.language)
        if source == "missing":
            cells = f'<td colspan="5" class="gap">{escape(w.t("gap_row"))}</td>'
        else:
            values = (
                r.withdrawal_kwh,
                r.supply_kwh,
                r.inductive_kvarh,
                r.capacitive_kvarh,
                r.indexes.get("1.8.0"),
            )
            cells = "".join(
                f'<td class="num">{formatting.number(x, 3, w.language)}</td>' for x in values
            )
        out.append(
            f'<tr class="src-{source}"><td>{start}</td>{cells}'
            f'<td><span class="tag {source}">{labels[source]}</span></td></tr>'
        )
    return "\n".join(out)


def _oracle(
    session: Session, sight: Sight, q: ykp.YkpQuery, now: dt.datetime
) -> tuple[list[Interval], tuple[Decimal, Decimal | None, int, int] | None]:
    """The rows and the comparison (then, change %, quarters, quarters before) as computed
    before: ``intervals`` for the range, and again for each range at 15 minutes."""
    first, last = q.days(first_day(q))
    start, end = q.bounds(first, last)
    end = min(end, max(start, floor_to(now, QUARTER)))
    rows = intervals(session, sight, start, end, q.step, edges="quarters") if end > start else []
    before = start - (end - start)
    if not sight.parts(before, start):
        return rows, None
    now_rows = rows if q.step == 15 and rows else intervals(session, sight, start, end, 15)
    then_rows = intervals(session, sight, before, start, 15)
    now_total, then_total = totals(now_rows).withdrawal_kwh, totals(then_rows).withdrawal_kwh
    change = (
        ((now_total - then_total) / then_total * 100).quantize(Decimal("0.1"))
        if then_total
        else None
    )
    counted = sum(1 for r in now_rows if r.withdrawal_kwh is not None)
    counted_before = sum(1 for r in then_rows if r.withdrawal_kwh is not None)
    return rows, (then_total, change, counted, counted_before)


def first_day(q: ykp.YkpQuery) -> dt.date:
    assert q.first is not None
    return q.first


QUERIES = (
    # the month end, whole days, quarters and hours
    {"from": "2026-10-30", "to": "2026-11-01", "step": "15"},
    {"from": "2026-10-30", "to": "2026-11-01", "step": "60"},
    # partial edges (quarters at both ends of an hourly range) around midnight of the month end
    {"from": "2026-10-31", "to": "2026-11-01", "step": "60",
     "from_time": "22:45", "to_time": "01:15"},
    # up to now: the quarters not yet over are not shown, the gaps and estimates of the data end
    {"from": "2026-11-01", "to": "2026-11-02", "step": "15"},
    {"from": "2026-11-01", "to": "2026-11-02", "step": "60"},
)  # fmt: skip
WINDOWS = (None, ("2026-10-31T13:30", "2026-11-01T09:00"))  # all, and a paid request's window


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("params", QUERIES)
def test_the_page_shows_what_the_former_implementation_computed(
    kept_world: World, params: dict[str, str], window: tuple[str, str] | None
) -> None:
    settings = kept_world.runtime.settings
    FIGURES.clear()
    with transaction(kept_world.runtime.sessions) as session:
        sight = _sight(session, ABONE_SP, window)
        q = ykp.YkpQuery.model_validate(params)
        rows, comparison = _oracle(session, sight, q, kept_world.runtime.clock.now())
        fresh = ykp.load(session, sight, q, settings)
        kept = ykp.load(session, sight, q, settings)  # the second from what was kept
    assert rows, "the range has rows"
    assert kept.stamp == fresh.stamp and kept.rows is fresh.rows  # really kept
    assert list(fresh.rows) == rows
    got = fresh.comparison
    if comparison is None:
        assert got is None
    else:
        assert got is not None
        assert (got.withdrawal_kwh, got.change_pct, got.quarters, got.quarters_before) == comparison
    for language in ("tr", "en"):
        context = ykp.view(kept, language).context
        assert str(context.body) == _old_body(rows, Words(language))
        assert context.totals == totals(rows)
    if "from_time" not in params and window is None:  # Istanbul keeps UTC+3 at month end
        midnight = local_midnight(first_day(q))
        step = dt.timedelta(minutes=q.step)
        assert [r.start for r in fresh.rows] == [midnight + k * step for k in range(len(rows))]


def _total(page: str) -> str:
    found = re.search(r'data-testid="total-withdrawal">([^<]+)<', page)
    assert found, page[:300]
    return found.group(1)


def _meter_id(world: World, no: str) -> int:
    with transaction(world.runtime.sessions) as session:
        sp_id = session.scalars(select(ServicePoint.id).where(ServicePoint.no == no)).one()
        return session.scalars(
            select(Installation.meter_id).where(Installation.service_point_id == sp_id)
        ).one()


def test_a_late_row_and_a_correction_show_at_once(world: World) -> None:
    """The kept page of a range changes when a row arrives for one of its gaps and when a
    stored row is corrected (each a new stamp), and shows then what a fresh read shows."""
    FIGURES.clear()
    end = world.end.astimezone(LOCAL_TZ)
    first = (end - dt.timedelta(hours=3)).date()  # the data's last gaps are in these hours
    params = {"from": first.isoformat(), "to": end.date().isoformat(), "step": "15"}
    meter_id = _meter_id(world, ABONE_SP)
    with TestClient(create_app(world.runtime)) as client:
        login(client, world, "abone")
        before = client.get(f"/hn/{ABONE_SP}/ykp", params=params).text
        assert client.get(f"/hn/{ABONE_SP}/ykp", params=params).text == before  # kept
        with transaction(world.runtime.sessions) as session:
            q = ykp.YkpQuery.model_validate(params)
            rows, _ = _oracle(session, _sight(session, ABONE_SP), q, world.runtime.clock.now())
        gap = next(k for k, r in enumerate(rows) if r.source == "missing" and k > 0)
        index = rows[gap - 1].indexes["1.8.0"]
        late = IntervalRecord(rows[gap].end, {"1.8.0": index + Decimal("0.125")})
        with transaction(world.runtime.sessions) as session:
            store_profile(session, meter_id=meter_id, records=[late], readout_id=None)
        arrived = client.get(f"/hn/{ABONE_SP}/ykp", params=params).text
        assert arrived.count('class="gap"') == before.count('class="gap"') - 1
        assert _total(arrived) != _total(before)
        with transaction(world.runtime.sessions) as session:
            edit_interval(
                session, meter_id, rows[gap].end, {"1.8.0": index + Decimal("0.5")},
                user="operator", reason="corrected reading",
            )  # fmt: skip
        corrected = client.get(f"/hn/{ABONE_SP}/ykp", params=params).text
        assert _total(corrected) != _total(arrived)
        with transaction(world.runtime.sessions) as session:
            rows, _ = _oracle(session, _sight(session, ABONE_SP), q, world.runtime.clock.now())
        assert _total(corrected) == formatting.number(totals(rows).withdrawal_kwh, 3, "tr")
        assert rows[gap].source == "edited"


def test_a_kept_page_is_never_shown_to_another_viewer(kept_world: World) -> None:
    """Two customers ask for the same range; staff fill the cache with a point a supplier sees
    only from a later day: each sees only its own point, and the supplier only its window."""
    params = {"from": "2026-10-30", "to": "2026-11-01", "step": "15"}
    app = create_app(kept_world.runtime)
    with TestClient(app) as abone, TestClient(app) as kurumsal, TestClient(app) as staff:
        login(abone, kept_world, "abone")
        login(kurumsal, kept_world, "kurumsal")
        login(staff, kept_world, "operator")
        own = abone.get(f"/hn/{ABONE_SP}/ykp", params=params)
        theirs = kurumsal.get(f"/hn/{KURUMSAL_SP}/ykp", params=params)
        assert own.status_code == theirs.status_code == 200
        assert _total(own.text) != _total(theirs.text)
        assert abone.get(f"/hn/{KURUMSAL_SP}/ykp", params=params).status_code == 404
        assert kurumsal.get(f"/hn/{ABONE_SP}/ykp", params=params).status_code == 404
        assert abone.get(f"/hn/{ABONE_SP}/ykp", params=params).text == own.text
    late_from = kept_world.late_from.astimezone(LOCAL_TZ)
    days = {"from": (late_from - dt.timedelta(days=1)).date().isoformat(), "step": "15"}
    days["to"] = late_from.date().isoformat()
    with TestClient(app) as supplier, TestClient(app) as staff:
        login(staff, kept_world, "operator")
        login(supplier, kept_world, "tedarikci")
        everything = staff.get(f"/hn/{LATE_SP}/ykp", params=days)
        supplied = supplier.get(f"/hn/{LATE_SP}/ykp", params=days)
    assert everything.status_code == supplied.status_code == 200
    shown = re.findall(r'<tr class="src-[a-z]+"><td>([^<]+)</td>', supplied.text)
    first_shown = dt.datetime.strptime(shown[0], "%d.%m.%Y %H:%M").replace(tzinfo=LOCAL_TZ)
    assert first_shown == late_from
    assert len(shown) < len(re.findall(r'<tr class="src-[a-z]+"><td>', everything.text))

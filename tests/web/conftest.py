"""Fixtures of the panel tests: a registry with generated data, demo users, a logged-in client."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from osos.identity import passwords
from osos.identity.demo import DemoLogin, ensure_demo_users
from osos.runtime import Runtime
from osos.store.db import transaction
from osos.store.models import Organisation, ServicePoint, SupplyPeriod
from osos.timeutil import QUARTER, FixedClock, month_start_before, period_of, quarter_floor
from osos.web.app import create_app
from tests.conftest import _fresh_pg, make_settings
from tests.web import data

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# Service points of the demo registry the tests use.
ABONE_SP = "2000104137"  # the demo Abone's (first metered point)
KURUMSAL_SP = "2000106603"  # Trakya Gıda A.Ş. (corporate)
OTHER_SP = "2000104274"  # Trakya Perakende's customer: nobody's in the tests but staff
LATE_SP = "2000104548"  # supplied by Boğaziçi (the demo supplier) only from World.late_from


@dataclass(frozen=True)
class World:
    runtime: Runtime
    logins: dict[str, DemoLogin]
    end: dt.datetime
    late_from: dt.datetime


def build_world(
    runtime: Runtime,
    days: int,
    points: tuple[str, ...] = (ABONE_SP, KURUMSAL_SP, OTHER_SP, LATE_SP),
) -> World:
    """The demo registry with ``days`` of data up to the runtime clock's now, and accounts."""
    with transaction(runtime.sessions) as session:
        data.load_registry(session)
        end = quarter_floor(runtime.clock.now())
        for seed, no in enumerate(points, start=1):
            if not days:
                break
            end = data.generate(
                session, no, days=days, end=end, seed=seed, gaps=GAPS, estimated=ESTIMATED
            )
        late_from = data.quarter_floor(end - dt.timedelta(days=max(1, days // 3)))
        late_from = late_from.replace(minute=0)
        sp_id = session.scalar(select(ServicePoint.id).where(ServicePoint.no == LATE_SP))
        session.execute(
            update(SupplyPeriod)
            .where(SupplyPeriod.service_point_id == sp_id)
            .values(valid_from=late_from)
        )
        logins = {d.key: d for d in ensure_demo_users(session)}
    return World(runtime, logins, end, late_from)


GAPS, ESTIMATED = (5, 6, 7), (20, 21)  # intervals from the end of each point's data


def complete_month(world: World) -> str:
    """The newest month whose data has no gap or estimate: the previous month, or the one
    before it when the world ends within hours of a month start (its gaps lie before it)."""
    marked = world.end - max(*GAPS, *ESTIMATED) * QUARTER
    return period_of(month_start_before(marked, 1))


CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with test-sized cost (the real cost, ~0.4 s a hash here, is for production)."""
    monkeypatch.setattr(passwords, "_HASHER", CHEAP_HASHER)


def module_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    now: dt.datetime,
    build: Callable[[Runtime], World],
) -> Iterator[World]:
    """A world built once for a module on the backend named by ``request.param``, its clock
    frozen at ``now``."""
    home = tmp_path_factory.mktemp("web")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_HASHER", CHEAP_HASHER)
        if request.param == "sqlite":
            path = home / "osos.sqlite3"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            urls: Iterator[str] = iter([f"sqlite:///{path}"])
        else:
            urls = _fresh_pg(request.getfixturevalue("pg_template"))
        url = next(urls)
        runtime = Runtime(make_settings(url, home), clock=FixedClock(now))
        try:
            yield build(runtime)
        finally:
            runtime.close()
            for _ in urls:  # drops the PostgreSQL database
                pass


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def shared_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    frozen_now: dt.datetime,
) -> Iterator[World]:
    """One world per module and backend, for tests that only read (and log in)."""
    yield from module_world(
        request, tmp_path_factory, frozen_now, lambda rt: build_world(rt, days=3)
    )


MONTH_DAYS = 64  # two months: a complete month is always in them


@pytest.fixture(scope="module", params=BACKENDS)
def month_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    frozen_now: dt.datetime,
) -> Iterator[World]:
    """The demo Abone's point with ``MONTH_DAYS`` of data, once per module and backend."""
    yield from module_world(
        request,
        tmp_path_factory,
        frozen_now,
        lambda rt: build_world(rt, days=MONTH_DAYS, points=(ABONE_SP,)),
    )


def _frozen(runtime: Runtime, clock: FixedClock) -> Iterator[Runtime]:
    frozen = Runtime(runtime.settings, clock=clock)
    yield frozen
    frozen.close()


@pytest.fixture
def world(runtime: Runtime, clock: FixedClock) -> Iterator[World]:
    """A fresh world on each database (for tests that change data), on a frozen clock."""
    for frozen in _frozen(runtime, clock):
        yield build_world(frozen, days=3)


@pytest.fixture
def light_world(sqlite_runtime: Runtime, clock: FixedClock) -> Iterator[World]:
    """Registry and accounts only, on SQLite: for login and form rules, not about storage."""
    for frozen in _frozen(sqlite_runtime, clock):
        yield build_world(frozen, days=0)


@pytest.fixture
def app_client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.runtime)) as client:
        yield client


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: TestClient, world: World, kind: str) -> None:
    demo = world.logins[kind]
    page = client.get("/personel/giris" if kind in ("operator", "admin") else "/giris")
    tip = "personel" if kind in ("operator", "admin") else demo.kind.value
    response = client.post(
        "/giris",
        data={
            "tip": tip,
            "login": demo.login,
            "password": demo.password,
            "csrf_token": csrf_of(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]


def organisation_id(world: World, name: str) -> int:
    with transaction(world.runtime.sessions) as session:
        value = session.scalar(select(Organisation.id).where(Organisation.name == name))
    assert value is not None
    return value

"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL, and the
frozen clock of tests that build their world from "now".

Each backend is migrated once per test run into a template (a file for SQLite, a template
database for PostgreSQL); every test gets its own copy, so no test cleans up after another.
PostgreSQL is required when ``CI`` is set; elsewhere its tests are skipped with the reason.

A test that builds its world from "now" takes it from ``frozen_now`` (or ``clock``), never from
the system clock. ``OSOS_TEST_CLOCKS`` says which instants it runs at: ``today`` (the moment the
run started), ``month-first`` (00:00:00 local on day 1 of this month), ``month-last``
(23:59:59 local on its last day), ``leap-day`` (29 February 2028, noon), comma-separated, or
``all`` (what ``scripts/test`` runs).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from osos.runtime import Runtime
from osos.settings import DatabaseSettings, Settings
from osos.store import db
from osos.timeutil import (
    SYSTEM_CLOCK,
    FixedClock,
    month_start_before,
    next_month_start,
    parse_local,
)

DATA = Path(__file__).parent / "data"

TODAY = SYSTEM_CLOCK.now().replace(microsecond=0)  # the one reading of the real clock


def instants(today: dt.datetime) -> dict[str, dt.datetime]:
    """The moments clock-dependent tests run at: month edges, a leap day, and the real day."""
    first = month_start_before(today)
    return {
        "today": today,
        "month-first": first,
        "month-last": next_month_start(first) - dt.timedelta(seconds=1),
        "leap-day": parse_local("2028-02-29T12:00"),
    }


INSTANTS = instants(TODAY)
_chosen = os.environ.get("OSOS_TEST_CLOCKS", "today").strip() or "today"
CLOCKS = tuple(INSTANTS) if _chosen == "all" else tuple(c.strip() for c in _chosen.split(","))
for _name in CLOCKS:
    if _name not in INSTANTS:
        raise pytest.UsageError(f"OSOS_TEST_CLOCKS: unknown instant {_name!r}")


@pytest.fixture(scope="session", params=CLOCKS)
def frozen_now(request: pytest.FixtureRequest) -> dt.datetime:
    """ "Now" of a test that builds its world from it (see the module text)."""
    now: dt.datetime = INSTANTS[request.param]
    return now


@pytest.fixture
def clock(frozen_now: dt.datetime) -> FixedClock:
    return FixedClock(frozen_now)


PG_ADMIN_URL = os.environ.get(
    "OSOS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any connection failure means: no server here
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _pg_exec(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    reason = _pg_available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL: {reason}")
        pytest.skip(reason)
    name = f"osos_tpl_{uuid.uuid4().hex[:10]}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    db.upgrade(_pg_url(name))
    yield name
    _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_pg(template: str) -> Iterator[str]:
    name = f"osos_t_{uuid.uuid4().hex[:12]}"
    _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the newest revision, on each backend in turn."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "osos.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
    else:
        yield from _fresh_pg(request.getfixturevalue("pg_template"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh SQLite database only (for tests that are not about storage)."""
    path = tmp_path / "osos.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


TEST_SECRET = "test-secret-" + "x" * 32
"""The runtime fixtures' secret key, also in ``OSOS_SECRET_KEY`` so that commands a test runs
open the meter secrets the fixture sealed."""


def make_settings(url: str, home: Path) -> Settings:
    return Settings(home=home, database=DatabaseSettings(url), secret_key=TEST_SECRET)


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """A Runtime on a fresh database (both backends); OSOS_* point at it for CLI tests. Its
    clock stands at the run's start (tests about "now" take ``frozen_now`` instead)."""
    monkeypatch.setenv("OSOS_DATABASE_URL", db_url)
    monkeypatch.setenv("OSOS_HOME", str(tmp_path))
    monkeypatch.setenv("OSOS_SECRET_KEY", TEST_SECRET)
    rt = Runtime(make_settings(db_url, tmp_path), clock=FixedClock(TODAY))
    yield rt
    rt.close()


@pytest.fixture
def sqlite_runtime(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    monkeypatch.setenv("OSOS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("OSOS_HOME", str(tmp_path))
    monkeypatch.setenv("OSOS_SECRET_KEY", TEST_SECRET)
    rt = Runtime(make_settings(sqlite_url, tmp_path), clock=FixedClock(TODAY))
    yield rt
    rt.close()

"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

Each backend is migrated once per test run into a template (a file for SQLite, a template
database for PostgreSQL); every test gets its own copy, so no test cleans up after another.
PostgreSQL is required when ``CI`` is set; elsewhere its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from osos.config import Settings
from osos.runtime import Runtime
from osos.store import db

DATA = Path(__file__).parent / "data"
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


def make_settings(url: str, home: Path) -> Settings:
    return Settings(home=home, database_url=url, secret_key="test-secret-" + "x" * 32)


@pytest.fixture
def runtime(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """A Runtime on a fresh database (both backends); OSOS_* point at it for CLI tests."""
    monkeypatch.setenv("OSOS_DATABASE_URL", db_url)
    monkeypatch.setenv("OSOS_HOME", str(tmp_path))
    rt = Runtime(make_settings(db_url, tmp_path))
    yield rt
    rt.close()


@pytest.fixture
def sqlite_runtime(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    monkeypatch.setenv("OSOS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("OSOS_HOME", str(tmp_path))
    rt = Runtime(make_settings(sqlite_url, tmp_path))
    yield rt
    rt.close()

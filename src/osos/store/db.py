"""Engines, sessions and migrations: the one place that knows how to reach the database."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from osos.store.secrets import SECRETS_KEY, MeterSecrets
from osos.store.types import CLOCK_KEY
from osos.timeutil import SYSTEM_CLOCK, Clock

MIGRATIONS = Path(__file__).parent / "migrations"
#: Per pooled connection: the temporary tables made on it (bulk ingest's staging tables);
#: forgotten on rollback, which takes a table created in that transaction with it.
TEMP_TABLES_KEY = "osos_temp_tables"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre-ping: a connection broken by a database restart is replaced, not handed out
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "rollback", _forget_temp_tables)
    return engine


def _forget_temp_tables(connection: Any) -> None:
    with contextlib.suppress(Exception):  # a connection already invalidated has no info left
        connection.connection.info.pop(TEMP_TABLES_KEY, None)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(
    engine: Engine, *, clock: Clock = SYSTEM_CLOCK, secrets: MeterSecrets | None = None
) -> sessionmaker[Session]:
    """Sessions that know the clock of the runtime that made them (see :func:`now`) and its
    key for meter secrets (:mod:`osos.store.secrets`)."""
    info: dict[str, object] = {CLOCK_KEY: clock}
    if secrets is not None:
        info[SECRETS_KEY] = secrets
    return sessionmaker(engine, expire_on_commit=False, info=info)


def now(session: Session) -> dt.datetime:
    """'Now' by the clock of the runtime this session belongs to (a test's frozen clock, or
    the system's): what the store stamps on rows it creates."""
    clock: Clock = session.info.get(CLOCK_KEY, SYSTEM_CLOCK)
    return clock.now()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest migration osos ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()

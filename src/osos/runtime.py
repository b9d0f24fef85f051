"""What a command needs to run: the settings and a database, migrated when asked to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from osos.config import Settings, load_settings
from osos.store import db


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return db.make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.engine)

    def upgrade(self) -> None:
        db.upgrade(self.settings.database_url)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()


def open_runtime(*, upgrade: bool = False, settings: Settings | None = None) -> Runtime:
    """The runtime for a command; ``upgrade`` applies pending migrations first (demo, serve)."""
    runtime = Runtime(settings or load_settings())
    if upgrade:
        runtime.upgrade()
    return runtime

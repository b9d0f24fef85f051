"""What every command, worker and web process runs on: the settings, the clock, the database.

Built once by the composition root (:mod:`osos.app`) from :func:`osos.settings.load_settings`
and passed down; nothing below reads the environment or the system clock itself. Every
database session made here carries the runtime's clock (:func:`osos.store.db.now`), so the
store stamps rows with the same "now" as the code that asked for the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from osos.settings import Settings
from osos.store import db
from osos.store.secrets import MeterSecrets, seal_stored
from osos.timeutil import SYSTEM_CLOCK, Clock

POOL_TIMEOUT_S = 10  # a sized pool never makes a handler wait; if it does, fail soon


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default=SYSTEM_CLOCK)
    # connections of the pool, none beyond (the web process sizes it from its handlers);
    # None: the store's defaults
    pool_size: int | None = None

    @cached_property
    def engine(self) -> Engine:
        if self.pool_size is None:
            return db.make_engine(self.settings.database.url)
        return db.make_engine(
            self.settings.database.url,
            pool_size=self.pool_size,
            max_overflow=0,
            pool_timeout=POOL_TIMEOUT_S,
        )

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.engine, clock=self.clock, secrets=self.meter_secrets)

    @cached_property
    def meter_secrets(self) -> MeterSecrets:
        """Seals meter passwords and DLMS keys at rest (``OSOS_METER_KEY`` or the secret key)."""
        return MeterSecrets.from_text(self.settings.meter_key or self.settings.secret_key)

    @property
    def is_sqlite(self) -> bool:
        return self.settings.database.is_sqlite

    def upgrade(self, revision: str = "head") -> int:
        """Apply the migrations, then seal meter secrets still stored in clear (the key is
        the application's, not the migration's); returns how many were sealed."""
        db.upgrade(self.settings.database.url, revision)
        if db.current_revision(self.settings.database.url) != db.head_revision():
            return 0  # an older schema: the columns to seal may not exist yet
        with self.sessions.begin() as session:
            return seal_stored(session)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

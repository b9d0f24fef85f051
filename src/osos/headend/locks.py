"""One session per modem across processes: PostgreSQL advisory locks, held on one connection
per worker for as long as the session runs.

A session-level advisory lock belongs to the connection that took it, so a worker that dies
(its connection closes) frees its modems at once, and the lock of its own name tells the
others it is gone. Keys are 64-bit hashes of ``modem:<host:port>``, ``worker:<name>`` and
``hook:<name>`` (an after-tick hook runs in one worker at a time, see :mod:`.service`).
SQLite has one head-end process, so :class:`LocalLocks` grants everything.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import logging
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)


def lock_key(kind: str, name: str) -> int:
    digest = hashlib.blake2b(f"{kind}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class LocalLocks:
    """One process: the scheduler's own per-modem locks are enough."""

    async def start(self, worker: str) -> None:
        """Take this worker's liveness lock."""

    async def acquire(self, modem: str, kind: str = "modem") -> bool:
        """Take ``modem`` (or another thing of ``kind``, e.g. a ``hook``) for this worker."""
        return True

    async def release(self, modem: str, kind: str = "modem") -> None:
        """Free what :meth:`acquire` took."""

    async def alive(self, worker: str) -> bool | None:
        """Whether ``worker`` lives (None: this backend cannot tell)."""
        return None

    async def close(self) -> None:
        """Free everything."""


class AdvisoryLocks(LocalLocks):
    """PostgreSQL advisory locks on a connection of their own (autocommit, one thread)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._connection: Any = None
        self._worker: str | None = None

    def _cursor(self) -> Any:
        if self._connection is None or self._connection.closed:
            raw = self.engine.raw_connection()
            connection: Any = raw.dbapi_connection
            connection.autocommit = True
            self._connection = connection
            self._raw = raw
            if self._worker is not None:  # a new connection: this worker's lock again
                connection.execute(
                    "SELECT pg_advisory_lock(%s)", (lock_key("worker", self._worker),)
                )
        return self._connection

    def _call(self, sql: str, key: int) -> Any:
        try:
            return self._cursor().execute(sql, (key,)).fetchone()[0]
        except Exception:
            self._drop()
            raise

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                self._raw.invalidate()
            except Exception:  # already broken: nothing to give back
                log.debug("lock connection already gone")

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="osos-lock")
        return self._pool

    async def _run(self, sql: str, key: int) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), self._call, sql, key)

    async def start(self, worker: str) -> None:
        self._worker = worker
        await asyncio.get_running_loop().run_in_executor(self._executor(), self._cursor)

    async def acquire(self, modem: str, kind: str = "modem") -> bool:
        try:
            return bool(await self._run("SELECT pg_try_advisory_lock(%s)", lock_key(kind, modem)))
        except Exception as exc:  # the database is away: not taken now
            log.warning("%s lock %s not taken: %s", kind, modem, exc)
            return False

    async def release(self, modem: str, kind: str = "modem") -> None:
        try:
            await self._run("SELECT pg_advisory_unlock(%s)", lock_key(kind, modem))
        except Exception as exc:  # the connection went: its locks went with it
            log.warning("%s lock %s not released (connection lost: freed): %s", kind, modem, exc)

    async def alive(self, worker: str) -> bool | None:
        key = lock_key("worker", worker)
        try:
            free = await self._run("SELECT pg_try_advisory_lock(%s)", key)
            if free:
                await self._run("SELECT pg_advisory_unlock(%s)", key)
        except Exception:
            return None
        return not free

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.get_running_loop().run_in_executor(pool, self._close)
            pool.shutdown(wait=False)

    def _close(self) -> None:
        self._drop()  # closing the connection (not pooling it) frees every lock it holds

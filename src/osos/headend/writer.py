"""The write-behind queue: sessions hand over what they read; one task writes many sessions
in one transaction, off the event loop.

A flush runs when ``flush_every`` seconds have passed since the first waiting item, or when
``max_items`` are waiting. The queue is bounded (``limit`` items): a full queue makes
:meth:`WriteBehind.submit` wait, and the scheduler starts no new session while it is backed
up — what was read is held in memory, never dropped. A database fault (connection refused, a
restart, a full disk) is logged once, the batch is kept and retried with back-off until the
database answers; a record the store refuses is failed alone (the batch is retried without it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
Item = TypeVar("Item")

Flush = Callable[[Session, Sequence[Any]], Sequence[Any]]


def transient(exc: BaseException) -> bool:
    """A fault that passes when the database is back (not a refusal of the data)."""
    if isinstance(exc, OperationalError | DisconnectionError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


@dataclass(frozen=True)
class WriterConfig:
    flush_every: float = 0.05  # seconds
    max_items: int = 200  # sessions per transaction
    limit: int = 5000  # items held before submit waits
    retry_first: float = 0.5  # seconds; doubled per failed try
    retry_max: float = 30.0


@dataclass
class _Waiting(Generic[Item]):
    item: Item
    done: asyncio.Future[Any] = field(repr=False)
    holds_room: bool = True


class WriteBehind:
    """See the module text. ``flush(session, items)`` stores a batch in the given transaction
    and returns one result per item."""

    def __init__(
        self, sessions: sessionmaker[Session], flush: Flush, config: WriterConfig | None = None
    ) -> None:
        self.sessions = sessions
        self.flush = flush
        self.config = config or WriterConfig()
        self._waiting: list[_Waiting[Any]] = []
        self._room = asyncio.Semaphore(self.config.limit)
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.outage_since: float | None = None
        self.transactions = 0

    @property
    def backlog(self) -> int:
        return len(self._waiting)

    @property
    def backed_up(self) -> bool:
        """The database is away or slow: start no new sessions."""
        return self.outage_since is not None or self.backlog >= self.config.limit // 2

    async def submit(self, item: Any) -> Any:
        """Queue ``item`` (waits while the queue is full); returns its stored result."""
        self._ensure_running()
        await self._room.acquire()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(item, done))
        self._arrived.set()
        return await asyncio.shield(done)

    def post(self, item: Any) -> None:
        """Queue a small item whose result nobody waits for (it may exceed the bound)."""
        self._ensure_running()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(item, done, holds_room=False))
        self._arrived.set()

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="write-behind")

    async def close(self) -> None:
        """Write what is waiting, then stop."""
        while self._waiting:
            self._ensure_running()
            await asyncio.sleep(self.config.flush_every)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            if not self._waiting:
                self._arrived.clear()
                await self._arrived.wait()
            deadline = time.monotonic() + self.config.flush_every
            while len(self._waiting) < self.config.max_items and time.monotonic() < deadline:
                await asyncio.sleep(min(0.01, self.config.flush_every))
            batch = self._waiting[: self.config.max_items]
            del self._waiting[: len(batch)]
            await self._write(batch)
            for waiting in batch:
                if waiting.holds_room:
                    self._room.release()

    async def _write(self, batch: list[_Waiting[Any]]) -> None:
        delay = self.config.retry_first
        while True:
            try:
                results = await asyncio.to_thread(self._transaction, [w.item for w in batch])
            except Exception as exc:
                if transient(exc):
                    self._outage(exc, len(batch), delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.config.retry_max)
                    continue
                if len(batch) == 1:
                    _settle(batch[0].done, exc=exc)
                    return
                for one in batch:  # find the record the store refuses; store the others
                    await self._write([one])
                return
            self._recovered()
            for waiting, result in zip(batch, results, strict=True):
                _settle(waiting.done, result=result)
            return

    def _transaction(self, items: list[Any]) -> Sequence[Any]:
        with self.sessions.begin() as session:
            results = self.flush(session, items)
        self.transactions += 1
        return results

    def _outage(self, exc: BaseException, held: int, delay: float) -> None:
        if self.outage_since is None:
            self.outage_since = time.monotonic()
            log.error(
                "database unavailable (%s): %d session(s) kept in memory, retrying",
                str(exc).splitlines()[0][:200],
                held + self.backlog,
            )
        else:
            log.info("database still unavailable; next try in %.1f s", delay)

    def _recovered(self) -> None:
        if self.outage_since is not None:
            log.warning(
                "database back after %.1f s; %d session(s) still to write",
                time.monotonic() - self.outage_since,
                self.backlog,
            )
            self.outage_since = None


def _settle(
    done: asyncio.Future[Any], *, result: Any = None, exc: BaseException | None = None
) -> None:
    if done.done():
        return
    if exc is not None:
        done.set_exception(exc)
    else:
        done.set_result(result)

"""The head-end as a long-running service: the loop, its after-tick hooks, the dial-in listener."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from sqlalchemy.exc import OperationalError

from osos.errors import InvalidInput
from osos.headend.config import Connector, HeadendConfig, tcp_connector
from osos.headend.locks import LocalLocks
from osos.headend.push_in import receive_push
from osos.headend.scheduler import Scheduler
from osos.runtime import Runtime
from osos.store.db import current_revision
from osos.timeutil import Clock, SystemClock
from osos.transport.tcp import DialInListener

log = logging.getLogger(__name__)

AfterTick = Callable[[Runtime, dt.datetime], object]
"""Called after every tick with ``(runtime, now)``."""


def parse_listen(listen: str | tuple[str, int]) -> tuple[str, int]:
    """``HOST:PORT`` (or a tuple) → (host, port); ValueError names what is wrong."""
    if isinstance(listen, tuple):
        return listen
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise InvalidInput(f"--listen must be HOST:PORT, got {listen!r}")
    return host or "0.0.0.0", int(port)


def hook_name(hook: AfterTick) -> str:
    return getattr(hook, "__name__", None) or type(hook).__name__


async def run_hooks(
    hooks: Sequence[AfterTick],
    runtime: Runtime,
    now: dt.datetime,
    locks: LocalLocks | None = None,
) -> None:
    """Each hook in turn. With ``locks`` (PostgreSQL's advisory locks when several head-end
    processes share a database) a hook another worker is running is skipped this tick: the
    hooks are idempotent, but two runs of one at once race for the same rows (a unique
    finding, an alert's one sending) and one of them fails."""
    for hook in hooks:
        name = hook_name(hook)
        if locks is not None and not await locks.acquire(name, kind="hook"):
            log.debug("after-tick hook %s: running in another worker, skipped", name)
            continue
        try:
            result = (
                hook(runtime, now)
                if inspect.iscoroutinefunction(hook)
                else await asyncio.to_thread(hook, runtime, now)
            )
            if inspect.isawaitable(result):
                await result
        except Exception:  # a failing hook must not stop the meter reading; it is logged
            log.exception("after-tick hook %r failed", hook)
        finally:
            if locks is not None:
                await locks.release(name, kind="hook")


async def run_headend(
    runtime: Runtime,
    *,
    stop: asyncio.Event,
    clock: Clock | None = None,
    concurrency: int = 200,
    listen: str | tuple[str, int] | None = None,
    tick_s: float = 5.0,
    config: HeadendConfig | None = None,
    after_tick: Sequence[AfterTick] = (),
    connector: Connector = tcp_connector,
) -> Scheduler:
    """Run the scheduler (and the dial-in listener) until ``stop`` is set.

    Every ``tick_s`` seconds: plan and start due reads, then call the ``after_tick`` hooks
    with ``(runtime, now)``. On stop, running sessions are given their
    session timeout to finish and are then cancelled (their jobs are released as stale later).
    """
    config = replace(config or HeadendConfig(), concurrency=concurrency)
    scheduler = Scheduler(runtime, clock=clock or SystemClock(), config=config, connector=connector)
    scheduler.keep_reports = False
    listener: DialInListener | None = None
    if listen is not None:
        host, port = parse_listen(listen)
        listener = DialInListener(
            host,
            port,
            scheduler.on_dial_in,
            push_handler=lambda peer, data: receive_push(scheduler, peer, data),
        )
        await listener.start()
    try:
        while not stop.is_set():
            await scheduler.tick()
            await run_hooks(after_tick, runtime, scheduler.clock.now(), scheduler.locks)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=tick_s)
    finally:
        if listener is not None:
            await listener.stop()
        try:
            await asyncio.wait_for(scheduler.drain(), timeout=config.timeouts.session)
        except TimeoutError:
            await scheduler.cancel()
        await scheduler.close()
    return scheduler


async def wait_for_schema(
    runtime: Runtime, *, retry_first: float = 1.0, retry_max: float = 30.0
) -> str | None:
    """The database's migration revision, waiting (with back-off, logged) while the database
    does not answer; None when it answers but has no schema."""
    delay = retry_first
    while True:
        try:
            return await asyncio.to_thread(current_revision, runtime.settings.database.url)
        except OperationalError as exc:
            log.error("database not reachable (%s); retrying in %.0f s", exc.orig, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, retry_max)

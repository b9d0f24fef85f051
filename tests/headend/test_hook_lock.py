"""An after-tick hook runs in one head-end worker at a time: on PostgreSQL a second worker
skips a hook the first is running (the two would race for the same rows), takes it again once
it is done, and a hook that fails frees its lock too. SQLite has one head-end process."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

from osos.headend.locks import AdvisoryLocks, LocalLocks
from osos.headend.service import run_hooks
from osos.runtime import Runtime


class Slow:
    """A sync hook that holds until told to finish; counts its runs."""

    def __init__(self) -> None:
        self.runs = 0
        self.started = threading.Event()
        self.finish = threading.Event()

    def __call__(self, runtime: Runtime, now: dt.datetime) -> None:
        self.runs += 1
        self.started.set()
        assert self.finish.wait(timeout=60)


def _locks(runtime: Runtime) -> LocalLocks:
    sqlite = runtime.settings.database.url.startswith("sqlite")
    return LocalLocks() if sqlite else AdvisoryLocks(runtime.engine)


async def test_a_hook_running_in_one_worker_is_skipped_by_another(
    runtime: Runtime, frozen_now: dt.datetime
) -> None:
    hook = Slow()
    first, second = _locks(runtime), _locks(runtime)
    try:
        running = asyncio.create_task(run_hooks([hook], runtime, frozen_now, first))
        assert await asyncio.to_thread(hook.started.wait, 60)
        if isinstance(first, AdvisoryLocks):
            await run_hooks([hook], runtime, frozen_now, second)
            assert hook.runs == 1  # the other worker's run is going on: skipped
        hook.finish.set()
        await running
        await run_hooks([hook], runtime, frozen_now, second)
        assert hook.runs == 2  # free again
    finally:
        hook.finish.set()
        await first.close()
        await second.close()


async def test_a_failing_hook_frees_its_lock(runtime: Runtime, frozen_now: dt.datetime) -> None:
    calls: list[str] = []

    def broken(rt: Runtime, now: dt.datetime) -> None:
        calls.append("broken")
        raise RuntimeError("a hook that fails")

    first, second = _locks(runtime), _locks(runtime)
    try:
        await run_hooks([broken], runtime, frozen_now, first)  # logged, not raised
        await run_hooks([broken], runtime, frozen_now, second)
        assert calls == ["broken", "broken"]
    finally:
        await first.close()
        await second.close()

"""Several head-end processes on one database, and head-ends killed mid-read (issue 11 item 3,
issue 12 item 3): every meter read once per plan slot, one session per modem at a time (from
the comm log), no attempt left ``running``, a dead worker's jobs back within a bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from osos.runtime import Runtime
from tests.headend.processes import (
    fleet_process,
    kill,
    overlaps,
    register,
    scalar,
    shared_fleet,
    start_worker,
    stop,
    wait_until,
)

READOUTS_DONE = "SELECT count(*) FROM read_jobs WHERE purpose = 'readout' AND state = 'done'"
RUNNING = "SELECT count(*) FROM comm_log WHERE outcome = 'running'"
STARTED = "SELECT count(*) FROM read_jobs WHERE session_started_at IS NOT NULL"


def _assert_read_once(runtime: Runtime, meters: int) -> None:
    engine = create_engine(runtime.settings.database.url)
    try:
        assert scalar(engine, READOUTS_DONE) == meters
        assert scalar(engine, RUNNING) == 0
        # one stored readout and one successful attempt per meter: nothing read twice
        per_meter = (
            "SELECT count(*) FROM (SELECT meter_id FROM {t} WHERE {w} "
            "GROUP BY meter_id HAVING count(*) <> 1) x"
        )
        assert scalar(engine, per_meter.format(t="readouts", w="kind = 'readout'")) == 0
        assert scalar(engine, per_meter.format(t="comm_log", w="outcome = 'ok'")) == 0
        assert scalar(engine, "SELECT count(DISTINCT meter_id) FROM readouts") == meters
        assert overlaps(engine) == []
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_three_workers_one_session_per_modem_also_when_one_is_killed(
    runtime: Runtime, tmp_path: Path
) -> None:
    if runtime.is_sqlite:
        pytest.skip("SQLite runs one head-end process")
    specs = shared_fleet(300, per_modem=3)
    register(runtime, specs)
    url = runtime.settings.database.url
    engine = create_engine(url)

    def done() -> int:
        return scalar(engine, READOUTS_DONE)

    with fleet_process(specs, latency=0.05):
        workers = [start_worker(url, tmp_path) for _ in range(3)]
        try:
            assert wait_until(lambda: done() >= 30)
            kill(workers[0])  # mid-run: its sessions die with it
            assert wait_until(lambda: done() == 300, progress=done)
            assert wait_until(lambda: scalar(engine, "SELECT count(*) FROM headend_workers") == 2)
        finally:
            for worker in workers:
                stop(worker)
    engine.dispose()
    _assert_read_once(runtime, 300)


def test_a_killed_headend_leaves_nothing_running_and_every_meter_is_read_once(
    runtime: Runtime, tmp_path: Path
) -> None:
    specs = shared_fleet(40, per_modem=2)
    register(runtime, specs)
    url = runtime.settings.database.url
    engine = create_engine(url)

    def done() -> int:
        return scalar(engine, READOUTS_DONE)

    interrupted = 0
    with fleet_process(specs, latency=0.3):
        for _ in range(3):  # killed mid-read, three times
            worker = start_worker(url, tmp_path, concurrency=8)
            assert wait_until(lambda: scalar(engine, STARTED) > 0, every=0.05)
            time.sleep(0.3)
            kill(worker)
            interrupted += scalar(engine, STARTED)
        worker = start_worker(url, tmp_path)
        try:
            assert wait_until(lambda: done() == 40, progress=done)
        finally:
            stop(worker)
    logged = scalar(engine, "SELECT count(*) FROM comm_log WHERE outcome = 'interrupted'")
    engine.dispose()
    assert interrupted > 0 and logged > 0  # the killed sessions are in the log, closed
    _assert_read_once(runtime, 40)

"""A database fault does not end the head-end (issue 12 item 4): on a PostgreSQL of the test's
own (its data directory and port, never the shared server), stopped mid-run and started again,
what was read is stored once when the database is back, and the rest is read after."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from osos.headend.config import HeadendConfig
from osos.headend.readplan import Timeouts
from osos.headend.scheduler import Scheduler
from osos.headend.writer import WriterConfig
from osos.runtime import Runtime
from osos.settings import DatabaseSettings, Settings
from osos.simulator import Fleet
from osos.store import db
from tests.headend.processes import free_ports, register, scalar, shared_fleet

BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class OwnPostgres:
    """initdb + pg_ctl on a data directory and port of this test (run as 'postgres' when
    the test runs as root, which initdb refuses)."""

    def __init__(self, root: Path) -> None:
        self.bin = Path(BINS[-1])
        self.data = root / "data"
        self.port = free_ports(1)[0]
        self.log = root / "postgres.log"
        self.root = root
        self._as: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(root, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as, str(self.bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    if not BINS or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) here")
    root = Path(tempfile.mkdtemp(prefix="osos-own-pg-"))
    os.chmod(root, 0o755)
    server = OwnPostgres(root)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.postgres
async def test_a_database_outage_mid_run_loses_and_duplicates_nothing(
    own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    db.upgrade(own_postgres.url)
    runtime = Runtime(
        Settings(home=tmp_path, database=DatabaseSettings(own_postgres.url), secret_key="s" * 48)
    )
    specs = shared_fleet(24, per_modem=1)
    register(runtime, specs)
    config = HeadendConfig(
        concurrency=8,
        timeouts=Timeouts(connect=5, inter_byte=5, step=30, session=120),
        initial_backfill=dt.timedelta(hours=1),
        modem_wait=dt.timedelta(seconds=60),
    )
    writer = WriterConfig(retry_first=0.2, retry_max=1.0)
    engine = create_engine(own_postgres.url)
    try:
        async with Fleet(specs, latency=0.3):
            scheduler = Scheduler(runtime, config=config, writer=writer)
            first = asyncio.create_task(scheduler.run_once())
            for _ in range(400):  # until the first sessions are running, then pull the plug
                if scheduler.writer.transactions and scheduler._tasks:
                    break
                await asyncio.sleep(0.05)
            await asyncio.to_thread(own_postgres.stop)
            held = 0
            for _ in range(1200):  # sessions go on, their results wait in memory (hang guard)
                held = scheduler.writer.backlog
                if held:
                    break
                await asyncio.sleep(0.05)
            await asyncio.to_thread(own_postgres.start)
            await first
            later = await Scheduler(runtime, config=config, writer=writer).run_once()
    finally:
        runtime.close()
    assert held > 0  # sessions ended during the outage: their results waited in memory
    assert all(r.outcome == "ok" for r in later)
    readouts = "SELECT count(*) FROM readouts WHERE kind = 'readout'"
    assert scalar(engine, readouts) == 24
    assert (
        scalar(engine, "SELECT count(DISTINCT meter_id) FROM readouts WHERE kind = 'readout'") == 24
    )
    assert scalar(engine, "SELECT count(*) FROM comm_log WHERE outcome = 'ok'") == 24
    assert scalar(engine, "SELECT count(*) FROM read_jobs WHERE state <> 'done'") == 0
    engine.dispose()

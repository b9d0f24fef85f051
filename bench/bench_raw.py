"""Raw bytes of the reads: what a meter-day weighs, what the month's archive file makes of it,
how fast ``osos raw archive`` moves it and ``raw_of`` reads it back.

The bytes are what the simulated fleet sends: each meter's readout once a day and 96 answers
of its last profile block (one quarter each), stored through the one ingest path into a fresh
SQLite database, then archived. Baselines in the same run: for the archive and its size, the
same members written from memory as one solid tar.xz (no database, no manifest, no check, no
random access); for ``raw_of`` from the file, ``raw_of`` from the table.

``python -m bench.bench_raw [--quick]``
"""

from __future__ import annotations

import datetime as dt
import io
import random
import tarfile
import tempfile
import time
from pathlib import Path

from bench.common import Figure, script_main
from bench.headend_world import database, open_runtime

from osos.domain import CommMode, ReadSource
from osos.protocol.iec62056_21.messages import DataMessage
from osos.protocol.iec62056_21.profile import encode_profile
from osos.runtime import Runtime
from osos.simulator.meter import VirtualMeter
from osos.simulator.spec import specs_for
from osos.store import raw_archive, raw_files
from osos.store.ingest import PreparedReadout, store_readouts
from osos.store.models import Meter, ReadoutRaw
from osos.store.raw import raw_of
from osos.timeutil import QUARTER, UTC, FixedClock

DAY_START = dt.datetime(2025, 3, 4, 21, 0, tzinfo=UTC)  # 00:00 local, 5 March 2025
NOW = dt.datetime(2025, 6, 1, tzinfo=UTC)


def meter_day(meter: VirtualMeter, clock: FixedClock) -> list[bytes]:
    """One meter's responses of a day: 96 last-block profile answers and one readout."""
    out = []
    layout = meter.family.protocol.profile_layout
    for quarter in range(1, 97):
        end = DAY_START + quarter * QUARTER
        clock.set(end + dt.timedelta(minutes=2))
        profile = meter.profile(end - QUARTER, end)
        if profile is not None:
            out.append(DataMessage(encode_profile(profile, layout)).to_bytes())
        if quarter == 24:
            out.append(DataMessage(meter.readout_text()).to_bytes())
    return out


def _fill(runtime: Runtime, meters: int) -> dict[int, bytes]:
    clock = FixedClock(DAY_START)
    stored: dict[int, bytes] = {}
    for spec in specs_for(meters, seed=7):
        meter = VirtualMeter(spec, clock=clock)
        raws = meter_day(meter, clock)
        with runtime.sessions.begin() as session:
            row = Meter(serial=spec.serial, flag="XYZ", comm_mode=CommMode.NONE)
            session.add(row)
            session.flush()
            at = [DAY_START + n * QUARTER for n in range(len(raws))]
            prepared = [
                PreparedReadout(row.id, when, raw, "profile", ReadSource.HEADEND, None, None)
                for when, raw in zip(at, raws, strict=True)
            ]
            for done, raw in zip(store_readouts(session, prepared), raws, strict=True):
                stored[done.readout_id] = raw
    return stored


def _tar_xz(stored: dict[int, bytes]) -> tuple[float, int]:
    """The baseline: the same members as one solid tar.xz written from memory (no database,
    no manifest, no check, no random access): (members/s, bytes)."""
    start = time.perf_counter()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz", preset=raw_files.PRESET) as out:
        for readout_id, raw in stored.items():
            info = tarfile.TarInfo(str(readout_id))
            info.size = len(raw)
            out.addfile(info, io.BytesIO(raw))
    return len(stored) / (time.perf_counter() - start), len(buffer.getvalue())


def _reads_per_s(runtime: Runtime, ids: list[int], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    with runtime.sessions() as session:
        while time.perf_counter() - start < seconds:
            found = raw_of(session, ids[count % len(ids)])
            assert found is not None
            count += 1
    return count / (time.perf_counter() - start)


def run(quick: bool) -> list[Figure]:
    meters = 20 if quick else 100
    seconds = 0.5 if quick else 2.0
    with database("sqlite") as url, tempfile.TemporaryDirectory() as folder:
        assert url is not None
        runtime = open_runtime(url)
        stored = _fill(runtime, meters)
        ids = random.Random(3).sample(sorted(stored), min(200, len(stored)))
        from_table = _reads_per_s(runtime, ids, seconds)
        baseline, solid = _tar_xz(stored)
        start = time.perf_counter()
        (done,) = raw_archive.archive(runtime.sessions, Path(folder), "2025-04", now=NOW)
        rate = len(stored) / (time.perf_counter() - start)
        with runtime.sessions() as session:
            assert session.get(ReadoutRaw, ids[0]) is None
        from_file = _reads_per_s(runtime, ids, seconds)
        runtime.close()
    raw_bytes = sum(map(len, stored.values()))
    per_day = raw_bytes / meters
    return [
        Figure(
            "raw bytes per meter-day", per_day, "B",
            note=f"{len(stored) / meters:.0f} responses a meter-day: an electricity meter's 96 "
            "profile answers and readout, a water meter's readout",
        ),
        Figure.against(
            "archive file, bytes per meter-day", done.file_bytes / meters, "B",
            "one solid tar.xz of the same bytes", solid / meters,
            note=f"{raw_bytes / done.file_bytes:.1f}× smaller than the bytes; the manifest's "
            f"digests ({len(stored) * 32 // meters:,} B a meter-day) do not compress",
        ),
        Figure.against(
            "osos raw archive", rate, "readouts/s", "solid tar.xz from memory", baseline,
            note="read, write, fsync, read back against the stored digests, delete",
        ),
        Figure.against(
            "raw_of from the archive file", from_file, "reads/s", "raw_of from the table",
            from_table,
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    script_main(run)

"""Back-office imports of big and damaged files: over the limit is refused with a message and
nothing stored (it was silently cut at 50 MiB); under it, every row arrives; a file cut inside
its last row is refused by row number (issue 12, item 1), on both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from osos.runtime import Runtime
from osos.store.db import transaction
from osos.store.models import profile_intervals
from osos.timeutil import local_iso, parse_local
from osos.web.app import create_app
from tests.web.conftest import World, csrf_of, login

LIMIT = 64 * 1024


def _profile(rows: int) -> bytes:
    start = parse_local("2026-11-01T00:15")
    lines = ["meter_serial;time;1.8.0"] + [
        f"30246633;{local_iso(start + dt.timedelta(minutes=15 * k))};{24000 + k}.750"
        for k in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def _stored(world: World) -> int:
    with transaction(world.runtime.sessions) as session:
        return session.scalar(select(func.count()).select_from(profile_intervals)) or 0


def test_big_and_cut_uploads(world: World) -> None:
    settings = world.runtime.settings
    web = dataclasses.replace(settings.web, import_max_bytes=LIMIT)
    runtime = Runtime(dataclasses.replace(settings, web=web), clock=world.runtime.clock)
    client = TestClient(create_app(runtime))
    login(client, world, "operator")
    token = csrf_of(client.get("/yonetim/kayit-aktar").text)
    before = _stored(world)

    def upload(content: bytes) -> tuple[int, str]:
        answer = client.post(
            "/yonetim/kayit-aktar",
            data={"csrf_token": token, "kind": "profile"},
            files={"registry": ("profile.csv", content, "text/csv")},
        )
        return answer.status_code, answer.text

    big = _profile(2000)
    assert len(big) > LIMIT
    status, text = upload(big)
    assert status == 413 and "0.0625 MB" in text
    assert "hiçbir satır aktarılmadı" in text and _stored(world) == before

    fits = _profile(1500)
    assert len(fits) < LIMIT
    cut = fits[: fits.rindex(b".750")]  # the last row cut inside its value: 24000+k without .750
    status, text = upload(cut)
    assert status == 400 and "row 1501" in text, text[-800:]
    assert _stored(world) == before

    hostile = {
        b"30246633;2026-11-01T00:15;1.0\x00\n": "row 2, column 1.8.0: contains a NUL",
        b"30246633;0001-01-01T00:00;1.000\n": "row 2, column time",
        b"30246633;2026-11-01T00:15;1e999999\n": "row 2",
    }
    for row, expected in hostile.items():
        status, text = upload(b"meter_serial;time;1.8.0\n" + row)
        assert status == 400 and expected in text, text[-800:]
    assert _stored(world) == before

    status, text = upload(fits)
    assert status == 200, text[-800:]
    assert _stored(world) == before + 1500

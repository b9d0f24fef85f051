"""The back office's loss worklist over HTTP: the month's findings with their evidence and
bytes, a scan, acknowledge and close with CSRF and the audit log, the CSV export; staff only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from osos.simulator.faults import Fault
from osos.store import raw_archive
from osos.store.db import transaction
from osos.store.models import AuditEntry, ReadoutRaw
from osos.store.models.losses import LossFinding
from osos.timeutil import add_months, period_of
from osos.web.app import create_app
from tests.losses.test_store import POINT, store_faulty
from tests.web.conftest import World, csrf_of, login


def test_operators_work_the_list(
    light_world: World, frozen_now: dt.datetime, tmp_path: Path
) -> None:
    runtime = light_world.runtime
    with transaction(runtime.sessions) as session:
        period, _ = store_faulty(session, frozen_now, Fault.COVER_OPEN, Fault.PHASE_LOSS)
    client = TestClient(create_app(runtime))
    login(client, light_world, "operator")
    page = client.get(f"/yonetim/kayip-kacak?donem={period}&durum=all")
    assert page.status_code == 200 and "Kayıt yok." in page.text  # nothing scanned yet
    scan = client.post(
        "/yonetim/kayip-kacak/tara", data={"donem": period, "csrf_token": csrf_of(page.text)}
    )
    assert scan.status_code == 200 and "Tarandı: 3 yeni" in scan.text
    for text in ("Klemens kapağı açıldı", "Faz kesintisi", "Gerilimsiz fazda akım", POINT):
        assert text in scan.text
    with runtime.sessions() as session:
        cover = session.scalars(
            select(LossFinding).where(LossFinding.kind == "terminal_cover")
        ).one()
    raw = client.get(f"/yonetim/okuma/{cover.readout_id}/ham")
    assert raw.status_code == 200 and "96.71(" in raw.text
    after = add_months(frozen_now, 2)  # the finding's month (and the next) archived: …
    raw_archive.archive(runtime.sessions, tmp_path, period_of(after), now=after)
    with runtime.sessions() as session:
        assert session.get(ReadoutRaw, cover.readout_id) is None
    archived = client.get(f"/yonetim/okuma/{cover.readout_id}/ham")
    assert archived.status_code == 200 and archived.text == raw.text  # … the same bytes shown
    token = csrf_of(scan.text)
    forged = client.post(f"/yonetim/kayip-kacak/{cover.id}", data={"action": "acknowledge"})
    assert forged.status_code == 403
    bare = client.post(
        f"/yonetim/kayip-kacak/{cover.id}",
        data={"action": "close", "donem": period, "csrf_token": token},
    )
    assert bare.status_code == 400 and "sahada bulunanı" in bare.text
    for action, note in (("acknowledge", ""), ("close", "klemens mührü yenilendi")):
        done = client.post(
            f"/yonetim/kayip-kacak/{cover.id}",
            data={"action": action, "note": note, "donem": period, "csrf_token": token},
        )
        assert done.status_code == 200
    assert (
        "klemens mührü yenilendi"
        in client.get(f"/yonetim/kayip-kacak?donem={period}&durum=closed").text
    )
    csv = client.get(f"/yonetim/kayip-kacak.csv?donem={period}")
    assert csv.status_code == 200 and POINT in csv.text and "Kapatıldı" in csv.text
    with runtime.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    for action in ("loss_scan", "loss_finding_acknowledged", "loss_finding_closed", "export"):
        assert action in actions


def test_customers_do_not_see_the_worklist(light_world: World) -> None:
    client = TestClient(create_app(light_world.runtime))
    login(client, light_world, "abone")
    assert client.get("/yonetim/kayip-kacak").status_code in (403, 404)
    assert client.get("/yonetim/okuma/1/ham").status_code in (403, 404)

"""The panel's Uyarılar page and preferences (CSRF, audited), the contract power on the
screens with its flag, and the OSOS contact address in the footer."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from osos.alerts import preferences
from osos.alerts.send import run
from osos.alerts.sms import LoggingSms
from osos.domain import UserKind
from osos.identity import accounts, passwords
from osos.runtime import Runtime
from osos.settings import MailSettings
from osos.store import db
from osos.store.models import AuditEntry
from osos.timeutil import FixedClock
from osos.web.app import create_app
from tests.mdm.builders import local
from tests.web.conftest import CHEAP_HASHER, csrf_of

from .world import build

PASSWORD = "Kompanzasyon-2026!"
NOW = local(2026, 10, 3)


@pytest.fixture
def client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, int]]:
    monkeypatch.setattr(passwords, "_HASHER", CHEAP_HASHER)
    runtime.upgrade()
    settings = dataclasses.replace(runtime.settings, mail=MailSettings(contact="osos@edas.example"))
    rt = Runtime(settings, clock=FixedClock(NOW))
    with db.transaction(rt.sessions) as session:
        build(session, local(2026, 10, 1), NOW)
        user = accounts.create_user(
            session, kind=UserKind.ABONE, login="A1", password=PASSWORD, email="a1@example.com"
        )
        run(session, settings, LoggingSms(), NOW)
    with TestClient(create_app(rt)) as c:
        page = c.get("/giris")
        form = {"tip": "abone", "login": "A1", "password": PASSWORD, "next": "/",
                "csrf_token": csrf_of(page.text)}  # fmt: skip
        assert c.post("/giris", data=form, follow_redirects=False).status_code == 303
        yield c, user.id
    rt.close()


def test_the_alerts_page_lists_the_user_s_alerts_and_saves_their_choice(
    client: tuple[TestClient, int], runtime: Runtime
) -> None:
    c, user_id = client
    page = c.get("/uyarilar")
    assert page.status_code == 200
    assert 'data-kind="reactive_inductive" data-level="exceeded"' in page.text
    assert 'data-kind="contract_power"' in page.text and "Ekim 2026" in page.text
    assert 'data-kind="reactive_capacitive"' not in page.text  # B2's, not this user's
    refused = c.post("/uyarilar", data={"frequency": "weekly"})
    assert refused.status_code == 403
    form = {"csrf_token": csrf_of(page.text), "frequency": "weekly", "kind": ["contract_power"]}
    saved = c.post("/uyarilar", data=form)
    assert saved.status_code == 200 and "Kaydedildi" in saved.text
    with db.transaction(runtime.sessions) as session:
        pref = preferences.get(session, user_id)
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "alerts.preferences")
        ).all()
    assert (pref.enabled, pref.frequency) == (False, "weekly")  # "enabled" was not ticked
    assert pref.muted == {"reactive_inductive", "reactive_capacitive"} and len(audited) == 1
    bad = c.post("/uyarilar", data={**form, "sms_phone": "12"})
    assert bad.status_code == 400


def test_the_screens_show_the_contract_power_and_flag_demand_above_it(
    client: tuple[TestClient, int],
) -> None:
    c, _ = client
    page = c.get("/hn/A1/readout")
    assert page.status_code == 200
    assert 'data-testid="contract-power">50 kW' in page.text
    assert 'data-testid="contract-exceeded"' in page.text and "60 kW" in page.text
    assert 'data-testid="osos-contact">osos@edas.example' in page.text
    assert "faturalamaya esas değildir" in page.text

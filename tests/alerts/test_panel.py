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
from osos.domain import OrganisationKind, UserKind
from osos.identity import accounts, passwords
from osos.runtime import Runtime
from osos.settings import MailSettings
from osos.store import db
from osos.store.models import (
    AuditEntry,
    Meter,
    Organisation,
    ServicePoint,
    SupplyPeriod,
    User,
)
from osos.timeutil import FixedClock
from osos.web.app import create_app
from tests.factories import add_readout, local
from tests.web.conftest import CHEAP_HASHER, csrf_of

from .world import build

PASSWORD = "Kompanzasyon-2026!"
NOW = local(2026, 10, 3)  # the data run from 1 September


def logged_in(c: TestClient, tip: str, login: str) -> None:
    page = c.get("/giris")
    form = {"tip": tip, "login": login, "password": PASSWORD, "next": "/",
            "csrf_token": csrf_of(page.text)}  # fmt: skip
    assert c.post("/giris", data=form, follow_redirects=False).status_code == 303


@pytest.fixture
def panel(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """The built month with the alerts run at NOW, the clock at NOW, an Abone for A1 and a
    Tedarikçi supplying A1 from 15 October 12:00 (mid-month)."""
    monkeypatch.setattr(passwords, "_HASHER", CHEAP_HASHER)
    runtime.upgrade()
    settings = dataclasses.replace(runtime.settings, mail=MailSettings(contact="osos@edas.example"))
    rt = Runtime(settings, clock=FixedClock(NOW))
    with db.transaction(rt.sessions) as session:
        build(session, local(2026, 9, 1), NOW)
        accounts.create_user(
            session, kind=UserKind.ABONE, login="A1", password=PASSWORD, email="a1@example.com"
        )
        supplier = Organisation(name="Yeni Enerji A.Ş.", kind=OrganisationKind.SUPPLIER)
        session.add(supplier)
        session.flush()
        a1 = session.scalar(select(ServicePoint).where(ServicePoint.no == "A1"))
        assert a1 is not None
        session.add(SupplyPeriod(service_point_id=a1.id, supplier_id=supplier.id,
                                 valid_from=local(2026, 9, 15, 12)))  # fmt: skip
        accounts.create_user(
            session, kind=UserKind.TEDARIKCI, login="t@yeni.example", password=PASSWORD,
            organisation="Yeni Enerji A.Ş.",
        )  # fmt: skip
        run(session, settings, LoggingSms(), NOW)
    yield rt
    rt.close()


@pytest.fixture
def client(panel: Runtime) -> Iterator[tuple[TestClient, int]]:
    with db.transaction(panel.sessions) as session:
        user_id = session.scalar(select(User.id).where(User.login == "A1"))
    assert user_id is not None
    with TestClient(create_app(panel)) as c:
        logged_in(c, "abone", "A1")
        yield c, user_id


def test_the_alerts_page_lists_the_user_s_alerts_and_saves_their_choice(
    client: tuple[TestClient, int], runtime: Runtime
) -> None:
    c, user_id = client
    page = c.get("/uyarilar")
    assert page.status_code == 200
    assert 'data-kind="reactive_inductive" data-level="exceeded"' in page.text
    assert 'data-kind="contract_power"' in page.text and "Ekim 2026" in page.text
    assert "ay sonu öngörüsü 23,80 %" in page.text and "1.8.1" not in page.text
    assert "T1 24,00 · T2 12,00 · T3 60,00" in page.text
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
    assert 'data-testid="reactive_inductive-alert"' in page.text and "%23,80 / %20,00" in page.text
    assert 'data-testid="reactive_capacitive-alert"' not in page.text
    assert 'data-testid="osos-contact">osos@edas.example' in page.text
    assert "faturalamaya esas değildir" in page.text


def test_a_supplier_since_mid_month_is_told_the_month_is_outside_its_supply(
    panel: Runtime,
) -> None:
    with TestClient(create_app(panel)) as c:
        logged_in(c, "tedarikci", "t@yeni.example")
        september = c.get("/hn/A1/oranlar", params={"ay": "2026-09"})
        assert september.status_code == 200  # the tab is there: it says why, not a 404
        assert 'data-testid="outside-supply"' in september.text
        assert "Eylül 2026 ayının tamamı tedarik döneminizin içinde değil" in september.text
        assert 'data-testid="inductive-ratio"' not in september.text
        october = c.get("/hn/A1/oranlar", params={"ay": "2026-10"})
        assert october.status_code == 200 and 'data-testid="inductive-ratio"' in october.text


def test_the_monthly_page_prints_no_none_names_months_in_turkish_and_flags_demand(
    client: tuple[TestClient, int],
) -> None:
    c, _ = client
    page = c.get("/hn/A1/aylik")
    assert page.status_code == 200
    assert ">None<" not in page.text  # nothing exported: no 2.6.0 time, a dash
    assert "<td>Eylül 2026</td>" in page.text and "2026-09</td>" not in page.text
    assert 'data-testid="over-contract"' in page.text  # 60 kW against a 50 kW contract
    assert 'class="data fit" id="aylik-table"' in page.text  # fits 1366 px (browser test)
    home_en = c.get("/dil/en", params={"next": "/hn/A1/aylik"}, follow_redirects=True)
    assert "<td>September 2026</td>" in home_en.text


def test_ykp_counts_no_future_quarter_as_missing(client: tuple[TestClient, int]) -> None:
    c, _ = client  # the clock stands at 3 October 00:00, read up to then
    page = c.get("/hn/A1/ykp", params={"from": "2026-10-02", "to": "2026-10-03", "step": "15"})
    assert page.status_code == 200
    assert "<strong>96</strong>" in page.text  # the 96 quarters of 2 October, none of the 3rd
    assert 'class="tag missing"' not in page.text


def test_yuk_profili_builds_phases_from_readouts_and_shows_primary_values(
    client: tuple[TestClient, int], panel: Runtime
) -> None:
    c, _ = client
    with db.transaction(panel.sessions) as session:
        meter = session.scalar(select(Meter).where(Meter.serial == "MA1"))
        assert meter is not None
        values = {"32.7.0": "231.2", "52.7.0": "230.8", "72.7.0": "229.9",
                  "31.7.0": "2.50", "51.7.0": "2.40", "71.7.0": "2.60"}  # fmt: skip
        add_readout(session, meter, local(2026, 10, 2, 9), values)
    page = c.get("/hn/A1/yuk-profili", params={"from": "2026-10-02", "to": "2026-10-02"})
    assert page.status_code == 200
    assert 'data-testid="phases-from-readouts"' in page.text  # the profile has none
    assert 'data-testid="secondary-note"' in page.text and "AT oranı 30" in page.text
    assert 'data-testid="primary-a1">75,0<' in page.text  # 2.50 A × CT 30
    assert 'data-testid="primary-v1">231<' in page.text  # VT 1
    rows = (
        c.get(
            "/hn/A1/yuk-profili.csv",
            params={"from": "2026-10-02", "to": "2026-10-02", "veri": "fazlar"},
        )
        .content.decode("utf-8-sig")
        .splitlines()
    )
    assert len(rows) == 2 and "75" in rows[1] and "Readout" in rows[1]

"""The back office's daily work without the command line: every action through the panel with
its CSRF token and audit entry, refused without the token, and refused for non-staff."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from osos.headend.job_finish import finish_job
from osos.headend.jobs import claim_jobs
from osos.sharing.tokens import create_token
from osos.store.db import transaction
from osos.store.models import AuditEntry, ServicePoint
from osos.store.models.sharing import (
    DataConsent,
    DataRequest,
    Delivery,
    DeliveryAlert,
    DeliveryCorrection,
)
from osos.timeutil import QUARTER, local_iso, period_of
from osos.web.app import create_app
from tests.web.conftest import ABONE_SP, GAPS, OTHER_SP, World, csrf_of, login

SUPPLIER = "Boğaziçi Enerji Tedarik A.Ş."  # the demo supplier; OTHER_SP is Trakya Perakende's
OTHER_SUPPLIER = "Trakya Perakende Satış A.Ş."
SERIAL = "30246633"  # the meter of ABONE_SP


def _staff(world: World, kind: str = "operator") -> TestClient:
    client = TestClient(create_app(world.runtime))
    login(client, world, kind)
    return client


def _post(client: TestClient, page: str, target: str, **fields: object) -> object:
    token = csrf_of(client.get(page).text)
    return client.post(target, data={"csrf_token": token, **fields}, follow_redirects=False)


def _actions(world: World) -> list[tuple[str, str, str]]:
    with transaction(world.runtime.sessions) as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(a.action, a.outcome, a.actor) for a in rows]


def _future() -> str:
    return "2099-01-01T00:00"


def test_tokens_created_shown_once_and_revoked(world: World) -> None:
    admin = _staff(world, "admin")
    refused = admin.post("/yonetim/tokenlar", data={"organisation": SUPPLIER})
    assert refused.status_code == 403  # no CSRF token
    created = _post(admin, "/yonetim/tokenlar", "/yonetim/tokenlar", organisation=SUPPLIER)
    assert created.status_code == 200  # type: ignore[attr-defined]
    secret = re.search(r'data-testid="token-secret">(osos_[^<]+)<', created.text)  # type: ignore[attr-defined]
    assert secret and created.headers["Cache-Control"] == "no-store"  # type: ignore[attr-defined]
    listing = admin.get("/yonetim/tokenlar").text
    assert secret.group(1) not in listing and secret.group(1)[:12] in listing
    h = {"Authorization": f"Bearer {secret.group(1)}"}
    assert admin.get("/api/v1/portfolio", headers=h).status_code == 200
    token_id = int(re.findall(r'data-testid="token-(\d+)"', listing)[-1])
    page = admin.get("/yonetim/tokenlar").text
    row = re.search(rf'data-testid="token-{token_id}">(.*?)</tr>', page, re.S)
    assert row and row.group(1).split("</td>")[5].strip() != "<td>—"  # its last use is shown
    operator = _staff(world)
    assert (
        _post(operator, "/yonetim/tokenlar", f"/yonetim/tokenlar/{token_id}/iptal").status_code  # type: ignore[attr-defined]
        == 403
    )  # administrators only
    revoked = _post(admin, "/yonetim/tokenlar", f"/yonetim/tokenlar/{token_id}/iptal")
    assert revoked.status_code == 303  # type: ignore[attr-defined]
    assert admin.get("/api/v1/portfolio", headers=h).status_code == 401
    actions = {a for a, _, _ in _actions(world)}
    assert {"token.create", "token.revoke"} <= actions


def test_consent_priced_request_approve_fulfil_invoice(world: World) -> None:
    with transaction(world.runtime.sessions) as session:
        mine = create_token(session, SUPPLIER, at=world.runtime.clock.now(), created_by="t")
        other = create_token(session, OTHER_SUPPLIER, at=world.runtime.clock.now(), created_by="t")
    client = TestClient(create_app(world.runtime))
    h = {"Authorization": f"Bearer {mine.token}"}
    day = local_iso(world.end - dt.timedelta(days=1))
    assert day
    ask = {"service_point": OTHER_SP, "start": day[:10], "end": local_iso(world.end)[:10]}  # type: ignore[index]
    refused = client.post("/api/v1/requests", headers=h, json=ask)
    # without the customer's consent nothing is taken up; the answer is an unknown point's
    assert refused.status_code == 202 and "consent" in refused.json()["detail"]
    with transaction(world.runtime.sessions) as session:
        assert session.scalars(select(DataRequest)).all() == []
    operator = _staff(world)
    no_csrf = operator.post(
        "/yonetim/izinler",
        data={"service_point": OTHER_SP, "organisation": SUPPLIER, "granted_by": "X"},
    )
    assert no_csrf.status_code == 403
    recorded = _post(
        operator, "/yonetim/izinler", "/yonetim/izinler", service_point=OTHER_SP,
        organisation=SUPPLIER, granted_by="Ergene Enerji (imzalı form 42)",
    )  # fmt: skip
    assert recorded.status_code == 303  # type: ignore[attr-defined]
    asked = client.post("/api/v1/requests", headers=h, json=ask)
    assert asked.status_code == 202, asked.text
    with transaction(world.runtime.sessions) as session:
        rid = session.scalars(select(DataRequest.id)).one()
    assert f'data-testid="request-{rid}"' in operator.get("/yonetim/talepler").text
    # a revoked consent stops the approval, with the reason on the page
    with transaction(world.runtime.sessions) as session:
        consent = session.scalars(select(DataConsent)).one()
        consent_id = consent.id
    _post(operator, "/yonetim/izinler", f"/yonetim/izinler/{consent_id}/iptal")
    no = _post(operator, "/yonetim/talepler", f"/yonetim/talepler/{rid}", action="approve")
    assert no.status_code == 400 and "KVKK" in no.text  # type: ignore[attr-defined]
    _post(
        operator, "/yonetim/izinler", "/yonetim/izinler", service_point=OTHER_SP,
        organisation=SUPPLIER, granted_by="Ergene Enerji",
    )  # fmt: skip
    for action in ("approve", "fulfil"):
        done = _post(operator, "/yonetim/talepler", f"/yonetim/talepler/{rid}", action=action)
        assert done.status_code == 303, action  # type: ignore[attr-defined]
    early = _post(operator, "/yonetim/talepler", f"/yonetim/talepler/{rid}", action="fulfil")
    assert early.status_code == 400  # type: ignore[attr-defined]
    invoiced = _post(
        operator, "/yonetim/talepler", f"/yonetim/talepler/{rid}", action="invoice",
        invoice_no="OSS2026000123",
    )  # fmt: skip
    assert invoiced.status_code == 303  # type: ignore[attr-defined]
    mine_list = client.get("/api/v1/requests", headers=h).json()
    assert mine_list[0]["status"] == "invoiced" and mine_list[0]["invoice_no"] == "OSS2026000123"
    assert operator.get(f"/yonetim/talepler/{rid}/dosya").status_code == 200
    assert client.get(f"/api/v1/requests/{rid}/file", headers=h).status_code == 200
    theirs = {"Authorization": f"Bearer {other.token}"}
    assert client.get(f"/api/v1/requests/{rid}/file", headers=theirs).status_code == 404
    actions = {a for a, _, _ in _actions(world)}
    assert {"consent.record", "consent.revoke", "request.approve", "request.fulfil",
            "request.invoice"} <= actions  # fmt: skip
    supplier = TestClient(create_app(world.runtime))
    login(supplier, world, "tedarikci")
    assert supplier.get("/yonetim/talepler").status_code == 403
    assert supplier.get("/yonetim/izinler").status_code == 403


def test_regulatory_settings_fees_and_calendar(world: World) -> None:
    operator = _staff(world)
    page = "/yonetim/kurallar"
    past = _post(
        operator, page, page, key="reactive", field="inductive_small", value="0.18",
        valid_from="2020-01-01T00:00", reason="EPDK kararı",
    )  # fmt: skip
    assert past.status_code == 400 and "never in the past" in past.text  # type: ignore[attr-defined]
    ok = _post(
        operator, page, page, key="reactive", field="inductive_small", value="0.18",
        valid_from=_future(), reason="EPDK kararı 12345",
    )  # fmt: skip
    assert ok.status_code == 303  # type: ignore[attr-defined]
    assert "EPDK kararı 12345" in operator.get(page).text
    no_csrf = operator.post(page + "/ucret", data={"reason": "other_period", "amount": "1"})
    assert no_csrf.status_code == 403
    fee_past = _post(
        operator, page, page + "/ucret", reason="other_period", amount="200,00",
        valid_from="2020-01-01T00:00", justification="maliyet",
    )  # fmt: skip
    assert fee_past.status_code == 400  # type: ignore[attr-defined]
    fee = _post(
        operator, page, page + "/ucret", reason="other_period", amount="200,00",
        valid_from=_future(), justification="arşiv maliyeti 2099",
    )  # fmt: skip
    assert fee.status_code == 303 and "arşiv maliyeti 2099" in operator.get(page).text  # type: ignore[attr-defined]
    calendar = _post(operator, page, page + "/takvim", period="2099-01", last_day="2099-02-10")
    assert calendar.status_code == 303 and "10.02.2099" in operator.get(page).text  # type: ignore[attr-defined]
    bad = _post(operator, page, page + "/takvim", period="2099-13", last_day="2099-02-10")
    assert bad.status_code == 400  # type: ignore[attr-defined]
    actions = {a for a, _, _ in _actions(world)}
    assert {"regulation.change", "fee.change", "calendar.set"} <= actions


def test_scope_inclusion_and_company_decision(world: World) -> None:
    operator = _staff(world)
    page = "/yonetim/kapsam"
    unknown = _post(operator, page, page + "/talep", service_point="nope", requested_by="A")
    assert unknown.status_code == 400  # type: ignore[attr-defined]
    asked = _post(operator, page, page + "/talep", service_point=OTHER_SP, requested_by="Ergene")
    assert asked.status_code == 303  # type: ignore[attr-defined]
    request_id = re.search(r'action="/yonetim/kapsam/talep/(\d+)"', operator.get(page).text)
    assert request_id
    target = f"{page}/talep/{request_id.group(1)}"
    assert _post(operator, page, target, decision="approve").status_code == 303  # type: ignore[attr-defined]
    assert _post(operator, page, target, decision="reject").status_code == 400  # type: ignore[attr-defined]
    decided = _post(operator, page, page + "/karar", service_point=ABONE_SP, reason="kayıp takibi")
    assert decided.status_code == 303 and "kayıp takibi" in operator.get(page).text  # type: ignore[attr-defined]
    actions = {a for a, _, _ in _actions(world)}
    assert {
        "scope.inclusion_request",
        "scope.inclusion_approve",
        "scope.company_decision",
    } <= actions


def test_read_now_queues_a_job_and_reports_its_progress(world: World) -> None:
    operator = _staff(world)
    page = f"/yonetim/sayac/{SERIAL}"
    assert 'data-testid="read-now"' in operator.get(page).text
    assert operator.post(page + "/oku", data={}).status_code == 403  # no CSRF token
    queued = _post(operator, page, page + "/oku")
    assert queued.status_code == 303  # type: ignore[attr-defined]
    location = queued.headers["location"]  # type: ignore[attr-defined]
    job_id = int(location.rsplit("=", 1)[1])
    assert 'data-read-job="' in operator.get(location).text
    again = _post(operator, page, page + "/oku")  # an open read is not queued twice
    assert again.headers["location"] == location  # type: ignore[attr-defined]
    status = operator.get(f"{page}/okuma/{job_id}").json()
    assert status["state"] == "pending" and not status["finished"]
    assert operator.get(f"/yonetim/sayac/19722233/okuma/{job_id}").status_code == 404
    now = world.runtime.clock.now()
    with transaction(world.runtime.sessions) as session:
        claimed = claim_jobs(session, now, worker="test", limit=10, job_ids=[job_id])
        assert [j.id for j in claimed] == [job_id]
    assert operator.get(f"{page}/okuma/{job_id}").json()["state"] == "running"
    with transaction(world.runtime.sessions) as session:
        finish_job(session, job_id, ok=True, now=now)
    done = operator.get(f"{page}/okuma/{job_id}").json()
    assert done["state"] == "done" and done["finished"] and done["label"] == "Okuma tamamlandı"
    assert any(a == "read_now" for a, _, _ in _actions(world))


def test_estimation_run_review_accept(world: World) -> None:
    operator = _staff(world)
    period = period_of(world.end - max(GAPS) * QUARTER)
    review = operator.get("/yonetim/tahmin", params={"sayac": SERIAL, "donem": period})
    assert review.status_code == 200
    count = int(re.search(r"(\d+) aralık", review.text).group(1))  # type: ignore[union-attr]
    assert count >= 1 and 'data-testid="estimate-rows"' in review.text
    bad = operator.get("/yonetim/tahmin", params={"sayac": "nope", "donem": period})
    assert bad.status_code == 400
    page = f"/yonetim/tahmin?sayac={SERIAL}&donem={period}"
    accepted = _post(operator, page, "/yonetim/tahmin", serial=SERIAL, period=period)
    assert accepted.status_code == 303  # type: ignore[attr-defined]
    after = operator.get(accepted.headers["location"])  # type: ignore[attr-defined]
    assert f"{count} aralık tahmini olarak kaydedildi" in after.text
    assert "Tahmin edilecek eksik aralık yok" in after.text
    assert any(a == "estimate.accept" for a, _, _ in _actions(world))


def test_deliveries_countdowns_alerts_estimates_and_correction_answers(world: World) -> None:
    now = world.runtime.clock.now()
    with transaction(world.runtime.sessions) as session:
        sp = session.scalar(select(ServicePoint.id).where(ServicePoint.no == ABONE_SP))
        assert sp is not None
        due = now + dt.timedelta(hours=2, minutes=5)
        waiting = Delivery(rule=1, service_point_id=sp, period_start=now, status="pending",
                           period_end=now + QUARTER, due_at=due)  # fmt: skip
        sent = Delivery(rule=1, service_point_id=sp, period_start=now - QUARTER, status="sent",
                        period_end=now, due_at=now, sent_at=now, estimated=True)  # fmt: skip
        session.add_all([waiting, sent])
        session.flush()
        session.add(DeliveryAlert(delivery_id=waiting.id, kind="at_risk", raised_at=now,
                                  message="3 intervals not yet read"))  # fmt: skip
        correction = DeliveryCorrection(delivery_id=sent.id, created_at=now, status="pending",
                                        content="{}", content_sha256="0" * 64,
                                        data_sha256="1" * 64, reason="actual came")  # fmt: skip
        session.add(correction)
        session.flush()
        correction_id = correction.id
    operator = _staff(world)
    page = operator.get("/yonetim/teslimler").text
    assert "2 sa 05 dk" in page and "risk altında" in page
    assert "Tahmin içeren teslim: 1" in page and "cevap bekliyor" in page
    no_csrf = operator.post(f"/yonetim/duzeltme/{correction_id}", data={"answer": "approved"})
    assert no_csrf.status_code == 403
    answered = _post(
        operator, "/yonetim/teslimler", f"/yonetim/duzeltme/{correction_id}", answer="approved"
    )
    assert answered.status_code == 303  # type: ignore[attr-defined]
    missing = _post(operator, "/yonetim/teslimler", "/yonetim/duzeltme/999999", answer="approved")
    assert missing.status_code == 404  # type: ignore[attr-defined]
    with transaction(world.runtime.sessions) as session:
        assert session.get(DeliveryCorrection, correction_id).status == "approved"  # type: ignore[union-attr]
    assert any(a == "correction.approved" for a, _, _ in _actions(world))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_list_exports(world: World, fmt: str) -> None:
    operator = _staff(world)
    for name, header in (
        ("iletisim", "Sayaç Seri No"),
        ("bulgular", "Kod"),
        ("teslimler", "Durum"),
        ("hizmet-noktalari", "Hizmet Noktası No"),
        ("basvurular", "Başvuru no"),
        ("kullanicilar", "Kullanıcı adı"),
    ):
        got = operator.get(f"/yonetim/liste/{name}.{fmt}")
        assert got.status_code == 200, name
        assert got.headers["content-disposition"].endswith(f'.{fmt}"')
        if fmt == "csv":
            assert header in got.content.decode("utf-8-sig"), name
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(got.content), read_only=True).active
            assert sheet is not None
            cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
            assert header in cells, name
    points = operator.get(f"/yonetim/liste/hizmet-noktalari.{fmt}", params={"q": "saray"})
    body = points.content if fmt == "csv" else b""
    if fmt == "csv":
        assert ABONE_SP.encode() in body and OTHER_SP.encode() not in body
    assert operator.get(f"/yonetim/liste/nope.{fmt}").status_code == 404
    supplier = TestClient(create_app(world.runtime))
    login(supplier, world, "tedarikci")
    assert supplier.get(f"/yonetim/liste/kullanicilar.{fmt}").status_code == 403
    exported = [a for a, _, _ in _actions(world) if a == "export"]
    assert len(exported) >= 7


def test_customer_grants_and_revokes_consent_in_the_panel(world: World) -> None:
    with transaction(world.runtime.sessions) as session:
        other = create_token(session, OTHER_SUPPLIER, at=world.runtime.clock.now(), created_by="t")
    abone = TestClient(create_app(world.runtime))
    login(abone, world, "abone")
    page = abone.get("/izinlerim")
    assert page.status_code == 200 and ABONE_SP in page.text and OTHER_SP not in page.text
    assert abone.post("/izinlerim", data={"service_point": ABONE_SP}).status_code in (403, 422)
    foreign = _post(
        abone, "/izinlerim", "/izinlerim", service_point=OTHER_SP, organisation=OTHER_SUPPLIER
    )
    assert foreign.status_code == 404  # type: ignore[attr-defined]  # not the customer's point
    api = TestClient(create_app(world.runtime))
    h = {"Authorization": f"Bearer {other.token}"}
    day = (local_iso(world.end - dt.timedelta(days=1)) or "")[:10]
    ask = {"service_point": ABONE_SP, "start": day, "end": (local_iso(world.end) or "")[:10]}

    def taken_up() -> int:
        """How many requests were recorded (the API answers 202 alike: no existence oracle)."""
        assert api.post("/api/v1/requests", headers=h, json=ask).status_code == 202
        with transaction(world.runtime.sessions) as session:
            return len(session.scalars(select(DataRequest.id)).all())

    assert taken_up() == 0
    granted = _post(
        abone, "/izinlerim", "/izinlerim", service_point=ABONE_SP, organisation=OTHER_SUPPLIER
    )
    assert granted.status_code == 303  # type: ignore[attr-defined]
    assert taken_up() == 1
    with transaction(world.runtime.sessions) as session:
        consent = session.scalars(select(DataConsent)).one()
        assert consent.recorded_via == "panel"
        consent_id = consent.id
    revoked = _post(abone, "/izinlerim", f"/izinlerim/{consent_id}/iptal")
    assert revoked.status_code == 303  # type: ignore[attr-defined]
    assert taken_up() == 1
    supplier = TestClient(create_app(world.runtime))
    login(supplier, world, "tedarikci")
    assert supplier.get("/izinlerim").status_code == 404  # only the customer decides
    kurumsal = TestClient(create_app(world.runtime))
    login(kurumsal, world, "kurumsal")
    theirs = _post(kurumsal, "/izinlerim", f"/izinlerim/{consent_id}/iptal")
    assert theirs.status_code == 404  # type: ignore[attr-defined]  # another customer's consent

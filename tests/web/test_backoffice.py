"""Applications with documents, the operator's decisions, the back office pages, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from osos.cli import app as cli
from osos.identity.demo import ensure_demo_users
from osos.store.db import transaction
from osos.store.models import CommLogEntry, Meter, MeterCommStatus
from osos.store.models.web import AccountApplication, OutboxMessage
from osos.web.app import create_app
from tests.web.conftest import ABONE_SP, World, csrf_of, login
from tests.web.data import REGISTRY

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world(light_world: World) -> World:
    return light_world


def _apply(client: TestClient, files: list[tuple[str, bytes, str]], **fields: str) -> object:
    page = client.get("/basvuru")
    assert page.status_code == 200
    data = {"csrf_token": csrf_of(page.text), **fields}
    return client.post("/basvuru", data=data, files=[("documents", (n, c, t)) for n, c, t in files])


def test_application_is_checked_reviewed_and_approved(world: World) -> None:
    applicant = TestClient(create_app(world.runtime))
    fields = {
        "kind": "abone",
        "service_point_nos": "2000104274",
        "contact_name": "Ayşe Yılmaz",
        "email": "ayse@example.com",
        "phone": "0555",
    }
    fake = _apply(applicant, [("kimlik.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")], **fields)
    assert fake.status_code == 400 and "PDF, PNG veya JPEG" in fake.text  # type: ignore[attr-defined]
    big = _apply(applicant, [("b.pdf", PDF + b"0" * (5 * 2**20), "application/pdf")], **fields)
    assert big.status_code == 400  # type: ignore[attr-defined]
    none = _apply(applicant, [], **fields)
    assert none.status_code in (400, 422)  # type: ignore[attr-defined]
    ok = _apply(
        applicant,
        [("kimlik.pdf", PDF, "application/pdf"), ("fatura.png", PNG, "image/png")],
        **fields,
    )
    assert ok.status_code == 200  # type: ignore[attr-defined]
    reference = re.search(r"BSV-\d{8}-[0-9A-F]{6}", ok.text)  # type: ignore[attr-defined]
    assert reference
    with transaction(world.runtime.sessions) as session:
        application = session.scalars(select(AccountApplication)).one()
    assert application.reference == reference.group(0)
    stored = list((world.runtime.settings.home / "uploads" / application.reference).iterdir())
    assert sorted(p.name for p in stored) == ["1.pdf", "2.png"]

    operator = TestClient(create_app(world.runtime))
    login(operator, world, "operator")
    listing = operator.get("/yonetim/basvurular")
    assert application.reference in listing.text
    detail = operator.get(f"/yonetim/basvurular/{application.id}")
    assert "kimlik.pdf" in detail.text
    doc = re.search(r'href="(/yonetim/belge/\d+)"', detail.text)
    assert doc and operator.get(doc.group(1)).content == PDF
    more = operator.post(
        f"/yonetim/basvurular/{application.id}",
        data={
            "decision": "more_info",
            "note": "Vekaletname eksik",
            "csrf_token": csrf_of(detail.text),
        },
        follow_redirects=False,
    )
    assert more.status_code == 303
    approve = operator.post(
        f"/yonetim/basvurular/{application.id}",
        data={"decision": "approve", "note": "", "csrf_token": csrf_of(detail.text)},
        follow_redirects=False,
    )
    assert approve.status_code == 303
    with transaction(world.runtime.sessions) as session:
        mails = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.to_address for m in mails] == ["ayse@example.com"] * 2
    assert "Vekaletname eksik" in mails[0].body
    # a one-time activation link, never a password; the operators' outbox hides its token
    assert "Şifre:" not in mails[1].body and "Kullanıcı adı: 2000104274" in mails[1].body
    link = re.search(r"http://testserver(/sifre-sifirla/[A-Za-z0-9_-]+)", mails[1].body)
    assert link, mails[1].body
    outbox_page = operator.get("/yonetim/giden-posta").text
    assert "Kullanıcı adı: 2000104274" in outbox_page and link.group(1) not in outbox_page
    # the first use of the link sets the password; the link works once
    new = TestClient(create_app(world.runtime))
    form = new.get(link.group(1))
    chosen = "Trakya-Kavak-Zeytin-41"
    fields = {"password": chosen, "password2": chosen, "csrf_token": csrf_of(form.text)}
    done = new.post(link.group(1), data=fields)
    assert done.status_code == 200, done.text
    assert new.post(link.group(1), data=fields).status_code == 400
    page = new.get("/giris")
    response = new.post(
        "/giris",
        data={
            "tip": "abone",
            "login": "2000104274",
            "password": chosen,
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert new.get("/hn/2000104274/readout").status_code == 200
    assert new.get(f"/hn/{ABONE_SP}/readout").status_code == 404
    again = operator.post(
        f"/yonetim/basvurular/{application.id}",
        data={"decision": "reject", "csrf_token": csrf_of(detail.text)},
    )
    assert again.status_code == 400  # already decided


def test_supplier_application_needs_a_company(world: World) -> None:
    client = TestClient(create_app(world.runtime))
    response = _apply(
        client,
        [("yetki.pdf", PDF, "application/pdf")],
        kind="tedarikci",
        contact_name="Ali",
        email="ali@tedarik.example",
    )
    assert response.status_code == 400 and "Firma" in response.text  # type: ignore[attr-defined]


def test_back_office_pages(world: World) -> None:
    with transaction(world.runtime.sessions) as session:
        meter = session.scalars(select(Meter).where(Meter.serial == "30246633")).one()
        now = world.runtime.clock.now()
        session.add(
            CommLogEntry(
                meter_id=meter.id,
                started_at=now - dt.timedelta(minutes=1),
                ended_at=now,
                direction="dial_out",
                purpose="profile",
                outcome="failed",
                error="timeout after 30 s",
                bytes_sent=12,
                bytes_received=0,
                peer="127.0.0.1:41001",
                transcript=b"/?!\r\n",
            )
        )
        session.add(
            MeterCommStatus(
                meter_id=meter.id,
                last_attempt_at=now,
                consecutive_failures=3,
                last_error="timeout after 30 s",
            )
        )
    client = TestClient(create_app(world.runtime))
    login(client, world, "operator")
    home = client.get("/yonetim")
    assert home.status_code == 200 and "timeout after 30 s" in home.text
    assert 'data-testid="coverage"' in home.text
    found = client.get("/yonetim/hizmet-noktalari", params={"q": "saray"})
    assert "2000104137" in found.text and "2000104274" not in found.text
    by_meter = client.get("/yonetim/hizmet-noktalari", params={"q": "30246633"})
    assert "2000104137" in by_meter.text
    meter_page = client.get("/yonetim/sayac/30246633")
    assert "timeout after 30 s" in meter_page.text
    link = re.search(r'href="(/yonetim/iletisim/\d+/transcript)"', meter_page.text)
    assert link and client.get(link.group(1)).text == "/?!\r\n"
    audit_csv = client.get("/yonetim/denetim.csv", params={"sonuc": "ok"})
    assert audit_csv.status_code == 200
    assert audit_csv.content.decode("utf-8-sig").splitlines()[0].startswith("Zaman;Kullanıcı")
    csv_times = [
        dt.datetime.strptime(line.split(";")[0], "%d.%m.%Y %H:%M:%S")
        for line in audit_csv.content.decode("utf-8-sig").splitlines()[1:]
    ]
    audit_xlsx = client.get("/yonetim/denetim.xlsx", params={"sonuc": "ok"})
    sheet = openpyxl.load_workbook(io.BytesIO(audit_xlsx.content), read_only=True).active
    assert sheet is not None
    xlsx_times = [r[0] for r in sheet.iter_rows(min_row=5, values_only=True)]
    # real date-times in Excel, the CSV's (the screen's) times; the CSV's export is one newer
    assert csv_times and xlsx_times[1:] == csv_times
    for path in (
        "/yonetim/bulgular",
        "/yonetim/duzeltmeler",
        "/yonetim/kullanicilar",
        "/yonetim/denetim?sonuc=ok",
        "/yonetim/kayit-aktar",
    ):
        assert client.get(path).status_code == 200, path
    # registry upload: a bad file is refused with row errors, the demo file imports
    form = client.get("/yonetim/kayit-aktar")
    bad = client.post(
        "/yonetim/kayit-aktar",
        data={"csrf_token": csrf_of(form.text)},
        files={"registry": ("r.csv", b"service_point_no;title\n;x\n", "text/csv")},
    )
    assert bad.status_code == 400
    # (the fixture moved one supply start, so the demo file now has one row to skip)
    good = client.post(
        "/yonetim/kayit-aktar",
        data={"csrf_token": csrf_of(form.text), "skip_invalid": "true"},
        files={"registry": ("registry.csv", REGISTRY.read_bytes(), "text/csv")},
    )
    assert good.status_code == 200, good.text[-2000:]
    assert "Aktarım tamamlandı" in good.text
    # an operator may not disable users; an administrator may
    users = client.get("/yonetim/kullanicilar")
    denied = client.post(
        f"/yonetim/kullanicilar/{world.logins['abone'].login}/durum",
        data={"active": "0", "csrf_token": csrf_of(users.text)},
    )
    assert denied.status_code == 403
    admin = TestClient(create_app(world.runtime))
    login(admin, world, "admin")
    page = admin.get("/yonetim/kullanicilar")
    done = admin.post(
        f"/yonetim/kullanicilar/{world.logins['abone'].login}/durum",
        data={"active": "0", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Devre dışı" in admin.get("/yonetim/kullanicilar").text


def test_demo_users_are_idempotent(world: World) -> None:
    with transaction(world.runtime.sessions) as session:
        first = ensure_demo_users(session)
        second = ensure_demo_users(session)
    assert first == second
    assert [d.key for d in first] == [
        "abone", "tedarikci", "utility", "kurumsal", "operator", "admin"
    ]  # fmt: skip
    assert first[2].kind.value == "tedarikci" and first[2].login == "su.demo@osos.local"
    assert first[0].login == ABONE_SP


def test_users_cli(world: World) -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "users",
            "add",
            "--type",
            "kurumsal",
            "--login",
            "Enerji@Firma.example",
            "--organisation",
            "Marmara Cam Sanayi A.Ş.",
            "--password-stdin",
        ],
        input="Cam-Fabrika-2026\n",
    )
    assert added.exit_code == 0, added.output
    assert "enerji@firma.example" in added.output
    weak = runner.invoke(
        cli,
        ["users", "add", "--type", "operator", "--login", "op2@x.example", "--password-stdin"],
        input="short\n",
    )
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output
    wrong_org = runner.invoke(
        cli,
        [
            "users",
            "add",
            "--type",
            "tedarikci",
            "--login",
            "t@x.example",
            "--organisation",
            "Trakya Gıda A.Ş.",
            "--password-stdin",
        ],
        input="Tedarik-Anahtar9\n",
    )
    assert wrong_org.exit_code == 2 and "not a supplier" in wrong_org.output
    unknown_sp = runner.invoke(
        cli,
        ["users", "add", "--type", "abone", "--login", "123", "--password-stdin"],
        input="Abone-Anahtar-99x\n",
    )
    assert unknown_sp.exit_code == 2 and "no service point" in unknown_sp.output
    listing = runner.invoke(cli, ["users", "list"])
    assert "enerji@firma.example" in listing.output and "Marmara Cam" in listing.output
    disabled = runner.invoke(cli, ["users", "disable", "enerji@firma.example"])
    assert disabled.exit_code == 0
    assert "disabled" in runner.invoke(cli, ["users", "list"]).output
    missing = runner.invoke(cli, ["users", "disable", "nobody@x"])
    assert missing.exit_code == 2 and "no account" in missing.output


def test_edits_findings_and_deliveries(world: World) -> None:
    from osos.store.models.mdm import ValidationFinding

    client = TestClient(create_app(world.runtime))
    login(client, world, "operator")
    page = client.get("/yonetim/duzeltmeler")
    form = {
        "serial": "30246633",
        "end_at": "2026-11-01T00:15",
        "obis": "1.8.0",
        "value": "12,5",
        "reason": "",
        "csrf_token": csrf_of(page.text),
    }
    refused = client.post("/yonetim/duzeltmeler", data=form)
    assert refused.status_code == 400 and "reason" in refused.text
    for value, reason in (("12,5", "sayaç değişimi"), ("12,625", "el terminali okuması")):
        done = client.post(
            "/yonetim/duzeltmeler",
            data={**form, "value": value, "reason": reason},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text[-1500:]
    listing = client.get("/yonetim/duzeltmeler")
    assert "el terminali okuması" in listing.text  # the superseded version, with its reason
    with transaction(world.runtime.sessions) as session:
        meter = session.scalars(select(Meter).where(Meter.serial == "30246633")).one()
        finding = ValidationFinding(
            code="gap",
            meter_id=meter.id,
            register="1.8.0",
            start_at=world.runtime.clock.now() - dt.timedelta(hours=2),
            end_at=world.runtime.clock.now(),
            detail="8 intervals",
        )
        session.add(finding)
        session.flush()
        finding_id = finding.id
    findings = client.get("/yonetim/bulgular")
    assert "8 intervals" in findings.text
    resolved = client.post(
        f"/yonetim/bulgular/{finding_id}",
        data={"resolution": "modem değişti", "csrf_token": csrf_of(findings.text)},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    assert "modem değişti" in client.get("/yonetim/bulgular?durum=resolved").text
    assert client.get("/yonetim/teslimler").status_code == 200


def test_every_message_key_is_in_both_catalogues() -> None:
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "src" / "osos" / "web"
    tr = json.loads((root / "i18n" / "tr.json").read_text(encoding="utf-8"))
    en = json.loads((root / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert tr.keys() == en.keys()
    used: set[str] = set()
    for path in [*root.glob("templates/*.html"), *root.glob("**/*.py")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""(?:\b_|\.t)\(\s*["']([a-z0-9_-]+)["']""", text))
    used = {k for k in used if not k.endswith("_")}  # prefixes of the families below
    families = {
        "screen_": ("readout", "ykp", "endeks", "oranlar", "yuk-profili", "aylik"),
        "bo_": (
            "home",
            "points",
            "import",
            "findings",
            "edits",
            "deliveries",
            "applications",
            "users",
            "outbox",
            "audit",
        ),
        "status_": ("all", "submitted", "more_info", "approved", "rejected"),
        "type_": ("abone", "tedarikci", "kurumsal", "operator", "admin"),
        "delivery_": ("late", "at_risk", "backfill", "waiting", "sent", "sent_late"),
        "src_": ("actual", "estimated", "edited", "missing"),
        "comm_": ("dial_out", "dial_in", "none"),
    }
    used |= {prefix + name for prefix, names in families.items() for name in names}
    missing = sorted(k for k in used if k not in tr)
    assert missing == []


def test_lagging_data_is_announced(world: World) -> None:
    from tests.web import data

    with transaction(world.runtime.sessions) as session:
        data.generate(
            session, ABONE_SP, days=1, end=world.runtime.clock.now() - dt.timedelta(days=2)
        )
    client = TestClient(create_app(world.runtime))
    login(client, world, "abone")
    page = client.get(f"/hn/{ABONE_SP}/ykp")
    assert 'data-testid="lagging"' in page.text and "güncellenmedi" in page.text


def test_profile_import_from_the_back_office_reaches_the_screens(world: World) -> None:
    client = TestClient(create_app(world.runtime))
    login(client, world, "operator")
    form = client.get("/yonetim/kayit-aktar")
    profile = (
        b"meter_serial;time;1.8.0\n"
        b"30246633;2026-11-01T00:15;100.000\n"
        b"30246633;2026-11-01T00:30;100.250\n"
    )
    bad = client.post(
        "/yonetim/kayit-aktar",
        data={"csrf_token": csrf_of(form.text), "kind": "profile"},
        files={"registry": ("p.csv", b"meter_serial;time;9.9.9\nx;y;1\n", "text/csv")},
    )
    assert bad.status_code == 400 and "not a profile channel" in bad.text
    done = client.post(
        "/yonetim/kayit-aktar",
        data={"csrf_token": csrf_of(form.text), "kind": "profile"},
        files={"registry": ("profile.csv", profile, "text/csv")},
    )
    assert done.status_code == 200, done.text[-1500:]
    lines = (
        client.get(
            f"/hn/{ABONE_SP}/ykp.csv",
            params={"from": "2026-11-01", "to": "2026-11-01", "step": "15", "to_time": "00:30"},
        )
        .content.decode("utf-8-sig")
        .splitlines()
    )
    assert lines[2].split(";")[:3] == ["01.11.2026 00:15:00", "01.11.2026 00:30:00", "15400,000"]
    assert lines[1].split(";")[-1] == "eksik"  # 00:00–00:15 has no start index


def test_a_supplier_applies_for_its_portfolio(world: World) -> None:
    applicant = TestClient(create_app(world.runtime))
    sent = _apply(
        applicant,
        [("yetki.pdf", PDF, "application/pdf")],
        kind="tedarikci",
        company_name="Boğaziçi Enerji",
        contact_name="Can",
        email="Can@Bogazici.example",
    )
    assert sent.status_code == 200  # type: ignore[attr-defined]
    with transaction(world.runtime.sessions) as session:
        application = session.scalars(select(AccountApplication)).one()
    assert application.login == "can@bogazici.example"
    operator = TestClient(create_app(world.runtime))
    login(operator, world, "operator")
    detail = operator.get(f"/yonetim/basvurular/{application.id}")
    unknown = operator.post(
        f"/yonetim/basvurular/{application.id}",
        data={"decision": "approve", "csrf_token": csrf_of(detail.text)},
    )
    assert unknown.status_code == 400 and "Kuruluş kayıtlarda yok" in unknown.text
    approved = operator.post(
        f"/yonetim/basvurular/{application.id}",
        data={
            "decision": "approve",
            "organisation": "Boğaziçi Enerji Tedarik A.Ş.",
            "csrf_token": csrf_of(detail.text),
        },
        follow_redirects=False,
    )
    assert approved.status_code == 303
    with transaction(world.runtime.sessions) as session:
        mail = session.scalars(select(OutboxMessage)).one()
    link = re.search(r"http://testserver(/sifre-sifirla/[A-Za-z0-9_-]+)", mail.body)
    assert link and "Şifre:" not in mail.body
    supplier = TestClient(create_app(world.runtime))
    form = supplier.get(link.group(1))
    chosen = "Trakya-Kavak-Zeytin-41"
    fields = {"password": chosen, "password2": chosen, "csrf_token": csrf_of(form.text)}
    assert supplier.post(link.group(1), data=fields).status_code == 200
    page = supplier.get("/giris")
    supplier.post(
        "/giris",
        data={
            "tip": "tedarikci",
            "login": "can@bogazici.example",
            "password": chosen,
            "csrf_token": csrf_of(page.text),
        },
    )
    portfolio = supplier.get("/liste.csv").content.decode("utf-8-sig")
    assert ABONE_SP in portfolio and "2000104274" not in portfolio

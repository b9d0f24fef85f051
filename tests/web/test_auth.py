"""Logins, lock-out, throttling, sessions, CSRF, password policy and reset, cookies."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from osos.domain import UserKind
from osos.errors import AccessDenied
from osos.identity import accounts, passwords, sessions
from osos.identity.passwords import hash_password, policy_problems, verify_password
from osos.identity.sessions import LoginFailed
from osos.runtime import Runtime
from osos.store.db import transaction
from osos.store.models.web import OutboxMessage, WebSession
from osos.web.app import create_app
from tests.web.conftest import ABONE_SP, World, csrf_of, login


@pytest.fixture
def world(light_world: World) -> World:
    return light_world


@pytest.fixture
def client(world: World) -> TestClient:
    return TestClient(create_app(world.runtime))


def _post_login(client: TestClient, tip: str, user: str, password: str) -> object:
    page = client.get("/giris")
    return client.post(
        "/giris",
        data={"tip": tip, "login": user, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


def test_login_page_offers_the_three_types(client: TestClient) -> None:
    page = client.get("/giris")
    assert page.status_code == 200
    for text in ("Giriş Tipi", "Abone", "Tedarikçi", "Kurumsal", 'name="csrf_token"'):
        assert text in page.text
    assert "faturalamaya esas değildir" in page.text
    english = client.get("/giris", cookies={"osos_lang": "en"})
    assert "Login type" in english.text


def test_each_kind_logs_in_with_its_type_only(world: World, client: TestClient) -> None:
    abone = world.logins["abone"]
    wrong_type = _post_login(client, "kurumsal", abone.login, abone.password)
    assert wrong_type.status_code == 401  # type: ignore[attr-defined]
    right = _post_login(client, "abone", abone.login, abone.password)
    assert right.status_code == 303  # type: ignore[attr-defined]
    assert right.headers["location"] == "/"  # type: ignore[attr-defined]
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == f"/hn/{ABONE_SP}/readout"  # one point: straight to it
    for kind in ("tedarikci", "kurumsal", "operator", "admin"):
        other = TestClient(create_app(world.runtime))
        login(other, world, kind)
        assert other.get("/").status_code == 200


def test_session_cookie_flags(world: World, client: TestClient) -> None:
    demo = world.logins["abone"]
    response = _post_login(client, "abone", demo.login, demo.password)
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "osos_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http in tests
    secure = TestClient(create_app(world.runtime), base_url="https://panel.test")
    page = secure.get("/giris")
    response = secure.post(
        "/giris",
        data={
            "tip": "abone",
            "login": demo.login,
            "password": demo.password,
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert "Secure" in response.headers["set-cookie"]
    assert page.headers["x-frame-options"] == "DENY"
    # in production always Secure, even when a proxy hides the scheme
    production = Runtime(dataclasses.replace(world.runtime.settings, environment="production"))
    try:
        behind_proxy = TestClient(create_app(production))
        page = behind_proxy.get("/giris")
        assert "Secure" in page.headers["set-cookie"]  # the CSRF cookie
        response = behind_proxy.post(
            "/giris",
            data={
                "tip": "abone",
                "login": demo.login,
                "password": demo.password,
                "csrf_token": csrf_of(page.text),
            },
            cookies={"osos_csrf": page.cookies["osos_csrf"]},
            follow_redirects=False,
        )
        assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]
    finally:
        production.close()


def _auth(world: World, login: str, password: str, ip: str, now: dt.datetime) -> object:
    """One login attempt: the user, or the refusal (an exception instance)."""
    with transaction(world.runtime.sessions) as session:
        try:
            return sessions.authenticate(
                session, kinds=(UserKind.KURUMSAL,), login=login, password=password, ip=ip, now=now
            )
        except AccessDenied as exc:
            return exc


def test_no_lock_out_but_a_growing_delay_per_login_and_address(world: World) -> None:
    demo, limits = world.logins["kurumsal"], sessions.DEFAULT_LIMITS
    now = world.runtime.clock.now()
    for _ in range(limits.max_failures):
        assert isinstance(_auth(world, demo.login, "wrong-Password1", "10.0.0.1", now), LoginFailed)
    held = _auth(world, demo.login, demo.password, "10.0.0.1", now)  # the right password waits…
    assert isinstance(held, sessions.Throttled) and held.wait == limits.delay
    # …but not from the customer's own address: nobody can lock a customer out
    assert not isinstance(_auth(world, demo.login, demo.password, "10.0.0.2", now), Exception)
    waits = []
    for _ in range(4):  # each further failure doubles the wait
        now += dt.timedelta(seconds=1) + limits.delay * 2 ** len(waits)
        assert isinstance(_auth(world, demo.login, "wrong-Password1", "10.0.0.1", now), LoginFailed)
        refused = _auth(world, demo.login, "wrong-Password1", "10.0.0.1", now)
        assert isinstance(refused, sessions.Throttled)
        waits.append(refused.wait)
    assert waits == [limits.delay * 2, limits.delay * 4, limits.delay * 8, limits.delay * 16]
    now += waits[-1]
    assert not isinstance(_auth(world, demo.login, demo.password, "10.0.0.1", now), Exception)


def test_known_unknown_and_waiting_logins_answer_alike(
    world: World, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same status and message, and the same work: one Argon2 verification on every path."""
    verified: list[int] = []
    real = passwords._HASHER

    class Counting:
        def verify(self, hashed: str, password: str) -> bool:
            verified.append(1)
            return real.verify(hashed, password)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(passwords, "_HASHER", Counting())
    demo = world.logins["kurumsal"]

    def attempt(user: str, password: str = "wrong-Password1") -> tuple[int, str, int]:
        before = len(verified)
        answer = _post_login(client, "kurumsal", user, password)
        error = re.search(r'role="alert">([^<]+)<', answer.text)  # type: ignore[attr-defined]
        message = error.group(1) if error else ""
        return answer.status_code, message, len(verified) - before  # type: ignore[attr-defined]

    limit = sessions.DEFAULT_LIMITS.max_failures
    known = [attempt(demo.login) for _ in range(limit)] + [attempt(demo.login, demo.password)]
    unknown = [attempt("nobody@example.com") for _ in range(limit + 1)]
    assert known == unknown
    assert [k[0] for k in known] == [401] * limit + [429] and known[0][1] and known[-1][1]
    assert {k[2] for k in known} == {1}


def test_many_failures_from_one_address_are_throttled(world: World) -> None:
    with transaction(world.runtime.sessions) as session:
        for n in range(sessions.DEFAULT_LIMITS.ip_max_failures):
            with pytest.raises(sessions.LoginFailed):
                sessions.authenticate(
                    session,
                    kinds=(UserKind.ABONE,),
                    login=f"nobody{n}",
                    password="x",
                    ip="10.0.0.9",
                )
        with pytest.raises(sessions.Throttled):
            sessions.authenticate(
                session,
                kinds=(UserKind.ABONE,),
                login=world.logins["abone"].login,
                password=world.logins["abone"].password,
                ip="10.0.0.9",
            )


def test_the_app_throttles_by_its_configured_limits(world: World) -> None:
    settings = world.runtime.settings
    limits = dataclasses.replace(settings.web.login, max_failures=2, ip_max_failures=4)
    web = dataclasses.replace(settings.web, login=limits)
    runtime = Runtime(dataclasses.replace(settings, web=web), clock=world.runtime.clock)
    client = TestClient(create_app(runtime))
    demo = world.logins["kurumsal"]
    assert _post_login(client, "kurumsal", demo.login, "wrong-Password1").status_code == 401  # type: ignore[attr-defined]
    assert _post_login(client, "kurumsal", demo.login, "wrong-Password1").status_code == 401  # type: ignore[attr-defined]
    waiting = _post_login(client, "kurumsal", demo.login, demo.password)
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "2"  # type: ignore[attr-defined]
    assert _post_login(client, "abone", "nobody1", "x").status_code == 401  # type: ignore[attr-defined]
    assert _post_login(client, "abone", "nobody2", "x").status_code == 401  # type: ignore[attr-defined]
    abone = world.logins["abone"]
    throttled = _post_login(client, "abone", abone.login, abone.password)
    assert throttled.status_code == 429  # type: ignore[attr-defined]


def test_session_expires_when_idle_and_on_logout(world: World, client: TestClient) -> None:
    login(client, world, "abone")
    assert client.get(f"/hn/{ABONE_SP}/readout").status_code == 200
    with transaction(world.runtime.sessions) as session:
        session.execute(
            update(WebSession).values(
                expires_at=world.runtime.clock.now() - dt.timedelta(seconds=1)
            )
        )
    expired = client.get(f"/hn/{ABONE_SP}/readout", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"].startswith("/giris")
    assert "oturumunuzun süresi doldu" in client.get(expired.headers["location"]).text.lower()
    with transaction(world.runtime.sessions) as session:
        assert session.scalars(select(WebSession)).all() == []  # the expired row is gone
    login(client, world, "abone")
    page = client.get(f"/hn/{ABONE_SP}/readout")
    out = client.post("/cikis", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get(f"/hn/{ABONE_SP}/readout", follow_redirects=False).status_code == 303


def test_sessions_slide_and_have_an_absolute_limit(world: World) -> None:
    now = world.runtime.clock.now()
    with transaction(world.runtime.sessions) as session:
        user = accounts.find_user(session, world.logins["abone"].login)
        assert user is not None
        token, _ = sessions.open_session(session, user, ip="t", max_age_s=600, now=now)
        later = now + dt.timedelta(seconds=500)
        slid = sessions.load_session(session, token, max_age_s=600, now=later)
        assert slid is not None and slid.expires_at == later + dt.timedelta(seconds=600)
        assert (
            sessions.load_session(
                session, token, max_age_s=600, now=later + dt.timedelta(seconds=601)
            )
            is None
        )
        token2, _ = sessions.open_session(session, user, ip="t", max_age_s=600, now=now)
        t = now
        while t < now + sessions.DEFAULT_LIMITS.session_absolute - dt.timedelta(minutes=5):
            t += dt.timedelta(minutes=5)
            assert sessions.load_session(session, token2, max_age_s=600, now=t) is not None
        assert (
            sessions.load_session(session, token2, max_age_s=600, now=t + dt.timedelta(minutes=5))
            is None
        )


def test_disabled_account_loses_its_sessions(world: World, client: TestClient) -> None:
    login(client, world, "abone")
    with transaction(world.runtime.sessions) as session:
        accounts.set_active(session, world.logins["abone"].login, False)
    assert client.get(f"/hn/{ABONE_SP}/readout", follow_redirects=False).status_code == 303


def test_every_form_needs_its_csrf_token(world: World, client: TestClient) -> None:
    demo = world.logins["abone"]
    no_token = client.post(
        "/giris", data={"tip": "abone", "login": demo.login, "password": demo.password}
    )
    assert no_token.status_code == 403
    page = client.get("/giris")
    forged = client.post(
        "/giris",
        data={
            "tip": "abone",
            "login": demo.login,
            "password": demo.password,
            "csrf_token": "forged",
        },
    )
    assert forged.status_code == 403
    # a token without its cookie (another browser) is refused too
    other = TestClient(create_app(world.runtime))
    stolen = other.post(
        "/giris",
        data={
            "tip": "abone",
            "login": demo.login,
            "password": demo.password,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert stolen.status_code == 403
    assert client.post("/sifre-sifirla", data={"login": demo.login}).status_code == 403
    assert client.post("/basvuru", data={"kind": "abone"}).status_code == 403
    login(client, world, "admin")
    assert client.post("/cikis").status_code == 403
    assert (
        client.post(f"/yonetim/kullanicilar/{demo.login}/durum", data={"active": "0"}).status_code
        == 403
    )
    # after logging in, the anonymous token no longer works: forms carry the session's
    assert client.post("/cikis", data={"csrf_token": csrf_of(page.text)}).status_code == 403


def test_password_policy_and_hashing() -> None:
    assert policy_problems("kisa1") == ["pw_too_short"]
    assert "pw_letters_digits" in policy_problems("onlyletterslong")
    assert "pw_contains_login" in policy_problems("ali.veli2026x", "ali.veli@firma.com")
    assert "pw_common" in policy_problems("password1234")
    assert policy_problems("Demo2026!abone", "2000104137") == []
    hashed = hash_password("Demo2026!abone")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "Demo2026!abone")
    assert not verify_password(hashed, "Demo2026!abonE")
    assert not verify_password("not-a-hash", "x")


def test_password_reset_by_time_limited_link(world: World, client: TestClient) -> None:
    demo = world.logins["tedarikci"]
    page = client.get("/sifre-sifirla")
    sent = client.post(
        "/sifre-sifirla", data={"login": demo.login, "csrf_token": csrf_of(page.text)}
    )
    assert sent.status_code == 200
    unknown = client.post(
        "/sifre-sifirla", data={"login": "x@y.z", "csrf_token": csrf_of(page.text)}
    )
    assert unknown.text == sent.text  # no hint which logins exist
    with transaction(world.runtime.sessions) as session:
        mail = session.scalars(select(OutboxMessage)).one()
    assert mail.to_address == demo.login and mail.sent_at is None  # no SMTP: kept
    link = re.search(r"http://testserver(/sifre-sifirla/\S+)", mail.body)
    assert link
    form = client.get(link.group(1))
    weak = client.post(
        link.group(1),
        data={"password": "short", "password2": "short", "csrf_token": csrf_of(form.text)},
    )
    assert weak.status_code == 400 and "10 karakter" in weak.text
    done = client.post(
        link.group(1),
        data={
            "password": "Gunes-Dogan-2027",
            "password2": "Gunes-Dogan-2027",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert done.status_code == 200
    reused = client.post(
        link.group(1),
        data={
            "password": "Ay-Isigi-2028x",
            "password2": "Ay-Isigi-2028x",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert reused.status_code == 400  # single use
    assert _post_login(client, "tedarikci", demo.login, "Gunes-Dogan-2027").status_code == 303  # type: ignore[attr-defined]
    with transaction(world.runtime.sessions) as session:
        created = sessions.create_reset_token(
            session, demo.login, now=world.runtime.clock.now() - sessions.RESET_VALID
        )
        assert created is not None
        with pytest.raises(accounts.AccountError):
            sessions.reset_password(session, created[0], "Gec-Kalan-2029")


def test_open_redirect_is_refused(world: World, client: TestClient) -> None:
    demo = world.logins["abone"]
    page = client.get("/giris")
    response = client.post(
        "/giris",
        data={
            "tip": "abone",
            "login": demo.login,
            "password": demo.password,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_expired_sessions_and_old_attempts_are_cleaned_up(world: World) -> None:
    now = world.runtime.clock.now()
    with transaction(world.runtime.sessions) as session:
        user = accounts.find_user(session, world.logins["abone"].login)
        assert user is not None
        sessions.open_session(session, user, ip="t", max_age_s=600, now=now)
        sessions.open_session(session, user, ip="t", max_age_s=600, now=now + dt.timedelta(hours=1))
        assert len(session.scalars(select(WebSession)).all()) == 1
        for minutes in (60, 0):
            with pytest.raises(sessions.LoginFailed):
                sessions.authenticate(
                    session,
                    kinds=(UserKind.ABONE,),
                    login="nobody",
                    password="x",
                    ip="10.1.1.1",
                    now=now - dt.timedelta(minutes=minutes),
                )
        from osos.store.models.web import LoginAttempt

        assert len(session.scalars(select(LoginAttempt)).all()) == 1


def test_security_headers_and_request_size(client: TestClient) -> None:
    page = client.get("/giris")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers
    assert client.get("/openapi.json").status_code == 200
    huge = client.post("/basvuru", headers={"content-length": str(61 * 2**20)}, content=b"")
    assert huge.status_code == 413


def test_a_user_changes_its_own_password(world: World, client: TestClient) -> None:
    demo = world.logins["kurumsal"]
    login(client, world, "kurumsal")
    other = TestClient(create_app(world.runtime))
    login(other, world, "kurumsal")
    page = client.get("/sifre-degistir")
    wrong = client.post(
        "/sifre-degistir",
        data={
            "current": "nope",
            "password": "Yepyeni-Anahtar7",
            "password2": "Yepyeni-Anahtar7",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert wrong.status_code == 400 and "Mevcut şifre hatalı" in wrong.text
    done = client.post(
        "/sifre-degistir",
        data={
            "current": demo.password,
            "password": "Yepyeni-Anahtar7",
            "password2": "Yepyeni-Anahtar7",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert done.status_code == 200 and "değiştirildi" in done.text
    assert client.get("/", follow_redirects=False).status_code == 200  # this session stays
    assert other.get("/", follow_redirects=False).status_code == 303  # the other one ended
    fresh = TestClient(create_app(world.runtime))
    assert _post_login(fresh, "kurumsal", demo.login, "Yepyeni-Anahtar7").status_code == 303  # type: ignore[attr-defined]

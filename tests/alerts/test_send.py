"""``alerts run`` through a real SMTP server: once per level, daily or weekly, switch-off."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from osos.alerts import preferences
from osos.alerts.send import run
from osos.alerts.sms import LoggingSms
from osos.domain import UserKind
from osos.runtime import Runtime
from osos.settings import MailSettings
from osos.store import db
from osos.store.models import ServicePoint
from osos.store.models.alerts import Alert, AlertSend
from osos.timeutil import DAY, FixedClock
from tests.factories import local

from .smtp import Inbox, smtp_server
from .world import REACTIVE, build, run_profile, user


@pytest.fixture
def mailed(runtime: Runtime) -> Iterator[tuple[Runtime, Inbox]]:
    runtime.upgrade()
    with smtp_server() as (url, inbox):
        settings = dataclasses.replace(runtime.settings, mail=MailSettings(smtp_url=url))
        yield Runtime(settings, clock=runtime.clock), inbox


def _run(rt: Runtime, at: dt.datetime, sms: LoggingSms) -> tuple[int, int]:
    clocked = Runtime(rt.settings, clock=FixedClock(at))
    try:
        with db.transaction(clocked.sessions) as session:
            summary = run(session, clocked.settings, sms, at)
    finally:
        clocked.close()
    return summary.raised, summary.emails


def test_alerts_are_mailed_once_per_level_as_each_user_chose(
    mailed: tuple[Runtime, Inbox],
) -> None:
    rt, inbox = mailed
    start, first = local(2026, 10, 1), local(2026, 10, 3)
    sms = LoggingSms()
    with db.transaction(rt.sessions) as session:
        built = build(session, start, first)
        sp = {s.no: s for s in session.scalars(select(ServicePoint))}
        user(session, "A1", UserKind.ABONE, [sp["A1"]], "a1@example.com")
        b2 = user(session, "B2", UserKind.ABONE, [sp["B2"]], "b2@example.com")
        off = user(session, "A1-off", UserKind.ABONE, [sp["A1"]], "off@example.com")
        weekly = user(session, "B2-weekly", UserKind.ABONE, [sp["B2"]], "w@example.com")
        preferences.save(session, off.id, enabled=False, frequency="daily", actor="A1-off")
        preferences.save(session, weekly.id, enabled=True, frequency="weekly", actor="w")
        preferences.save(session, b2.id, enabled=True, frequency="daily",
                         sms_phone="+905321234567", actor="B2")  # fmt: skip

    assert _run(rt, first, sms) == (3, 3)  # A1 inductive + contract, B2 capacitive close
    [a1] = inbox.to("a1@example.com")
    [body] = inbox.bodies("a1@example.com")
    assert "Endüktif reaktif oranı: sınır aşıldı" in body and "23.80 % / 20 %" in body
    assert (
        "ay sonu öngörüsü 23.80 %" in body
        and "fazla 55.2000 kvarh" in body
        and "önerilen kompanzasyon 5 kvar" in body
    )
    assert "Sözleşme gücü aşımı" in body and a1["Subject"] == "OSOS uyarıları (2)"
    assert "Kapasitif reaktif oranı: sınıra yakın" in inbox.bodies("b2@example.com")[0]
    assert inbox.to("off@example.com") == []  # switched off
    assert len(sms.sent) == 1 and sms.sent[0][0] == "+905321234567"

    assert _run(rt, first + dt.timedelta(hours=1), sms) == (0, 0)  # nothing new, not due
    assert _run(rt, first + DAY, sms) == (0, 0)  # due, but every alert was sent once

    # B2's capacitive energy climbs over 15 %: the next level is raised and sent once more
    with db.transaction(rt.sessions) as session:
        meter, last = built["B2"]
        run_profile(session, session.merge(meter), first, first + DAY,
                    {**REACTIVE["B2"], "8.8.0": Decimal("0.300")}, initial=last)  # fmt: skip
    raised, emails = _run(rt, first + DAY, sms)
    assert (raised, emails) == (1, 1)  # the weekly user waits for its week
    assert "sınır aşıldı" in inbox.bodies("b2@example.com")[1]
    assert len(inbox.to("w@example.com")) == 1
    assert _run(rt, first + 7 * DAY, sms)[1] == 1  # its week is over: the exceeded one
    assert "sınır aşıldı" in inbox.bodies("w@example.com")[1]
    with db.transaction(rt.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 4
        sends = session.scalars(select(AlertSend).where(AlertSend.channel == "email")).all()
        assert len(sends) == len({(s.alert_id, s.user_id) for s in sends}) == 6
        assert all(s.outbox_id is not None for s in sends)


def test_the_http_sms_gateway_gets_json_and_a_failure_is_an_oserror() -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from osos.alerts.sms import HttpSms, sms_sender

    got: list[dict[str, str]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200 if self.path == "/ok" else 500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        sender = sms_sender(base + "/ok")
        assert isinstance(sender, HttpSms)
        sender.send("+905321234567", "OSOS: A1 sınır aşıldı")
        assert got == [{"to": "+905321234567", "text": "OSOS: A1 sınır aşıldı"}]
        with pytest.raises(OSError):
            HttpSms(base + "/down").send("+905321234567", "x")
        assert isinstance(sms_sender(""), LoggingSms)
    finally:
        server.shutdown()

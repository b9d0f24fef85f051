"""Quotas of the anonymous forms, per address and in the database (issue 12, item 5): password
resets per hour (per address and per login, known or not), applications and their uploads
(count and bytes) per day; refused with 429 and Retry-After; on both databases."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from osos.runtime import Runtime
from osos.settings import AbuseLimits
from osos.store.db import transaction
from osos.store.models.web import AccountApplication, OutboxMessage
from osos.web.app import create_app
from tests.web.conftest import World, csrf_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FIELDS = {
    "kind": "abone",
    "service_point_nos": "2000104274",
    "contact_name": "Ayşe Yılmaz",
    "email": "ayse@example.com",
}


def _client(world: World, abuse: AbuseLimits) -> TestClient:
    settings = world.runtime.settings
    web = dataclasses.replace(settings.web, abuse=abuse)
    return TestClient(
        create_app(Runtime(dataclasses.replace(settings, web=web), clock=world.runtime.clock))
    )


def _count(world: World, table: type) -> int:
    with transaction(world.runtime.sessions) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_password_resets_are_limited_per_address_and_login(world: World) -> None:
    client = _client(world, AbuseLimits(resets_per_hour=2))
    token = csrf_of(client.get("/sifre-sifirla").text)
    known = world.logins["abone"].login

    def reset(login: str) -> int:
        data = {"csrf_token": token, "login": login}
        return client.post("/sifre-sifirla", data=data).status_code

    assert [reset(known), reset("nobody@example.com")] == [200, 200]
    refused = client.post("/sifre-sifirla", data={"csrf_token": token, "login": known})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert _count(world, OutboxMessage) == 1  # the refused one sent nothing


def test_applications_and_uploads_are_limited_per_address(world: World) -> None:
    client = _client(
        world, AbuseLimits(applications_per_day=2, uploads_per_day=4, upload_bytes_per_day=2**20)
    )
    token = csrf_of(client.get("/basvuru").text)

    def apply(*documents: bytes) -> int:
        files = [
            ("documents", (f"d{i}.pdf", d, "application/pdf")) for i, d in enumerate(documents)
        ]
        return client.post(
            "/basvuru", data={"csrf_token": token, **FIELDS}, files=files
        ).status_code

    assert apply(PDF, PDF) == 200
    big = PDF + b"0" * (2**20 - 2 * len(PDF))  # today's bytes would pass 1 MiB
    assert apply(big) == 429
    assert apply(PDF, PDF, PDF) == 429  # five documents today: over four
    assert apply(PDF, PDF) == 200
    assert apply(PDF) == 429  # the third application today (refused uses are not counted)
    assert _count(world, AccountApplication) == 2

"""A meter's readouts belong to a service point only while it is installed there: after a move,
the earlier readouts do not reach the new point's Readout screen, its API readouts or a paid
file of it (the read model bounds every read by the installations)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from osos.runtime import Runtime
from osos.store.db import transaction
from osos.web.app import create_app
from tests.web.moved import AFTER, BEFORE, Moved, build, log_in


@pytest.fixture
def moved(runtime: Runtime) -> Moved:
    return build(runtime)


@pytest.fixture
def client(moved: Moved) -> Iterator[TestClient]:
    with TestClient(create_app(moved.runtime)) as c:
        yield c


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_the_readout_screen_shows_only_readouts_taken_there(
    moved: Moved, client: TestClient
) -> None:
    assert log_in(client, "B1") == 303
    page = client.get("/hn/B1/readout")
    assert page.status_code == 200
    assert "200,5" in page.text and "100,5" not in page.text
    assert f"?id={moved.after_id}" in page.text and f"?id={moved.before_id}" not in page.text
    rows = _csv(client.get("/hn/B1/readout.csv").content)
    assert [r[0] for r in rows[1:]] == ["8.0"] and rows[1][3] == "200,5"
    assert client.get("/hn/B1/readout", params={"id": moved.before_id}).status_code == 404
    assert client.get("/hn/B1/readout.csv", params={"id": moved.before_id}).status_code == 404
    assert client.get("/hn/A1/readout").status_code == 404  # not the subscriber's point


def test_the_api_gives_only_readouts_taken_there(moved: Moved, client: TestClient) -> None:
    for token in (moved.token, moved.supplier_token):  # B1 is theirs since before the move
        got = client.get(
            "/api/v1/service-points/B1/readouts",
            params={"start": "2026-10-01", "end": "2026-11-01"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert got.status_code == 200, got.text
        assert [(r["read_at"], r["value"]) for r in got.json()] == [
            ("2026-10-20T09:00:00", "00200.5")
        ]
    earlier = client.get(
        "/api/v1/service-points/A1/readouts",
        params={"start": "2026-10-01", "end": "2026-11-01"},
        headers={"Authorization": f"Bearer {moved.token}"},
    )
    assert [r["read_at"] for r in earlier.json()] == ["2026-10-10T09:00:00"]


def test_a_paid_file_holds_only_readouts_taken_there(moved: Moved, client: TestClient) -> None:
    from osos.sharing.requests import decide_request, fulfil_request

    h = {"Authorization": f"Bearer {moved.token}"}
    body = {"service_point": "B1", "start": "2026-10-01", "end": "2026-11-01", "format": "csv"}
    asked = client.post("/api/v1/requests", headers=h, json=body)
    assert asked.status_code == 201 and asked.json()["reason"] == "utility_meter"
    rid = asked.json()["id"]
    with transaction(moved.runtime.sessions) as s:
        decide_request(s, rid, approve=True, by="operator", at=AFTER)
        fulfil_request(s, rid, at=AFTER)
    got = client.get(f"/api/v1/requests/{rid}/file", headers=h)
    assert got.status_code == 200
    rows = _csv(got.content)
    assert rows[0] == ["Okuma zamanı", "OBIS", "Değer", "Birim"]
    assert [r[:3] for r in rows[1:]] == [["20.10.2026 09:00:00", "8.0", "200,5"]]
    assert BEFORE.isoformat() not in got.text and "100,5" not in got.text

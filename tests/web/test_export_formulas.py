"""Text that a spreadsheet would run as a formula never runs from an osos file: a registry title,
a meter's unit and a failed login's name reach the panel's, the back office's and the API's
files as text — with Excel's quote prefix in XLSX, an apostrophe in CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient

from osos.runtime import Runtime
from osos.store.db import transaction
from osos.web.app import create_app
from tests.web.moved import AFTER, OPERATOR, TITLE, UNIT, Moved, build, log_in

LOGIN_ATTACK = "=cmd|' /C calc'!A0"


@pytest.fixture
def moved(runtime: Runtime) -> Moved:
    return build(runtime)


@pytest.fixture
def client(moved: Moved) -> Iterator[TestClient]:
    with TestClient(create_app(moved.runtime)) as c:
        yield c


def _csv_cells(content: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";")
    return [cell for row in rows for cell in row]


def _xlsx_cells(content: bytes) -> list[openpyxl.cell.cell.Cell]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [cell for row in sheet.iter_rows() for cell in row]


def _neutralised(content_csv: bytes, content_xlsx: bytes, text: str) -> None:
    assert "'" + text in _csv_cells(content_csv)
    assert text not in _csv_cells(content_csv)
    cells = [c for c in _xlsx_cells(content_xlsx) if c.value == text]
    assert cells, text
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_a_registry_title_in_the_list_of_points(client: TestClient) -> None:
    assert log_in(client, "B1") == 303
    _neutralised(client.get("/liste.csv").content, client.get("/liste.xlsx").content, TITLE)


def test_a_meters_unit_in_the_readout_file_and_the_paid_file(
    moved: Moved, client: TestClient
) -> None:
    from osos.sharing.requests import decide_request, fulfil_request

    assert log_in(client, "B1") == 303
    _neutralised(
        client.get("/hn/B1/readout.csv").content, client.get("/hn/B1/readout.xlsx").content, UNIT
    )
    h = {"Authorization": f"Bearer {moved.token}"}
    files = {}
    for fmt in ("csv", "xlsx"):
        body = {"service_point": "B1", "start": "2026-10-01", "end": "2026-11-01", "format": fmt}
        rid = client.post("/api/v1/requests", headers=h, json=body).json()["id"]
        with transaction(moved.runtime.sessions) as s:
            decide_request(s, rid, approve=True, by="operator", at=AFTER)
            fulfil_request(s, rid, at=AFTER)
        files[fmt] = client.get(f"/api/v1/requests/{rid}/file", headers=h).content
    _neutralised(files["csv"], files["xlsx"], UNIT)


def test_a_failed_login_name_in_the_audit_export(client: TestClient) -> None:
    assert log_in(client, LOGIN_ATTACK, password="wrong-password-1") == 401
    assert log_in(client, OPERATOR, tip="personel") == 303
    _neutralised(
        client.get("/yonetim/denetim.csv").content,
        client.get("/yonetim/denetim.xlsx").content,
        LOGIN_ATTACK,
    )

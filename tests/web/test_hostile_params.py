"""Out-of-range and hostile query parameters on every screen of the panel: the default
applies or a 4xx answers, never a 500 (issue 12, item 8), on both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from osos.web.app import create_app
from osos.web.screens.registry import NAMES
from tests.web.conftest import ABONE_SP, World, login

HOSTILE = (
    "0001-01-01", "9999-12-31", "2200-12-31", "0001-01", "2200-12", "99999999999999999999999",
    "²٣", "\x00", "x" * 5000,
)  # fmt: skip
PARAMS = ("from", "to", "ay", "id")


@pytest.fixture(scope="module")
def client(shared_world: World) -> TestClient:
    c = TestClient(create_app(shared_world.runtime), raise_server_exceptions=False)
    login(c, shared_world, "operator")
    return c


@pytest.mark.parametrize("screen", NAMES)
def test_no_screen_answers_500(client: TestClient, screen: str) -> None:
    answers = {
        (name, value): client.get(f"/hn/{ABONE_SP}/{screen}", params={name: value}).status_code
        for name in PARAMS
        for value in HOSTILE
    }
    failed = {k: v for k, v in answers.items() if v >= 500}
    assert not failed, failed
    assert set(answers.values()) <= {200, 400, 404}


def test_no_export_or_list_answers_500(client: TestClient) -> None:
    for value in HOSTILE:
        for path in ("/", "/liste.csv", "/yonetim/hizmet-noktalari", "/yonetim/denetim"):
            status = client.get(path, params={"q": value, "kim": value, "durum": value}).status_code
            assert status < 500, (path, value, status)

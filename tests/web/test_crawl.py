"""Every page a user can reach by following links answers without a server error."""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from osos.web.app import create_app
from tests.web.conftest import World, build_world, login, module_world

HREF = re.compile(r'href="(/[^"#]*)"')


@pytest.fixture(scope="module", params=["sqlite"])  # about the pages, not the database
def crawl_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    frozen_now: dt.datetime,
) -> Iterator[World]:
    yield from module_world(
        request, tmp_path_factory, frozen_now, lambda rt: build_world(rt, days=3)
    )


@pytest.mark.parametrize("kind", ["abone", "kurumsal", "tedarikci", "operator"])
def test_every_linked_page_answers(crawl_world: World, kind: str) -> None:
    client = TestClient(create_app(crawl_world.runtime))
    login(client, crawl_world, kind)
    start = "/yonetim" if kind == "operator" else "/"
    seen: set[str] = set()
    queue = deque([start])
    budget = 80
    while queue and budget:
        path = queue.popleft()
        if path in seen or path.startswith(("/dil/", "/static/", "/cikis")):
            continue
        seen.add(path)
        budget -= 1
        response = client.get(path)
        assert response.status_code < 500, (path, response.text[-800:])
        if "text/html" in response.headers.get("content-type", ""):
            for link in HREF.findall(response.text):
                link = link.replace("&amp;", "&")
                if link not in seen:
                    queue.append(link)
    assert len(seen) > 10

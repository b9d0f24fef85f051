"""The loss worklist in a real browser: an operator scans the month, sees the tampered point's
findings, acknowledges one and closes it with what was found on site."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from osos.simulator.faults import Fault
from osos.store.db import transaction
from osos.timeutil import month_start_before, period_of
from tests.losses.test_store import POINT, store_faulty
from tests.web import test_browser as tb
from tests.web.conftest import World, build_world, module_world

browser, base_url = tb.browser, tb.base_url  # the panel server and Chromium, by fixture name

pytestmark = pytest.mark.browser


def _world(runtime: Any, now: dt.datetime) -> World:
    world = build_world(runtime, days=0)
    with transaction(runtime.sessions) as session:
        store_faulty(session, now, Fault.COVER_OPEN, Fault.MAGNETIC)
    return world


@pytest.fixture(scope="module", params=["sqlite"])
def browser_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    frozen_now: dt.datetime,
) -> Iterator[World]:
    tb._need_chromium()
    yield from module_world(
        request, tmp_path_factory, frozen_now, lambda rt: _world(rt, frozen_now)
    )


def test_an_operator_works_the_loss_list(
    browser: Any, base_url: str, browser_world: World, frozen_now: dt.datetime
) -> None:
    period = period_of(month_start_before(frozen_now, 1))
    page = tb._page(browser, base_url)
    tb._login(page, browser_world, "operator")
    page.goto("/yonetim")
    page.get_by_role("link", name="Kayıp-kaçak").click()
    page.get_by_label("Dönem").fill(period)
    page.get_by_role("button", name="Göster").click()
    page.get_by_role("button", name="Dönemi tara").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text().startswith("Tarandı: 2 yeni")
    cover = page.locator('tr[data-kind="terminal_cover"]')
    assert POINT in cover.inner_text() and "Klemens kapağı açıldı" in cover.inner_text()
    assert page.locator('tr[data-kind="magnetic"]').count() == 1
    tb._shot(page, "bo-kayip-kacak")
    cover.get_by_role("button", name="İncelemeye al").click()
    page.wait_for_load_state()
    cover = page.locator('tr[data-kind="terminal_cover"]')
    assert "İnceleniyor" in cover.inner_text()
    cover.get_by_label("Sahada bulunan").fill("Klemens mührü kırık, yenilendi")
    cover.get_by_role("button", name="Kapat").click()
    page.wait_for_load_state()
    assert page.locator('tr[data-kind="terminal_cover"]').count() == 0  # off the to-do list
    page.get_by_role("link", name="Kapatıldı").click()
    assert "Klemens mührü kırık" in page.locator('tr[data-kind="terminal_cover"]').inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel").first.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.context.close()

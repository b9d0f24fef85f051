"""In Chromium at 1366 × 768 (a common office laptop): the Aylık table fits without a
horizontal scroll bar and prints no ``None``; the Uyarılar preferences form saves."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from osos.web.app import create_app
from tests.web.conftest import ABONE_SP, World, build_world, module_world
from tests.web.test_browser import ARGS, CHROMIUM, _free_port, _login, _need_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["sqlite"])
def laptop_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    frozen_now: dt.datetime,
) -> Iterator[World]:  # fmt: skip
    _need_chromium()
    yield from module_world(
        request, tmp_path_factory, frozen_now, lambda rt: build_world(rt, 40, (ABONE_SP,))
    )


@pytest.fixture(scope="module")
def page(laptop_world: World) -> Iterator[Any]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    port = _free_port()
    config = uvicorn.Config(create_app(laptop_world.runtime), host="127.0.0.1", port=port,
                            log_level="warning")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the panel server did not start"
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = browser.new_context(
                base_url=f"http://127.0.0.1:{port}", locale="tr-TR",
                viewport={"width": 1366, "height": 768},
            )  # fmt: skip
            yield context.new_page()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_the_monthly_table_fits_a_1366_px_screen(page: Any, laptop_world: World) -> None:
    _login(page, laptop_world, "abone")
    page.goto(f"/hn/{ABONE_SP}/aylik")
    table = page.locator("#aylik-table")
    assert table.is_visible()
    wrap = page.locator(".table-wrap:has(#aylik-table)")
    scroll, client = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll <= client, f"the table is {scroll} px wide in {client} px"
    assert "None" not in table.inner_text()
    assert page.get_by_test_id("contract-power").is_visible()


def test_the_alerts_preferences_save_in_the_browser(page: Any, laptop_world: World) -> None:
    page.goto("/")
    if "/giris" in page.url:
        _login(page, laptop_world, "abone")
    page.goto("/uyarilar")
    page.get_by_label("Uyarıları e-posta ile gönder").uncheck()
    page.get_by_label("Gönderim sıklığı").select_option("weekly")
    page.get_by_role("button", name="Kaydet").click()
    page.wait_for_load_state()
    assert page.get_by_text("Kaydedildi.").is_visible()
    assert not page.get_by_label("Uyarıları e-posta ile gönder").is_checked()
    assert page.get_by_label("Gönderim sıklığı").input_value() == "weekly"

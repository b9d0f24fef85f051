"""The panel in a real browser (Chromium via Playwright): every login type, every screen,
the Excel download checked against the screen and the month report; screenshots for the docs.

Skipped with the reason when Chromium is missing, unless ``CI`` is set (then it fails).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from osos.mdm.service import monthly_report
from osos.store.db import transaction
from osos.timeutil import LOCAL_TZ, month_bounds
from osos.web.app import create_app
from osos.web.formatting import number
from tests.web.conftest import (
    ABONE_SP,
    KURUMSAL_SP,
    LATE_SP,
    World,
    build_world,
    complete_month,
    module_world,
)

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("OSOS_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The docs' screenshots are retaken only when asked (OSOS_SCREENSHOTS=1), so a test run does not
# rewrite tracked files; otherwise they go to a temporary folder (still rendered and checked).
SHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("OSOS_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "osos-screenshots"
)
SCREENS = ("readout", "ykp", "endeks", "oranlar", "yuk-profili", "aylik")


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module", params=["sqlite"])
def browser_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    frozen_now: dt.datetime,
) -> Iterator[World]:
    _need_chromium()
    yield from module_world(
        request,
        tmp_path_factory,
        frozen_now,
        lambda rt: build_world(rt, days=64, points=(ABONE_SP, KURUMSAL_SP, LATE_SP)),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(browser_world: World) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(browser_world.runtime), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the panel server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _page(browser: Any, base_url: str, **options: Any) -> Any:
    context = browser.new_context(
        base_url=base_url,
        accept_downloads=True,
        locale="tr-TR",
        viewport=options.pop("viewport", {"width": 1280, "height": 900}),
        **options,
    )
    return context.new_page()


def _login(page: Any, world: World, kind: str) -> None:
    demo = world.logins[kind]
    if kind in ("operator", "admin"):
        page.goto("/personel/giris")
    else:
        page.goto("/giris")
        page.get_by_label(
            {"abone": "Abone", "tedarikci": "Tedarikçi", "kurumsal": "Kurumsal"}[kind], exact=True
        ).check()
    page.get_by_label("Kullanıcı adı" if kind not in ("operator", "admin") else "E-posta").fill(
        demo.login
    )
    page.get_by_label("Şifre", exact=True).fill(demo.password)
    page.get_by_role("button", name="Giriş").click()
    page.wait_for_load_state()
    assert "/giris" not in page.url, page.content()[:2000]


def _shot(page: Any, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def _dec(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


def test_login_page_and_application_form(browser: Any, base_url: str) -> None:
    page = _page(browser, base_url)
    page.goto("/giris")
    assert page.get_by_text("Giriş Tipi").is_visible()
    _shot(page, "giris", full=False)
    page.goto("/basvuru")
    assert page.get_by_role("heading", name="OSOS talep başvurusu").is_visible()
    _shot(page, "basvuru")
    page.context.close()


def test_abone_every_screen_and_the_excel_download(
    browser: Any, base_url: str, browser_world: World
) -> None:
    page = _page(browser, base_url)
    _login(page, browser_world, "abone")
    assert page.url.endswith(f"/hn/{ABONE_SP}/readout")
    assert "dakika önce okundu" in page.get_by_test_id("freshness").inner_text()
    for screen in SCREENS:
        page.goto(f"/hn/{ABONE_SP}/{screen}")
        assert page.get_by_text("Hizmet Noktası No").first.is_visible()
        assert page.get_by_text("faturalamaya esas değildir").is_visible()
        _shot(page, f"abone-{screen}")
    # YKP of the previous month, hourly, then the Excel file of exactly that
    period = complete_month(browser_world)
    start, end = month_bounds(period)
    first = start.astimezone(LOCAL_TZ).date()
    last = (end - dt.timedelta(seconds=1)).astimezone(LOCAL_TZ).date()
    page.goto(f"/hn/{ABONE_SP}/ykp")
    page.get_by_label("Başlangıç", exact=True).fill(first.isoformat())
    page.get_by_label("Bitiş", exact=True).fill(last.isoformat())
    page.get_by_label("Saatlik (YKP)").check()
    page.get_by_role("button", name="Göster").click()
    page.wait_for_load_state()
    shown = _dec(page.get_by_test_id("total-withdrawal").inner_text())
    rows_on_screen = page.locator("#ykp-table tbody tr").count()
    with page.expect_download() as info:
        page.get_by_role("link", name="Excel al").click()
    download = info.value
    assert download.suggested_filename == (
        f"YKP_{ABONE_SP}_{first.isoformat()}_{last.isoformat()}_60dk.xlsx"
    )
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True).active
    assert sheet is not None
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    body, total = rows[4:-1], rows[-1]
    assert len(body) == rows_on_screen
    excel_total = Decimal(str(total[2])).quantize(Decimal("0.001"))
    assert excel_total == shown
    with transaction(browser_world.runtime.sessions) as session:
        report = monthly_report(session, ABONE_SP, period, browser_world.runtime.settings)
    assert report.consumption["1.8.0"] == excel_total
    first_row = page.locator("#ykp-table tbody tr").first.locator("td")
    assert first_row.nth(0).inner_text() == f"{first:%d.%m.%Y} 00:00"
    # Excel holds a real date-time, the one the screen names
    assert body[0][0] == dt.datetime.strptime(first_row.nth(0).inner_text(), "%d.%m.%Y %H:%M")
    value = body[0][2]
    if value is not None:
        assert _dec(first_row.nth(1).inner_text()) == Decimal(str(value)).quantize(Decimal("0.001"))
    _shot(page, "abone-ykp-month")
    # Oranlar of that month states the ratio of the report
    page.goto(f"/hn/{ABONE_SP}/oranlar?ay={period}")
    ratio = report.reactive.inductive_ratio
    assert ratio is not None
    assert number(ratio, 2) in page.get_by_test_id("inductive-ratio").inner_text()
    # someone else's point by URL: 404
    response = page.goto(f"/hn/{KURUMSAL_SP}/ykp")
    assert response is not None and response.status == 404
    page.context.close()


def test_supplier_and_corporate(browser: Any, base_url: str, browser_world: World) -> None:
    page = _page(browser, base_url)
    _login(page, browser_world, "tedarikci")
    assert page.locator("table.data tbody tr").count() >= 10
    _shot(page, "tedarikci-liste")
    page.goto(f"/hn/{LATE_SP}/ykp")
    assert page.get_by_text("Tedarik dönemi").is_visible()
    _shot(page, "tedarikci-ykp")
    early = (browser_world.late_from - dt.timedelta(days=2)).astimezone(LOCAL_TZ).date()
    response = page.goto(f"/hn/{LATE_SP}/ykp?from={early}&to={early}")
    assert response is not None and response.status == 404
    page.context.close()

    page = _page(browser, base_url)
    _login(page, browser_world, "kurumsal")
    assert page.get_by_text("Toplam (4)").is_visible()
    _shot(page, "kurumsal-liste")
    page.get_by_role("link", name=KURUMSAL_SP).click()
    page.get_by_role("link", name="Max Aktif Güç / Aylık").click()
    assert page.get_by_role("heading", name="Aylık tüketim ve demand").is_visible()
    _shot(page, "kurumsal-aylik")
    page.context.close()


def test_phone_layout_and_dark_mode(browser: Any, base_url: str, browser_world: World) -> None:
    page = _page(browser, base_url, viewport={"width": 390, "height": 844}, is_mobile=True)
    _login(page, browser_world, "abone")
    page.goto(f"/hn/{ABONE_SP}/ykp")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # nothing wider than the phone: tables scroll inside their box
    _shot(page, "telefon-ykp", full=False)
    page.context.close()
    dark = _page(browser, base_url, color_scheme="dark")
    _login(dark, browser_world, "abone")
    dark.goto(f"/hn/{ABONE_SP}/oranlar")
    background = dark.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(245, 247, 250)"
    _shot(dark, "karanlik-oranlar", full=False)
    english = _page(browser, base_url)
    english.goto("/dil/en?next=/giris")
    assert english.get_by_text("Login type").is_visible()
    english.context.close()
    dark.context.close()


def test_back_office(browser: Any, base_url: str, browser_world: World) -> None:
    page = _page(browser, base_url)
    _login(page, browser_world, "operator")
    assert page.url.endswith("/yonetim")
    _shot(page, "yonetim")
    page.get_by_role("link", name="Hizmet noktaları").first.click()
    page.get_by_label("Herhangi bir alanda ara").fill("Çorlu")
    page.get_by_role("button", name="Ara").click()
    assert page.locator("table.data tbody tr").count() >= 1
    _shot(page, "yonetim-arama")
    page.goto("/yonetim/denetim?sonuc=denied")
    assert page.locator("table.data tbody tr").count() >= 1  # the 404s above are audited
    _shot(page, "yonetim-denetim")
    page.goto(f"/hn/{ABONE_SP}/readout")  # staff may open any point's screens
    assert page.get_by_text(ABONE_SP).first.is_visible()
    page.context.close()


_AXIS_BOXES = """() => [...document.querySelectorAll('svg.chart')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => [...svg.querySelectorAll('text.axis')].map(t => {
    const r = t.getBoundingClientRect();
    return [t.textContent, r.left, r.top, r.right, r.bottom];
  }))"""


def test_chart_axis_labels_are_readable_on_a_375_px_phone(
    browser: Any, base_url: str, browser_world: World
) -> None:
    """Oranlar, Yük Profili and YKP at 375 px: the narrow drawing is shown, its axis labels
    keep a readable size and no two of them overlap."""
    page = _page(browser, base_url, viewport={"width": 375, "height": 812}, is_mobile=True)
    _login(page, browser_world, "abone")
    for screen in ("oranlar", "yuk-profili", "ykp"):
        page.goto(f"/hn/{ABONE_SP}/{screen}")
        charts = page.evaluate(_AXIS_BOXES)
        assert charts, f"{screen}: no chart shown"
        for boxes in charts:
            assert len(boxes) >= 3, (screen, boxes)
            for text, left, top, right, bottom in boxes:
                assert bottom - top >= 9, (screen, text, bottom - top)  # ≈ 11 px text
                assert left >= 0 and right <= 375 + 1, (screen, text, left, right)
            for k, a in enumerate(boxes):
                for b in boxes[k + 1 :]:
                    apart = a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]
                    assert apart, f"{screen}: {a[0]!r} overlaps {b[0]!r}"
    _shot(page, "telefon-oranlar", full=False)
    page.context.close()

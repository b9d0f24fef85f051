"""Back-office actions in a real browser (Chromium via Playwright): create and revoke an API
token, approve a priced request, and "read now" with its progress polled by the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from osos.headend.job_finish import finish_job
from osos.headend.jobs import claim_jobs
from osos.readmodel.points import service_point_id
from osos.sharing.requests import record_request
from osos.store.db import transaction
from osos.store.models.headend import ReadJob
from tests.web.conftest import OTHER_SP, World, build_world, module_world
from tests.web.test_browser import _login, _need_chromium, _page, _shot, base_url, browser

pytestmark = pytest.mark.browser
__all__ = ["base_url", "browser"]  # the module's fixtures, on this module's world
SERIAL = "30246633"


@pytest.fixture(scope="module", params=["sqlite"])
def browser_world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    frozen_now: dt.datetime,
) -> Iterator[World]:
    _need_chromium()
    yield from module_world(
        request, tmp_path_factory, frozen_now, lambda rt: build_world(rt, days=1)
    )


def test_token_created_shown_once_and_revoked(
    browser: Any, base_url: str, browser_world: World
) -> None:
    page = _page(browser, base_url)
    _login(page, browser_world, "admin")
    page.goto("/yonetim/tokenlar")
    page.get_by_label("Firma / unvan").select_option(
        label="Boğaziçi Enerji Tedarik A.Ş. (supplier)"
    )
    page.get_by_label("Etiket").fill("tarayıcı testi")
    page.get_by_role("button", name="Anahtar oluştur").click()
    page.wait_for_load_state()
    secret = page.get_by_test_id("token-secret").inner_text()
    assert secret.startswith("osos_")
    _shot(page, "yonetim-tokenlar")
    page.goto("/yonetim/tokenlar")
    assert secret not in page.content()
    row = page.locator("tr", has_text="tarayıcı testi")
    row.get_by_role("button", name="İptal et").click()
    page.wait_for_load_state()
    assert "iptal" in page.locator("tr", has_text="tarayıcı testi").inner_text()
    page.context.close()


def test_priced_request_approved(browser: Any, base_url: str, browser_world: World) -> None:
    runtime = browser_world.runtime
    with transaction(runtime.sessions) as session:
        sp = service_point_id(session, OTHER_SP)
        assert sp is not None
        view = record_request(
            session, service_point_id=sp, reason="other_period", requester="Boğaziçi",
            organisation_id=None, start=browser_world.end - dt.timedelta(hours=2),
            end=browser_world.end, minutes=15, file_format="csv", at=runtime.clock.now(),
            config=runtime.settings.sharing,
        )  # fmt: skip
    page = _page(browser, base_url)
    _login(page, browser_world, "operator")
    page.goto("/yonetim/talepler")
    row = page.get_by_test_id(f"request-{view.id}")
    assert "onay bekliyor" in row.inner_text()
    row.get_by_role("button", name="Onayla").click()
    page.wait_for_load_state()
    row = page.get_by_test_id(f"request-{view.id}")
    assert "onaylandı" in row.inner_text()
    row.get_by_role("button", name="Dosyayı hazırla").click()
    page.wait_for_load_state()
    assert "dosya hazır" in page.get_by_test_id(f"request-{view.id}").inner_text()
    _shot(page, "yonetim-talepler")
    page.context.close()


def test_read_now_shows_progress(browser: Any, base_url: str, browser_world: World) -> None:
    from playwright.sync_api import expect

    page = _page(browser, base_url)
    _login(page, browser_world, "operator")
    page.goto(f"/yonetim/sayac/{SERIAL}")
    page.get_by_role("button", name="Şimdi oku").click()
    page.wait_for_load_state()
    progress = page.get_by_test_id("read-progress")
    expect(progress).to_have_attribute("data-state", "pending")
    runtime = browser_world.runtime
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:  # the head-end takes the job and reads
        job_id = session.scalar(select(ReadJob.id).order_by(ReadJob.id.desc()).limit(1))
        assert job_id is not None
        claim_jobs(session, now, worker="browser-test", limit=1, job_ids=[job_id])
        finish_job(session, job_id, ok=True, now=now)
    expect(progress).to_have_attribute("data-state", "done", timeout=15_000)
    assert "Okuma tamamlandı" in progress.inner_text()
    _shot(page, "yonetim-sayac-oku")
    page.context.close()

"""A comparison in the chat tab of a real browser (Debian chromium via Playwright, as in ``test_browser``).

Two cities side by side: the comparison rows appear as a table below the answer, one row per place in
the order named (the draft's row flagged), and a row's citation opens its clause with the quote
highlighted. The screenshot is saved under ``tests/artifacts/`` (a copy is in docs/screenshots).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.server.launch import start_service, stop_service
from app.services import Services
from tests.integration.test_browser import ARTIFACTS, CHROMIUM_ARGS, _ensure_browser


@pytest.fixture(scope="module")
def page(real_services: Services) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    proc, url = start_service(real_services.settings.data_dir)
    exe = _ensure_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
            pg = browser.new_page(viewport={"width": 1280, "height": 1800}, locale="zh-CN")
            pg.set_default_timeout(60_000)
            pg.goto(f"{url}/ui/")
            pg.wait_for_selector("#question textarea")
            yield pg
            browser.close()
    finally:
        stop_service(proc)


def test_comparison_table_and_clause(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.fill("#question textarea", "大连 南通 学徒补贴")
    page.click("#ask-button")
    table = page.locator("#comparison table.comparison")
    expect(table).to_be_visible(timeout=90_000)
    rows = table.locator("tr")
    expect(rows).to_have_count(3)  # the header, 大连, 南通 — in the order named
    expect(rows.nth(1)).to_contain_text("大连")
    expect(rows.nth(1)).to_contain_text("5000")
    expect(rows.nth(2)).to_contain_text("南通")
    expect(rows.nth(2)).to_contain_text("征求意见稿")
    page.locator("#citations label").first.click()
    expect(page.locator("#clause-view mark")).to_contain_text("5000元", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "6-comparison.png"), full_page=True)

"""The "能享受哪些" tab in a real browser (Debian chromium via Playwright, as in ``test_browser``).

A sentence fills the profile form through the reader, a field is typed in, the
table lists the provisions with their amounts, a row opens its clause with the
quote highlighted, and the CSV export downloads. The screenshot is saved under
``tests/artifacts/`` (a copy is in docs/screenshots).
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
            pg = browser.new_page(viewport={"width": 1280, "height": 1600}, locale="zh-CN", accept_downloads=True)
            pg.set_default_timeout(60_000)
            pg.goto(f"{url}/ui/")
            pg.wait_for_selector("#question textarea")
            yield pg
            browser.close()
    finally:
        stop_service(proc)


def test_entitlements_tab_form_table_clause_and_csv(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.get_by_role("tab", name="能享受哪些").click()
    page.fill(
        "#ent-describe textarea",
        "厦门湖里的一家企业，带了4个高职的毕业年度学生当学徒，签了正式劳动合同。能有什么补贴？",
    )
    page.click("#ent-read")
    expect(page.locator("#ent-people")).to_contain_text("高职", timeout=60_000)
    page.locator("#ent-si input").fill("1")
    page.fill("#ent-facts textarea", "培训都完成了，实习考核也通过了，签了正式劳动合同")
    page.click("#ent-run")
    summary = page.locator("#ent-summary")
    expect(summary).to_contain_text("已确定的一次性金额合计 16000 元", timeout=60_000)
    table = page.locator("#ent-table")
    expect(table).to_contain_text("毕业年度学生学徒制培训企业补贴")
    expect(table).to_contain_text("16000元")
    table.get_by_text("毕业年度学生学徒制培训企业补贴", exact=True).last.click()
    expect(page.locator("#ent-clause mark")).to_contain_text("4000元/人", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "5-entitlements.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#ent-export")
    path = download.value.path()
    text = path.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("状态,政策,金额")
    assert "xiamen-tasks/创新学徒制培养模式" in text and "16000元" in text

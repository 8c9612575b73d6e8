"""The web UI in a real browser: Debian's chromium driven by Playwright, headless.

The setup installs ``chromium`` and ``fonts-noto-cjk`` from Debian when they are
missing (CI runs as root on a fresh machine). Screenshots are saved under
``tests/artifacts/`` as evidence that Chinese renders, an answer shows its
citations, a citation opens its clause, and the calculator computes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.server.launch import start_service, stop_service
from app.services import Services
from app.settings import REPO_ROOT

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _ensure_browser() -> str:
    exe = shutil.which("chromium")
    fonts = any(Path(p).exists() for p in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto"))
    if exe is None or not fonts:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"],
            check=True,
            capture_output=True,
            env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
        exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Debian chromium could not be installed")
    return exe


@pytest.fixture(scope="module")
def ui_url(real_services: Services) -> Iterator[str]:
    proc, url = start_service(real_services.settings.data_dir)
    try:
        yield f"{url}/ui/"
    finally:
        stop_service(proc)


@pytest.fixture(scope="module")
def page(ui_url: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    exe = _ensure_browser()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
        pg.set_default_timeout(60_000)
        pg.goto(ui_url)
        pg.wait_for_selector("#question textarea")
        yield pg
        browser.close()


def test_ask_see_citation_and_open_the_clause(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.fill(
        "#question textarea",
        "我们厂在厦门，3个中职2个高职学徒，培训考核都过了，签了合同交了两个月社保，企业一共能拿多少",
    )
    page.click("#ask-button")
    chat = page.locator("#chat")
    expect(chat).to_contain_text("17000")
    expect(chat).to_contain_text("xiamen-tasks/创新学徒制培养模式")
    page.screenshot(path=str(ARTIFACTS / "1-answer-with-citations.png"), full_page=True)

    page.locator("#citations label").first.click()
    card = page.locator("#clause-view")
    expect(card.locator("mark")).to_contain_text("3000元/人")
    expect(card).to_contain_text("厦门市高技能人才队伍建设主要工作任务分解表")
    page.screenshot(path=str(ARTIFACTS / "2-clause-opened.png"), full_page=True)


def test_draft_badge_and_traditional_answer(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.fill("#question textarea", "南通人才公寓租金补贴一个月多少钱")
    page.click("#ask-button")
    expect(page.locator("#chat")).to_contain_text("没有写明")
    page.locator("#citations label").first.click()
    expect(page.locator("#clause-view .draft-badge")).to_be_visible()
    page.fill("#question textarea", "我是台灣人，有丙級證照，在廈門工作可以被承認嗎")
    page.click("#ask-button")
    expect(page.locator("#chat")).to_contain_text("採認")
    page.screenshot(path=str(ARTIFACTS / "3-draft-and-traditional.png"), full_page=True)


def test_calculator_tab(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.get_by_role("tab", name="计算器").click()
    pick = page.locator("#rule-select input")
    pick.click()
    pick.fill("领办人带徒补贴")
    page.get_by_role("option", name="领办人带徒补贴").first.click()
    page.get_by_label("高级技师 人数/个数").fill("2")
    page.get_by_label("技师 人数/个数", exact=True).fill("3")
    page.get_by_label("高级工 人数/个数").fill("1")
    page.click("#calc-button")
    expect(page.locator("#calc-result")).to_contain_text("7500")
    page.screenshot(path=str(ARTIFACTS / "4-calculator.png"), full_page=True)

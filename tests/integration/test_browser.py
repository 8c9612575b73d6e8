"""The web UI in a real browser: Debian's chromium driven by Playwright, headless.

The setup installs ``chromium`` and ``fonts-noto-cjk`` from Debian when they are
missing (CI runs as root on a fresh machine). Screenshots are saved under
``tests/artifacts/`` as evidence that Chinese renders, an answer shows its
citations, a citation opens its clause, and the calculator computes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from app.server.launch import start_service, stop_service
from app.services import Services
from app.settings import REPO_ROOT
from tests.conftest import wait_for_job

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


TOKEN = "browser-admin-token"


@pytest.fixture(scope="module")
def ui_url(real_services: Services) -> Iterator[str]:
    proc, url = start_service(real_services.settings.data_dir, env={"PA_SERVER__ADMIN_TOKEN": TOKEN})
    # Load the model and the answer caches first: the page's assertions wait seconds, not a cold start.
    httpx.post(f"{url}/api/ask", json={"question": "大连 带徒补贴 标准"}, timeout=300, trust_env=False)
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


def test_a_calculation_answer_opens_in_the_calculator_with_its_inputs(page: object, ui_url: str) -> None:
    """The answer's reading (按您说的) and the button 在计算器中修改: the calculator tab opens with the
    answer's rule and inputs; one value changed, it recomputes."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(ui_url)
    page.wait_for_selector("#question textarea")
    page.fill(
        "#question textarea",
        "我们厂在厦门，3个中职2个高职学徒，培训考核都过了，签了合同交了两个月社保，企业一共能拿多少",
    )
    page.click("#ask-button")
    expect(page.locator("#chat")).to_contain_text("按您说的")
    expect(page.locator("#chat")).to_contain_text("17000")
    button = page.locator("#edit-in-calculator")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#rule-select input")).to_have_value(re.compile("xiamen.student-apprenticeship"))
    expect(page.locator("#calc-prefill")).to_contain_text("按您说的")
    expect(page.get_by_label("中职（中级工） 人数/个数")).to_have_value("3")
    expect(page.get_by_label("高职（高级工） 人数/个数")).to_have_value("2")
    expect(page.get_by_label("按规定缴纳我市社会保险费1个月以上（个月）")).to_have_value("2")
    field = page.get_by_label("高职（高级工） 人数/个数")
    # On a loaded machine the browser may send the click before the UI has taken the new value (or drop
    # the change event while a render is under way): the value is entered again and the button pressed
    # again (at most three times) until the result follows the field — which it must.
    result = page.locator("#calc-result")
    for _ in range(3):
        field.fill("4")
        field.press("Tab")  # the change reaches the server before the click (a render under load is slow)
        page.wait_for_timeout(500)
        page.click("#calc-button")
        try:
            expect(result).to_contain_text("25000", timeout=5000)  # 3×3000 + 4×4000
            break
        except AssertionError:
            page.wait_for_timeout(1000)
    expect(result).to_contain_text("25000")
    page.screenshot(path=str(ARTIFACTS / "7-reading-calculator.png"), full_page=True)


class _Counting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # http.server calls it by this name
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def test_document_text_is_shown_as_text_and_nothing_remote_loads(page: object, ui_url: str) -> None:
    """An image in a document (markdown or HTML) is shown as its text; the browser fetches nothing.

    The "remote" server is on loopback and counts requests. The document is uploaded after the page
    was opened: its tab must list it without a reload.
    """
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    remote = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=remote.serve_forever, daemon=True).start()
    port = remote.server_address[1]
    text = (
        f'一、青岛图片测试补贴。对取得青岛图片测试证书<img src="http://127.0.0.1:{port}/html.png">的人员，'
        f"给予每人4321元补贴。详见附图![图](http://127.0.0.1:{port}/md.png)\n二、附则。本办法自发布之日起施行。\n"
    )
    base, auth = ui_url.removesuffix("/ui/"), {"X-Admin-Token": TOKEN}
    with httpx.Client(base_url=base, timeout=120, trust_env=False) as client:
        accepted = client.post(
            "/api/admin/documents",
            headers=auth,
            files={"file": ("图片测试.txt", text.encode("utf-8"))},
            data={"city": "青岛", "status": "unknown"},
        )
        job = wait_for_job(client, accepted, auth, seconds=300)
        assert job["state"] == "done", job
        doc_id = job["result"]["doc_id"]
        try:
            page.get_by_role("tab", name="问答").click()
            page.fill("#question textarea", "青岛图片测试证书补贴每人多少钱")
            page.click("#ask-button")
            chat = page.locator("#chat")
            expect(chat).to_contain_text("4321", timeout=60_000)
            expect(chat).to_contain_text(f'<img src="http://127.0.0.1:{port}/html.png">')
            page.get_by_role("tab", name="文件").click()
            pick = page.locator("#doc-select input")
            pick.click()
            pick.fill("图片测试")
            page.get_by_role("option", name="图片测试").first.click()
            view = page.locator("#doc-view")
            expect(view).to_contain_text(f"![图](http://127.0.0.1:{port}/md.png)")
            expect(view).to_contain_text("<img src=")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / "5-document-text-as-text.png"), full_page=True)
            assert _Counting.hits == []
        finally:
            assert client.delete(f"/api/admin/documents/{doc_id}", headers=auth).status_code == 200
            remote.shutdown()

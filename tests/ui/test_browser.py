"""The web app in a real headless Chromium: graph explorer, hotline, citizen chat, hot topics,
bank chat, the regulators' and the duty officers' tabs."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright
from pydantic import SecretStr

from kg.store import GraphStore
from tests.support import free_port
from ui.api import create_app
from ui.roles import RoleKeys

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
KEYS = RoleKeys({"regulator": SecretStr("reg-key"), "duty_officer": SecretStr("duty-key")},
                "the test")


@pytest.fixture(scope="module")
def service_url(demo_graph: GraphStore) -> Iterator[str]:
    port = free_port()
    app = create_app(demo_graph, role_keys=KEYS)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, "the service did not start"
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)
    demo_graph.write("MATCH (r:ToolRun) DETACH DELETE r")


@pytest.fixture()
def page(service_url: str) -> Iterator[Page]:
    """The web app open in Debian's headless Chromium."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed for the browser test (make system-deps)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        opened = browser.new_page(viewport={"width": 1400, "height": 1100})
        opened.goto(service_url, wait_until="load")
        yield opened
        browser.close()


def test_search_shows_the_neighbourhood_picture(page: Page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="知识图谱").wait_for()
    box = page.locator("#kg-search-box textarea, #kg-search-box input").first
    box.fill("住建")
    page.locator("#kg-search-btn").click()
    page.locator("#kg-graph svg .kg-node").first.wait_for(timeout=30_000)
    assert page.locator("#kg-graph svg .kg-node").count() > 2
    caption = page.locator("#kg-graph .kg-caption").inner_text()
    assert "住房" in caption or "住建" in caption
    assert page.locator("#kg-graph svg .kg-edge").count() > 1
    page.screenshot(path=str(tmp_path / "kg-tab.png"), full_page=True)
    box.fill("完全不存在的实体名称")
    page.locator("#kg-search-btn").click()
    page.get_by_text("没有找到").wait_for(timeout=30_000)


def test_hotline_tab_fills_the_ticket_as_the_call_is_typed(page: Page) -> None:
    page.get_by_role("tab", name="热线坐席").click()
    box = page.locator("#hl-transcript textarea")
    box.click()
    call = "市民：长河社区的路灯坏了三天了\n市民：我叫王秀英，电话13805712345"
    box.press_sequentially(call, delay=5)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#hl-caller textarea, #hl-caller input')]"
        ".some(e => e.value === '王秀英')", timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#hl-phone textarea, #hl-phone input')]"
        ".some(e => e.value === '13805712345')", timeout=60_000)
    community = page.locator("#hl-community textarea, #hl-community input").first
    assert community.input_value() == "长河社区"
    page.locator("#hl-confirm").click()
    page.get_by_text("已登记").wait_for(timeout=30_000)


def test_topics_tab_shows_the_hot_topics_and_charts(page: Page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="热点").click()
    table = page.locator("#tp-table")
    table.get_by_text("槐树社区").first.wait_for(timeout=60_000)
    page.locator("#tp-trend canvas, #tp-trend svg").first.wait_for(timeout=30_000)
    page.locator("#tp-districts canvas, #tp-districts svg").first.wait_for(timeout=30_000)
    assert "槐树社区" in page.locator("#tp-samples").inner_text()
    page.screenshot(path=str(tmp_path / "topics-tab.png"), full_page=True)


def test_bank_tab_answers_and_hands_over(page: Page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="银行客服").click()
    box = page.locator("#bank-question textarea, #bank-question input").first
    chat = page.locator("#bank-chat")
    box.fill("去开户的话要带哪些证件和资料？")
    page.locator("#bank-send").click()
    chat.get_by_text("置信度").first.wait_for(timeout=120_000)
    box.fill("明天滨江会下雨吗？")
    page.locator("#bank-send").click()
    chat.get_by_text("转接人工").first.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "bank-tab.png"), full_page=True)


def test_citizen_tab_answers_with_a_citation_and_drafts_a_ticket(page: Page,
                                                                 tmp_path: Path) -> None:
    page.get_by_role("tab", name="市民服务").click()
    box = page.locator("#citizen-message textarea, #citizen-message input").first
    chat = page.locator("#citizen-chat")
    box.fill("在滨江申请公租房需要满足什么条件？")
    page.locator("#citizen-send").click()
    chat.get_by_text("[1]").first.wait_for(timeout=180_000)
    page.locator("#citizen-cited").get_by_text("[1]").first.click()
    page.locator("#citizen-entry").get_by_text("公租房").first.wait_for(timeout=30_000)
    box.fill("我家小区门口的路灯坏了好几天了，晚上太黑了")
    page.locator("#citizen-send").click()
    page.locator("#citizen-ticket").get_by_text("草稿").first.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "citizen-tab.png"), full_page=True)


def test_risk_tab_needs_the_key_then_shows_the_circle_and_the_report(page: Page,
                                                                     tmp_path: Path) -> None:
    page.get_by_role("tab", name="金融监管").click()
    page.locator("#risk-subject-text textarea, #risk-subject-text input").first.fill("宏达建设")
    page.locator("#risk-find").click()
    page.locator("#risk-graph").get_by_text("API 密钥").first.wait_for(timeout=60_000)
    page.locator("#risk-key input").first.fill("reg-key")
    page.locator("#risk-question textarea, #risk-question input").first.fill(
        "鼎盛集团的实际控制人是谁？")
    page.locator("#risk-ask").click()
    page.locator("#risk-graph").get_by_text("回答方式").first.wait_for(timeout=60_000)
    page.locator("#risk-find").click()
    page.locator("#risk-graph").get_by_text("找到").first.wait_for(timeout=60_000)
    page.locator("#risk-report").click()
    page.locator("#risk-graph").get_by_text("风险等级：高").first.wait_for(timeout=120_000)
    page.locator("#risk-files").get_by_text(".pdf").first.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp_path / "risk-tab.png"), full_page=True)


def test_emergency_tab_shows_the_district_and_plans_the_drill(page: Page,
                                                              tmp_path: Path) -> None:
    page.get_by_role("tab", name="应急指挥").click()
    page.locator("#duty-key input").first.fill("duty-key")
    page.locator("#duty-show").click()
    page.locator("#duty-map svg.emergency-map").first.wait_for(timeout=60_000)
    page.locator("#duty-drill").click()
    page.locator("#duty-summary").get_by_text("调用记录").first.wait_for(timeout=120_000)
    page.locator("#duty-plan").get_by_text("排涝").first.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "emergency-tab.png"), full_page=True)

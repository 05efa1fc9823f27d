"""Real-browser test of the Chat tab in headless Chromium (Debian's, driven by Playwright).

Opens the launched app, sends a message, waits for a recommendation card with its checked
explanation, clicks 👍 and checks the feedback row in the real store. A screenshot goes to
``test-output/ui_chat.png``. Needs ``scripts/setup_browser.sh``; set
WHYREC_SKIP_BROWSER_TESTS=1 to skip on machines without Chromium.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
from pathlib import Path

import pytest

from tests.ui_fakes import FakeAgent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]
OUT_DIR = Path(__file__).resolve().parents[1] / "test-output"


def _chromium() -> str:
    if os.environ.get("WHYREC_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("WHYREC_SKIP_BROWSER_TESTS=1: real-browser tests skipped")
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        pytest.fail("Chromium is not installed: run scripts/setup_browser.sh (or set WHYREC_SKIP_BROWSER_TESTS=1)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _browser_page(demo, chromium: str):
    """Launch ``demo`` on a free loopback port and yield (page, base_url); always tear both down."""
    from playwright.sync_api import sync_playwright

    from ui.app import launch_app

    port = _free_port()
    launch_app(demo, port=port, prevent_thread_lock=True)
    OUT_DIR.mkdir(exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                yield browser.new_page(viewport={"width": 1360, "height": 1000}), f"http://127.0.0.1:{port}/"
            finally:
                browser.close()
    finally:
        demo.close()


def _real_items():
    """A small real catalog: the shipped demo catalog, else the ReDial movie table."""
    from tools.catalog.catalog import Item, load_catalog
    from tools.errors import DataError

    try:
        catalog = load_catalog()
        items = sorted(catalog.items, key=lambda it: -it.popularity)[:300]
        if items:
            return items
    except (DataError, FileNotFoundError, ValueError):
        pass
    from tools.datasets.redial import load_movies

    movies = sorted(load_movies(), key=lambda m: -m.mentions)[:300]
    return [Item(m.movie_id, m.title, m.year, (), ("mentioned in ReDial",), float(m.mentions)) for m in movies]


def test_chat_card_and_feedback_in_browser(store, tmp_path):
    chromium = _chromium()

    from agent.settings import Settings
    from ui.app import build_app

    agent = FakeAgent(store, _real_items(), k=3)
    demo = build_app(agent, store, Settings(data_dir=tmp_path, support_username=None, support_password=None))
    with _browser_page(demo, chromium) as (page, url):
        outside: list[str] = []  # nothing may leave the machine (fonts, analytics, CDNs)
        page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else outside.append(r.url))
        page.goto(url, wait_until="domcontentloaded")
        box = page.locator("#wr-input textarea")
        box.wait_for(timeout=30_000)
        box.fill("I loved Toy Story and Up, what should I watch next?")
        box.press("Enter")

        card = page.locator(".wr-card").first
        card.wait_for(timeout=30_000)
        page.locator(".wr-card .wr-expl:not(.wr-expl-pending)").first.wait_for(timeout=30_000)
        title = card.locator(".wr-title").inner_text()
        assert "Toy Story" in title
        assert "Recommended because" in card.locator(".wr-expl").inner_text()
        # the tool trace shows as a collapsed "thinking" message
        assert page.get_by_text("search_items").first.is_visible()

        card.locator("summary").click()  # open "Why?"
        assert card.locator(".wr-why li").first.is_visible()
        page.locator(".wr-fb-like").first.click()
        page.get_by_text("Thanks, we'll show you more like this").wait_for(timeout=15_000)
        page.screenshot(path=str(OUT_DIR / "ui_chat.png"), full_page=True)
    assert outside == [], f"the page contacted outside hosts: {outside[:5]}"

    rows = store.feedback()
    assert len(rows) == 1 and rows[0]["kind"] == "like"
    first_rec = store.list_recommendations(limit=10)
    assert rows[0]["rec_id"] in {r["rec_id"] for r in first_rec if r["rank"] == 1}
    assert agent.feedback_calls[0][2] == "like"


def test_support_login_and_lookup_in_browser(store, tmp_path):
    """Wrong password is refused; the right one opens the panel; a rec_id shows its full account."""
    chromium = _chromium()

    from agent.settings import Settings
    from ui.app import build_app

    agent = FakeAgent(store, _real_items(), k=2)
    session_id = agent.new_session()
    final = [e for e in agent.stream_turn(session_id, "Toy Story") if e.kind == "final"][0]
    rec_id = final.data["recommendations"][0]["rec_id"]
    settings = Settings(data_dir=tmp_path, support_username="staff", support_password="s3cret-test")
    demo = build_app(agent, store, settings)
    with _browser_page(demo, chromium) as (page, url):
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Support").click()
        page.locator("#wr-support-user input").fill("staff")
        page.locator("#wr-support-pass input").fill("wrong")
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("Wrong username or password").wait_for(timeout=15_000)
        assert not page.get_by_role("button", name="Look up").is_visible()

        page.locator("#wr-support-pass input").fill("s3cret-test")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Look up").wait_for(timeout=15_000)
        page.locator("#wr-support-query textarea").fill(rec_id)
        page.get_by_role("button", name="Look up").click()
        page.get_by_text("Conversation up to that turn").wait_for(timeout=15_000)
        body = page.locator("body").inner_text()
        assert f"Recommendation {rec_id}" in body and "search_items" in body and "check: PASSED" in body
        page.screenshot(path=str(OUT_DIR / "ui_support.png"), full_page=True)

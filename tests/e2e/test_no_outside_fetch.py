"""User text cannot make a browser fetch anything: Markdown images, links and HTML in every kind of user text,
pointing at a local server that counts requests, shown on every page in a real browser (Debian's chromium)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from pytest_httpserver import HTTPServer

from tests.e2e.hostile_seed import OPERATION_ID, payload
from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, ROOT, settle, streamlit_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bait() -> Iterator[HTTPServer]:
    """The server every payload points at: it answers anything and keeps a log of what it was asked."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(re.compile(".*")).respond_with_data(b"GIF89a", content_type="image/gif")
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, bait: HTTPServer) -> Iterator[str]:
    """The app over a fresh database holding one of each kind of hostile user text."""
    if not Path(CHROMIUM).exists():
        msg = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)
    data = tmp_path_factory.mktemp("hostile")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRE_")}
    env.update(
        SRE_DATABASE_URL=f"sqlite:///{data / 'state.db'}",
        SRE_TELEMETRY_DIR=str(data / "telemetry"),
        SRE_LOADTEST_DIR=str(data / "loadtests"),
    )
    run = {"env": env, "cwd": ROOT, "check": True, "capture_output": True}
    subprocess.run([sys.executable, "-m", "services.cli", "db", "upgrade"], **run)  # type: ignore[call-overload]
    subprocess.run([sys.executable, "-m", "tests.e2e.hostile_seed", bait.url_for("")[:-1]], **run)  # type: ignore[call-overload]
    with streamlit_server(env, log=data / "streamlit.log") as url:
        yield url


def test_no_page_fetches_or_links_what_users_wrote(app: str, bait: HTTPServer) -> None:
    from playwright.sync_api import sync_playwright

    base = bait.url_for("")[:-1]
    bait_host = urlsplit(base).netloc
    app_host = urlsplit(app).netloc
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if urlsplit(r.url).scheme in ("http", "https", "ws", "wss") and urlsplit(r.url).netloc != app_host
                else None
            ),
        )
        page.goto(app)
        settle(page)
        links = page.eval_on_selector_all("[data-testid='stSidebarNav'] a", "els => [...new Set(els.map(e => e.href))]")
        asked = quote(payload(base, "query-param"))
        links += [
            f"{app}/transactions?operation_id={asked}",
            f"{app}/transactions?operation_id={OPERATION_ID}",
            f"{app}/failures?operation={asked}&role={asked}",
            f"{app}/performance?role={asked}",
        ]
        seen = {}
        for url in links:
            page.goto(url)
            settle(page)
            # open every closed expander: a transaction item's message is inside one
            page.evaluate(
                "document.querySelectorAll(\"[data-testid='stExpander'] details:not([open]) > summary\")"
                ".forEach(s => s.click())"
            )
            page.wait_for_timeout(500)
            # what the payloads would have made: an image, a link or any element pointing at the bait server
            # (a board issue's link may carry the rest of a hostile URL, percent-encoded, in its query: not a fetch)
            pointing = f"[src*='{bait_host}'], [srcset*='{bait_host}'], [href^='{base}'], [href^='//{bait_host}']"
            made = page.eval_on_selector_all(pointing, "els => els.map(e => e.outerHTML)")
            assert not made, f"{url}: {made[0][:300]}"
            seen[url] = page.inner_text("[data-testid='stMain']")
        browser.close()
    assert not bait.log, [str(req.url) for req, _ in bait.log]
    assert not outside, outside
    # the payloads were on the pages, shown as the text users typed
    assert "incident-title ![x](" in seen[f"{app}/triage"]
    assert "runbook-title ![x](" in seen[f"{app}/triage"]
    assert "clef-message ![x](" in seen[f"{app}/transactions?operation_id={OPERATION_ID}"]
    assert "query-param ![x](" in seen[f"{app}/transactions?operation_id={asked}"]

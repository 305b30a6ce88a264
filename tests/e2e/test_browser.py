"""A real browser (Playwright driving Debian's chromium) against `streamlit run`: every page, no exception box."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        msg = "Debian's chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app/main.py` on a free port, over a migrated database and three days of demo telemetry."""
    _need_browser()
    data = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRE_")}
    env.update(SRE_DATABASE_URL=f"sqlite:///{data / 'state.db'}", SRE_TELEMETRY_DIR=str(data / "telemetry"))
    cli = [sys.executable, "-m", "services.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*cli, "demo", "seed", "--days", "3"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    log = open(data / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app/main.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"streamlit did not start: {(data / 'streamlit.log').read_text()[-2000:]}")
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def _settle(page, timeout: int = 60_000) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    page.wait_for_function(
        "document.querySelector(\"[data-testid='stApp']\")?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


@pytest.fixture(scope="module")
def browser_page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def test_every_page_renders_without_an_exception(server: str, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto(server)
    _settle(page)
    links = page.eval_on_selector_all("[data-testid='stSidebarNav'] a", "els => [...new Set(els.map(e => e.href))]")
    assert len(links) >= 4, links
    seen = []
    for url in links:
        page.goto(url)
        _settle(page)
        boxes = page.query_selector_all("[data-testid='stException']")
        errors = page.query_selector_all("[data-testid='stAlertContentError']")
        assert not boxes, f"{url}: {boxes[0].inner_text()[:300]}"
        assert not errors, f"{url}: {errors[0].inner_text()[:300]}"
        seen.append(page.title())
    assert len(seen) == len(links)


def test_slo_page_shows_both_team_slos(server: str, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto(f"{server}/slos")
    _settle(page)
    body = page.inner_text("[data-testid='stMain']")
    assert "mana availability" in body and "mana latency" in body
    assert "Error budget = 1 − 99 %" in body

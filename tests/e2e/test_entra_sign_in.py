"""Entra ID sign-in in a real browser: Streamlit's st.login against a real OpenID Connect provider on loopback
(oidc-provider-mock, whose ID tokens carry `roles` as Entra's do), app roles mapped to backoffice roles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, settle, streamlit_server
from tests.e2e.test_browser import _need_browser

pytestmark = pytest.mark.browser
HOST = "127.0.0.1"  # one spelling for the app, its redirect URI and the provider, so the sign-in cookies match
USERS = [
    {"sub": "somchai", "preferred_username": "somchai@contoso.com", "name": "Somchai", "roles": ["SRE.Lead"]},
    {"sub": "nok", "preferred_username": "nok@contoso.com", "name": "Nok", "roles": ["SRE.Viewer"]},
    {"sub": "mallory", "preferred_username": "mallory@contoso.com", "name": "Mallory", "roles": ["Finance.Reader"]},
]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """oidc-provider-mock in its own process; yields its issuer URL once discovery answers."""
    port = free_port()
    args = [sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--host", HOST, "--port", str(port)]
    for user in USERS:
        args += ["--user-claims", json.dumps(user)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the OIDC provider did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def entra_app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The backoffice in SRE_AUTH_MODE=entra, its secrets.toml pointing st.login at the provider."""
    _need_browser()
    data = tmp_path_factory.mktemp("entra")
    port = free_port()
    secrets = data / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://{HOST}:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-of-some-length-0123456789"\n'
        "[auth.microsoft]\n"
        'client_id = "backoffice"\nclient_secret = "not-a-real-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRE_")}
    env.update(
        SRE_DATABASE_URL=f"sqlite:///{data / 'state.db'}",
        SRE_TELEMETRY_DIR=str(data / "telemetry"),
        SRE_AUTH_MODE="entra",
    )
    subprocess.run([sys.executable, "-m", "services.cli", "db", "upgrade"], env=env, cwd=ROOT, check=True)
    with streamlit_server(env, log=data / "streamlit.log", args=("--secrets.files", str(secrets)), port=port) as url:
        yield url


def _sign_in(page, app: str, sub: str) -> str:  # type: ignore[no-untyped-def]
    """Sign in through the provider's form as `sub`; the sidebar's text afterwards."""
    page.goto(app)
    settle(page)
    page.get_by_role("button", name="Sign in with Microsoft").click()
    page.wait_for_selector("input[name='sub']", timeout=30_000)
    page.fill("input[name='sub']", sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app}/**", timeout=30_000)
    settle(page)
    return _text(page, "[data-testid='stSidebar']")


def _text(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    """What a reader sees there (user text carries invisible word joiners so that it cannot autolink)."""
    return str(page.inner_text(selector)).replace("\u2060", "")


def _sign_out(page, app: str) -> None:  # type: ignore[no-untyped-def]
    """Sign out: Streamlit ends the provider's session too (its confirmation form), then comes back."""
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app}/**", timeout=30_000)
    settle(page)


def _nav(page) -> set[str]:  # type: ignore[no-untyped-def]
    """The page titles the navigation offers (each link's text is its icon's name, then its title)."""
    return {t.strip().splitlines()[-1] for t in page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()}


def test_sign_in_maps_app_roles_refuses_without_one_and_signs_out(entra_app: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.goto(entra_app)
            settle(page)
            assert "Sign in with your organisation's Microsoft account" in page.inner_text("[data-testid='stMain']")
            assert not _nav(page)  # nothing is offered before sign-in

            sidebar = _sign_in(page, entra_app, "somchai")
            assert "Signed in as somchai@contoso.com (lead)" in sidebar
            assert {"Notification log", "Audit log", "Triage queue"} <= _nav(page)
            _sign_out(page, entra_app)
            assert page.get_by_role("button", name="Sign in with Microsoft").is_visible()

            sidebar = _sign_in(page, entra_app, "nok")
            assert "Signed in as nok@contoso.com (viewer)" in sidebar
            assert "Triage queue" in _nav(page) and "Notification log" not in _nav(page)
            page.goto(f"{entra_app}/notifications")  # typed by hand: not a page of this role
            settle(page)
            assert "Page not found" in page.inner_text("[role='dialog']")  # Streamlit's answer; the home page runs
            assert "Notification log" not in page.inner_text("[data-testid='stMain']")
            page.keyboard.press("Escape")
            _sign_out(page, entra_app)

            _sign_in(page, entra_app, "mallory")
            main = _text(page, "[data-testid='stMain']")
            assert "mallory@contoso.com has none of the backoffice's app roles" in main
            assert not _nav(page)
            assert page.get_by_role("button", name="Sign out").is_visible()
        finally:
            browser.close()

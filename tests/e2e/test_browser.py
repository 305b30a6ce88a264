"""A real browser (Playwright driving Debian's chromium) against `streamlit run`: every page, no exception box."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.streamlit_server import CHROMIUM, CHROMIUM_ARGS, ROOT, settle, streamlit_server

pytestmark = pytest.mark.browser
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        msg = "Debian's chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the app under test: its own database and telemetry folder."""
    data = tmp_path_factory.mktemp("e2e")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRE_")}
    env.update(
        SRE_DATABASE_URL=f"sqlite:///{data / 'state.db'}",
        SRE_TELEMETRY_DIR=str(data / "telemetry"),
        SRE_TESTRUN_DIR=str(data / "testruns"),
    )
    return env


@pytest.fixture(scope="module")
def server(server_env: dict[str, str]) -> Iterator[str]:
    """`streamlit run app/main.py` on a free port, over a migrated database and three days of demo telemetry."""
    _need_browser()
    env = server_env
    data = Path(env["SRE_TELEMETRY_DIR"]).parent
    cli = [sys.executable, "-m", "services.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*cli, "demo", "seed", "--days", "3"], env=env, cwd=ROOT, check=True, capture_output=True)
    with streamlit_server(env, log=data / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser_page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def test_every_page_renders_without_an_exception(server: str, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto(server)
    settle(page)
    links = page.eval_on_selector_all("[data-testid='stSidebarNav'] a", "els => [...new Set(els.map(e => e.href))]")
    from app.navigation import PAGES

    assert len(links) == sum(len(pages) for pages in PAGES.values()), links  # every page is in the sidebar
    seen = []
    for url in links:
        page.goto(url)
        settle(page)
        boxes = page.query_selector_all("[data-testid='stException']")
        errors = page.query_selector_all("[data-testid='stAlertContentError']")
        assert not boxes, f"{url}: {boxes[0].inner_text()[:300]}"
        assert not errors, f"{url}: {errors[0].inner_text()[:300]}"
        seen.append(page.title())
    assert len(seen) == len(links)


def test_slo_page_shows_both_team_slos(server: str, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.goto(f"{server}/slos")
    settle(page)
    body = page.inner_text("[data-testid='stMain']")
    assert "mana availability" in body and "mana latency" in body
    assert "Error budget = 1 − 99 %" in body


def _incident(server_env: dict[str, str], iid: int) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        [sys.executable, "-m", "services.cli", "incident", "show", str(iid), "--json"],
        env=server_env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def test_an_operator_triages_a_demo_incident_end_to_end(server: str, browser_page, server_env) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{server}/triage")
    settle(page)
    assert "DOPA identity verification timing out" in page.inner_text("[data-testid='stMain']")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    settle(page)
    # .last: while a rerun settles Streamlit can keep the previous run's element next to the new one
    page.locator("[data-testid='stRadio'] [role='radiogroup'] label").filter(
        has_text=re.compile("^protocol$")
    ).last.click()
    settle(page)
    assert "Resolvable by protocol" in page.inner_text("[data-testid='stMain']")
    page.get_by_role("button", name="Classify", exact=True).click()
    settle(page)
    page.get_by_text("1. Check DOPA's status page").click()
    settle(page)
    resolve = page.get_by_role("button", name="Resolve", exact=True)
    expect(resolve).to_have_count(1, timeout=30_000)  # a busy machine keeps the previous run's button a moment
    resolve.click()
    settle(page)
    # straight from acknowledged with five of six runbook steps unticked: the page asks why before resolving
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("Resolving now: without mitigating (from acknowledged); with steps 2, 3, 4, 5, 6 of 6")
    assert _incident(server_env, 1)["status"] == "acknowledged"
    reason = page.get_by_label("Reason for resolving anyway")
    reason.fill("DOPA answered again before the fallback was needed")
    reason.press("Control+Enter")
    settle(page)
    page.get_by_role("button", name="Resolve with this reason", exact=True).click()
    settle(page)
    assert not page.query_selector_all("[data-testid='stException']")
    shown = _incident(server_env, 1)
    assert (shown["status"], shown["classification"], shown["assignee"]) == ("resolved", "protocol", "admin")
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds == ["created", "status", "assigned", "classified", "runbook_step", "status", "resolve_reason"]
    assert "step 1 of DOPA identity verification timing out" in shown["timeline"][4]["message"]
    assert shown["timeline"][6]["message"].endswith("Reason: DOPA answered again before the fallback was needed")
    # the page stays on the resolved incident and links the postmortem resolving opened
    expect(main).to_contain_text("Done: resolve incident #1.")
    expect(main).to_contain_text("#1 · Sev1 · DOPA identity verification timing out")
    link = page.get_by_role("link", name="Open its postmortem draft")
    expect(link).to_have_attribute("href", re.compile(r"postmortems\?incident=1$"))
    link.click()
    settle(page)
    expect(main).to_contain_text("Status draft")
    expect(main.get_by_role("combobox", name="Incident")).to_have_value("#1 Sev1 DOPA identity verification timing out")
    page.get_by_role("button", name=re.compile("^Compute impact from telemetry")).click()
    settle(page)
    assert not page.query_selector_all("[data-testid='stException']")
    deadline = time.monotonic() + 30  # the click's run may still be writing the impact when the page settles
    while "incident" not in (impact := _postmortem_impact(server_env, 1)) and time.monotonic() < deadline:
        time.sleep(0.2)
    mine, whole = impact["incident"], impact["service_wide"]
    assert impact["signature"] == {
        "result_code": "504",
        "dependency": "api.dopa.go.th",
        "exception_type": "System.TimeoutException",
    }
    assert 0 < mine["failed"] < whole["failed"]  # DOPA's failures, not the 401s and 404s of the same minutes
    failed = page.locator("[data-testid='stMetric']").filter(has_text="Failed requests")
    expect(failed).to_contain_text(f"{mine['failed']:,}")


def _postmortem_impact(server_env: dict[str, str], iid: int) -> dict:  # type: ignore[type-arg]
    from services.auth import Actor
    from services.db import make_engine, session_scope
    from services.postmortems import service as postmortems

    engine = make_engine(server_env["SRE_DATABASE_URL"])
    with session_scope(engine) as s:
        pm = postmortems.get_for_incident(s, actor=Actor("lead", "lead"), incident_id=iid)
        impact = dict(pm.impact) if pm else {}
    engine.dispose()
    return impact


def test_the_demo_feature_whose_gate_passed_advances_from_its_page(server: str, browser_page, server_env) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from services.auth import Actor
    from services.db import make_engine, session_scope
    from services.features import service as features

    lead = Actor("lead", "lead")
    engine = make_engine(server_env["SRE_DATABASE_URL"])  # the server's database, as `demo seed` left it
    with session_scope(engine) as s:
        demo = {f.title: f for f in features.list_features(s, actor=lead)}["Shop search filters"]
        fid, phase = demo.id, demo.phase
    assert phase == "testing"  # the demo drove it there; its k6 run of 2026.12.1 meets the SLOs on GET /api/shops
    page = browser_page
    page.goto(f"{server}/feature?feature={fid}")
    settle(page)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("Phase Testing & Integration")
    expect(main).to_contain_text("ready to advance")
    page.get_by_role("button", name="Advance to Maintenance", exact=True).click()
    settle(page)
    expect(main).to_contain_text(f"Done: advance feature #{fid} from Testing & Integration to Maintenance.")
    expect(main).to_contain_text("Phase Maintenance")
    assert not page.query_selector_all("[data-testid='stException']")
    with session_scope(engine) as s:
        assert features.get_feature(s, actor=lead, feature_id=fid).phase == "maintenance"
        moves = [(m.kind, m.to_phase) for m in features.history(s, actor=lead, feature_id=fid)]
        assert moves[-1] == ("advance", "maintenance")
    engine.dispose()

"""Every page through AppTest: no exception, and the numbers a user would check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services import audit
from services.auth import Actor
from services.db import session_scope
from services.demo import history
from tests.pages.conftest import MAIN

TIMEOUT = 60
# what app_env's seeding recorded, newest first: each team SLO, then its 3 burn-rate alert rules
SEEDED = (["alert_rule.create"] * 3 + ["slo.create"]) * 2


def _app(page: str | None = None, user: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    if user:
        at.session_state["auth.user"] = user
    at.run()
    if page:
        at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_home_shows_the_workflow_and_live_tiles(app_env: Engine) -> None:
    at = _app()
    dot = at.get("graphviz_chart")[0].proto.spec
    for i, phase in enumerate(
        ("Planning", "Analysis", "Design", "Implementation", "Testing & Integration", "Maintenance")
    ):
        assert f'label="{i + 1}. {phase}"' in dot
    # Monitoring is red: 10 % of the last hour failed, above the 1 % the availability target allows
    assert 'label="Monitoring", fillcolor="#f8d0d0"' in dot
    m = _metrics(at)
    # the last hour holds 60 of the 200 requests (one a minute), 6 of them failed
    assert m["requests of mana, last hour"] == "60"
    assert m["latest release in production"] == "2026.11.4"
    assert m["open incidents"] == "0"
    captions = " ".join(c.value for c in at.caption)
    assert "10.00% failed" in captions
    assert "p95 450 ms" in captions


def test_slo_page_shows_sli_budget_and_the_formulas(app_env: Engine) -> None:
    at = _app("slos")
    m = [(x.label, x.value) for x in at.metric]
    # availability: 180 good of 200 -> 90.000 %; budget 1 % of 200 = 2 allowed, 20 bad -> 1 - 20/2 = -900 %
    assert ("SLI", "90.000 %") in m
    assert ("Budget remaining", "-900.0 %") in m
    # latency: 150 of 200 under 300 ms -> 75.000 %; 50 bad of 2 allowed -> -2400 %
    assert ("SLI", "75.000 %") in m
    assert ("Budget remaining", "-2400.0 %") in m
    md = " ".join(x.value for x in at.markdown)
    assert "allowed bad = 0.01 × 200 = **2.0**" in md
    assert "bad = 200 − 180 = **20**" in md
    frames = [d.value for d in at.dataframe]
    burn = frames[1]  # the availability SLO's window table
    assert list(burn["window"]) == ["5m", "30m", "1h", "6h", "3d"]
    assert burn.set_index("window").loc["1h", "total"] == "60"
    assert burn.set_index("window").loc["1h", "bad"] == "6"
    assert burn.set_index("window").loc["1h", "burn rate"] == "10.00×"  # (6/60)/0.01


def test_a_viewer_cannot_create_an_slo_and_nothing_is_stored(app_env: Engine) -> None:
    at = _app("slos", user="viewer")
    form_inputs = [t for t in at.text_input if t.label == "Name"]
    form_inputs[0].input("sneaky")
    at.button(key="FormSubmitter:slos.form.new-Create SLO").click().run()
    assert any("needs the lead role" in w.value for w in at.warning)
    with session_scope(app_env) as s:
        assert [r.action for r in audit.list_records(s, actor=Actor("a", "admin"))] == SEEDED


def test_an_invalid_slo_form_says_what_is_wrong(app_env: Engine) -> None:
    at = _app("slos", user="lead")
    next(t for t in at.text_input if t.label == "Name").input("checkout")
    next(n for n in at.number_input if n.label == "Objective (%)").set_value(100.0)
    at.button(key="FormSubmitter:slos.form.new-Create SLO").click().run()
    assert any("objective: must be strictly between 0 and 100" in e.value for e in at.error)


def test_a_lead_creates_an_slo_and_it_is_audited(app_env: Engine) -> None:
    at = _app("slos", user="lead")
    next(t for t in at.text_input if t.label == "Name").input("shops latency")
    next(t for t in at.text_input if t.label.startswith("Operation")).input("GET /api/shops")
    next(s for s in at.selectbox if s.label == "SLI kind").set_value("latency")
    at.button(key="FormSubmitter:slos.form.new-Create SLO").click().run()
    assert not at.exception
    with session_scope(app_env) as s:
        recs = audit.list_records(s, actor=Actor("a", "admin"))
        assert [r.action for r in recs[:4]] == ["alert_rule.create"] * 3 + ["slo.create"]  # with its rules
        assert recs[3].actor == "lead"
        assert recs[3].after["operation"] == "GET /api/shops" and recs[3].after["threshold_ms"] == 300.0


def test_audit_page_lists_the_records(app_env: Engine) -> None:
    at = _app("audit")
    frame = at.dataframe[0].value
    assert list(frame["action"]) == SEEDED
    assert list(frame["who"]) == ["admin (admin)"] * len(SEEDED)


def test_logs_page_runs_kql_and_reports_syntax_errors(app_env: Engine) -> None:
    at = _app("logs")
    at.text_area[0].input("AppRequests | summarize n = count(), failed = countif(Success == false)")
    at.button(key="logs.run").click().run()
    frame = at.dataframe[0].value
    assert (frame.n.iloc[0], frame.failed.iloc[0]) == (200, 20)
    at.text_area[0].input("AppRequests\n| summarize n = count(\n| take 1")
    at.button(key="logs.run").click().run()
    assert any("line" in e.value and "column" in e.value for e in at.error)


def test_a_corrupt_telemetry_file_is_named_and_other_pages_keep_working(app_env: Engine, isolated_settings) -> None:
    bad = isolated_settings / "telemetry" / "AppRequests" / "half-copied.parquet"
    bad.write_bytes(b"PAR1 not really")
    at = _app("slos")
    # the SLOs answer from the good file alone (as in test_slo_page_shows_sli_budget_and_the_formulas)
    assert not at.error and ("SLI", "90.000 %") in [(x.label, x.value) for x in at.metric]
    sidebar = " ".join(c.value for c in at.sidebar.caption)
    assert "1 file left out of queries: `AppRequests/half-copied.parquet`" in sidebar
    at.switch_page("../pages/audit.py").run()
    assert not at.exception and len(at.dataframe[0].value) == len(SEEDED)


def test_a_misconfigured_azure_source_names_the_setting(app_env: Engine, monkeypatch) -> None:
    from services.config import get_settings

    monkeypatch.setenv("SRE_TELEMETRY_SOURCE", "azure")
    get_settings.cache_clear()
    at = _app("slos")
    assert any("SRE_AZURE_WORKSPACE_ID" in e.value for e in at.error)
    at.switch_page("../pages/audit.py").run()
    assert not at.exception and len(at.dataframe[0].value) == len(SEEDED)


def test_home_says_while_the_demo_history_is_still_being_written(app_env: Engine, isolated_settings: Path) -> None:
    root = isolated_settings / "telemetry"
    later = history.plan(root, end=datetime.now(UTC).replace(second=0, microsecond=0), days=30, recent_days=2, seed=7)
    assert later is not None
    note = [i.value for i in _app().info if "Demo history" in i.value]
    assert len(note) == 1 and f"0 of {later.total} older day(s) done" in note[0]
    history.clear(root)
    st.cache_data.clear()
    assert not [i.value for i in _app().info if "Demo history" in i.value]

"""The SLOs page offers the ratio kind: a lead creates a DOPA success-rate SLO from two KQL queries, and its status
shows the queries with the SLI and budget counted from their rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.alerts import repository as alert_repo
from services.db import session_scope
from services.slos import service as slo_service
from tests.pages.conftest import MAIN
from tests.services.slos.test_apply import LEAD
from tests.telemetry_fixtures import write

DOPA = 'AppDependencies | where Target == "api.dopa.go.th"'


def test_a_ratio_slo_is_created_on_the_page_and_shows_its_queries(app_env: Engine, isolated_settings: Path) -> None:
    now = datetime.now(UTC)
    # 100 DOPA calls over the last 100 minutes (30 s or more before now, so inside the page's floored instant),
    # every 5th failed: 80 good of 100
    write(isolated_settings / "telemetry", "AppDependencies", [
        {"TimeGenerated": now - timedelta(minutes=i, seconds=30), "AppRoleName": "mana", "Target": "api.dopa.go.th",
         "Success": i % 5 != 0, "DurationMs": 90.0, "ItemCount": 1} for i in range(100)
    ])  # fmt: skip
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth.user"] = "lead"
    at.run()
    at.switch_page("../pages/slos.py").run()
    next(t for t in at.text_input if t.label == "Name").input("DOPA success")
    next(s for s in at.selectbox if s.label == "SLI kind").set_value("ratio")
    next(t for t in at.text_area if t.label == "Good (or bad) query").input(DOPA + " | where Success == true")
    next(t for t in at.text_area if t.label == "Total query").input(DOPA)
    at.button(key="FormSubmitter:slos.form.new-Create SLO").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.toast] == [
        "SLO 'DOPA success' created with its 3 burn-rate alert rules, evaluated from the worker's next cycle."
    ]
    with session_scope() as s:
        slo = slo_service.get_slo_by_name(s, actor=LEAD, name="DOPA success")
        assert (slo.kind, slo.good_query, slo.total_query, slo.bad_query) == (
            "ratio", DOPA + " | where Success == true", DOPA, None)  # fmt: skip
        assert len(alert_repo.slo_rules(s, slo.id)) == 3
    assert "DOPA success: 99 % of the events of mana good over 30 days" in " ".join(c.value for c in at.caption)
    assert DOPA + " | where Success == true" in [c.value for c in at.code]
    assert ("SLI", "80.000 %") in [(m.label, m.value) for m in at.metric]
    md = " ".join(x.value for x in at.markdown)
    assert "rows of the good query / rows of the total query (sum of ItemCount)" in md
    assert "bad = 100 − 80 = **20**" in md

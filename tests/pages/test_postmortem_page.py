"""The postmortems page through AppTest: impact from telemetry with its numbers, save, publish, Markdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services import incident_response
from services.auth import Actor
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from services.postmortems import service as postmortems
from tests.pages.conftest import MAIN

OPS = Actor("operator", "operator")


def _resolved_incident(minutes: int) -> int:
    """A Sev2 incident detected `minutes` ago, resolved now: its postmortem draft exists."""
    data = parse_incident_input(
        {
            "title": "Shops errors",
            "service": "mana",
            "severity": "Sev2",
            "detected_at": datetime.now(UTC) - timedelta(minutes=minutes),
        }
    )
    with session_scope() as s:
        iid = incidents.create_incident(s, actor=OPS, data=data).id
        incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved")
        return iid


def _page(user: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth.user"] = user
    at.run()
    at.switch_page("../pages/postmortems.py").run()
    assert not at.exception, at.exception
    return at


def test_impact_from_telemetry_and_publishing(app_env: Engine) -> None:
    iid = _resolved_incident(minutes=20)  # app_env has one request a minute, every 10th failed
    at = _page("operator")
    assert at.dataframe[0].value["status"].iloc[0] == "draft"
    at.button(key="pm.impact.1").click().run()
    assert not at.exception, at.exception
    m = {x.label: x.value for x in at.metric}
    # requests detected…resolved: the 20 minutes hold 20 requests (minutes 0..19, at :30), 2 failed (0 and 10)
    assert m["Requests in the window"] == "20" and m["Failed requests"] == "2"
    with session_scope() as s:
        pm = postmortems.get_for_incident(s, actor=OPS, incident_id=iid)
        assert pm is not None and pm.impact["failed"] == 2
        postmortems.update_postmortem(s, actor=OPS, postmortem_id=pm.id, fields={"root_cause": "A bad deploy"})
        postmortems.move_postmortem(s, actor=OPS, postmortem_id=pm.id, to="in_review")
    at = _page("operator")
    at.button(key="pm.move.1.published").click().run()
    assert any("needs the lead role" in w.value for w in at.warning)
    at = _page("lead")
    at.button(key="pm.move.1.published").click().run()
    with session_scope() as s:
        assert postmortems.get_for_incident(s, actor=OPS, incident_id=iid).status == "published"  # type: ignore[union-attr]


def test_incident_metrics_page(app_env: Engine) -> None:
    _resolved_incident(minutes=30)
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page("../pages/incident_metrics.py").run()
    assert not at.exception, at.exception
    m = {x.label: x.value for x in at.metric}
    assert m["Incidents"] == "1" and m["Postmortems in progress"] == "1"
    table = at.dataframe[0].value
    assert table["mttr_min"].iloc[0] == pytest.approx(30.0, abs=0.2)

"""The postmortems page through AppTest: impact from telemetry with its numbers, save, publish, Markdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services import incident_response
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from services.postmortems import service as postmortems
from services.telemetry.writer import to_table, write_table
from tests.pages.conftest import MAIN, rows_ending

OPS = Actor("operator", "operator")


def _resolved_incident(minutes: int, **signature: str) -> int:
    """A Sev2 incident detected `minutes` ago, resolved now (straight from new, with a reason): its postmortem
    draft exists."""
    data = parse_incident_input(
        {
            "title": "Shops errors",
            "service": "mana",
            "severity": "Sev2",
            "detected_at": datetime.now(UTC) - timedelta(minutes=minutes),
            **signature,
        }
    )
    with session_scope() as s:
        iid = incidents.create_incident(s, actor=OPS, data=data).id
        incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved", reason="a rollback fixed it")
        return iid


def _page(user: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth.user"] = user
    at.run()
    at.switch_page("../pages/postmortems.py").run()
    assert not at.exception, at.exception
    return at


def test_impact_from_telemetry_and_publishing(app_env: Engine, isolated_settings: Path) -> None:
    # app_env has one GET /api/shops a minute, every 10th failed with a 500; add two 404s of another operation
    now = datetime.now(UTC)
    lost = [{**r, "Name": "GET /api/shops/{id}", "Success": False, "ResultCode": "404"} for r in rows_ending(now)[3:5]]
    write_table(isolated_settings / "telemetry", "AppRequests", to_table("AppRequests", lost))
    iid = _resolved_incident(minutes=20, operation="GET /api/shops", result_code="500")
    at = _page("operator")
    assert at.dataframe[0].value["status"].iloc[0] == "draft"
    at.button(key="pm.impact.1").click().run()
    assert not at.exception, at.exception
    m = {x.label: x.value for x in at.metric}
    # detected…resolved: the 20 minutes hold 20 shop requests (minutes 0..19, at :30), 2 failed with 500 (0 and 10),
    # and the two 404s of GET /api/shops/{id}, which the whole service counts and the incident does not
    assert m["Failed requests"] == "2"
    table = at.dataframe[1].value.set_index("figure")
    assert table.loc["Failed requests"].to_dict() == {"this incident": 2, "the whole service": 4}
    assert table.loc["Requests in scope"].to_dict() == {"this incident": 20, "the whole service": 22}
    with session_scope() as s:
        pm = postmortems.get_for_incident(s, actor=OPS, incident_id=iid)
        assert pm is not None and (pm.impact["incident"]["failed"], pm.impact["service_wide"]["failed"]) == (2, 4)
    # a narrower window: the last 5 minutes (from detected + 15 min) hold minute 0's failure only
    at.toggle(key="pm.window.adjust.1").set_value(True).run()
    start = (now - timedelta(minutes=5)).astimezone(ZoneInfo(get_settings().ui.display_timezone))  # as entered
    at.date_input(key="pm.window.from_day.1").set_value(start.date())
    at.time_input(key="pm.window.from_time.1").set_value(start.time().replace(second=0, microsecond=0)).run()
    at.button(key="pm.impact.1").click().run()
    with session_scope() as s:
        pm = postmortems.get_for_incident(s, actor=OPS, incident_id=iid)
        assert pm is not None and pm.impact["incident"]["failed"] == 1
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
    assert table["mttr"].iloc[0] == "30 min"  # resolved 30 minutes (and a moment) after it was detected

"""The triage queue page through AppTest: the queue's numbers, classify with the protocol, stale edits refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.auth import Actor
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from tests.markdown_text import shown
from tests.pages.conftest import MAIN

OPS = Actor("operator", "operator")


def _open(title: str, sev: str, minutes_ago: int) -> int:
    data = parse_incident_input(
        {
            "title": title,
            "service": "mana",
            "severity": sev,
            "detected_at": datetime.now(UTC) - timedelta(minutes=minutes_ago),
        }
    )
    with session_scope() as s:
        return incidents.create_incident(s, actor=OPS, data=data).id


def _page(user: str = "operator") -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth.user"] = user
    at.run()
    at.switch_page("../pages/triage.py").run()
    assert not at.exception, at.exception
    return at


def test_queue_numbers_and_clocks(app_env: Engine) -> None:
    _open("DOPA timeouts", "Sev2", 90)
    _open("Login brute force", "Sev1", 10)
    at = _page()
    m = {x.label: x.value for x in at.metric}
    assert m == {"Incidents in the queue": "2", "Waiting for acknowledgement": "2", "Acknowledge target breached": "1"}
    table = at.dataframe[0].value
    assert list(table["severity"]) == ["Sev1", "Sev2"]
    assert table["acknowledge clock"].iloc[0] in ("20 min left", "19 min left")
    assert table["acknowledge clock"].iloc[1].startswith("OVERDUE by 3")  # 90 − 60 min target


def test_classify_shows_the_protocol_and_writes_the_timeline(app_env: Engine) -> None:
    iid = _open("DOPA timeouts", "Sev2", 5)
    at = _page()
    at.radio(key=f"triage.class.{iid}").set_value("critical").run()
    assert any("priority-1 board issue and run the hotfix process" in i.value for i in at.info)
    at.button(key=f"triage.classify.{iid}").click().run()
    assert not at.exception
    with session_scope() as s:
        inc = incidents.get_incident(s, actor=OPS, incident_id=iid)
        assert inc.classification == "critical" and inc.updated_by == "operator"
    assert any("classify as critical" in x.value for x in at.success)


def test_a_change_made_meanwhile_is_not_overwritten(app_env: Engine) -> None:
    iid = _open("DOPA timeouts", "Sev2", 5)
    at = _page()
    with session_scope() as s:  # another operator acknowledges while this page is open
        incidents.acknowledge(s, actor=Actor("ola", "operator"), incident_id=iid)
    at.button(key=f"triage.classify.{iid}").click().run()
    assert any("changed by ola meanwhile" in e.value for e in at.error)
    with session_scope() as s:
        assert incidents.get_incident(s, actor=OPS, incident_id=iid).classification == "unknown"


def test_a_viewer_reads_but_cannot_triage(app_env: Engine) -> None:
    iid = _open("DOPA timeouts", "Sev2", 5)
    at = _page("viewer")
    at.button(key=f"triage.move.{iid}.acknowledged").click().run()
    assert [w.value for w in at.warning if "needs" in w.value] == [
        "Acknowledging an incident needs the operator role; you are viewer."
    ]
    with session_scope() as s:
        assert incidents.get_incident(s, actor=OPS, incident_id=iid).status == "new"


def _links(at: AppTest) -> list[tuple[str, str]]:
    return [(p.proto.label, p.proto.query_string) for p in at.get("page_link") if "ostmortem" in p.proto.label]


def test_resolving_stays_on_the_incident_and_links_its_postmortem(app_env: Engine) -> None:
    first, second = _open("Payments failing", "Sev1", 30), _open("Shops slow", "Sev2", 20)
    at = _page()
    at.selectbox(key="triage.chosen").set_value(second).run()
    at.button(key=f"triage.move.{second}.mitigating").click().run()
    assert at.selectbox(key="triage.chosen").value == second
    at.button(key=f"triage.move.{second}.resolved").click().run()  # mitigating first: nothing skipped, no question
    assert not at.exception, at.exception
    assert [shown(s.value) for s in at.success] == [f"Done: resolve incident #{second}."]
    # the resolved incident left the queue (open incidents only) and stays open, marked as such
    assert at.selectbox(key="triage.chosen").value == second
    assert "(resolved, not in the queue)" in at.selectbox(key="triage.chosen").format_func(second)
    assert list(at.dataframe[0].value["id"]) == [first]
    # resolving a Sev2 opened its postmortem: linked under the message and beside the incident
    assert _links(at) == [
        ("Open its postmortem draft", f"incident={second}"),
        ("Postmortem (draft)", f"incident={second}"),
    ]
    at.run()  # the message was said once; the incident stays open and its postmortem linked
    assert at.selectbox(key="triage.chosen").value == second and not at.success
    assert _links(at) == [("Postmortem (draft)", f"incident={second}")]


def _brute_force_protocol_incident() -> int:
    """A Sev3 brute force on one account, classified protocol, with the demo runbooks seeded; its id."""
    from services.incidents import runbooks

    with session_scope() as s:
        runbooks.seed_demo_runbooks(s, actor=Actor("lead", "lead"))
        data = parse_incident_input(
            {
                "title": "Brute force on somchai",
                "service": "mana",
                "severity": "Sev3",
                "operation": "POST /api/auth/login",
                "result_code": "401",
            }
        )
        iid = incidents.create_incident(s, actor=OPS, data=data).id
        incidents.classify(s, actor=OPS, incident_id=iid, classification="protocol")
        return iid


def test_resolving_a_protocol_incident_early_asks_for_a_reason_that_goes_on_the_timeline(app_env: Engine) -> None:
    iid = _brute_force_protocol_incident()
    with session_scope() as s:
        incidents.acknowledge(s, actor=OPS, incident_id=iid)
    at = _page()
    at.button(key=f"triage.move.{iid}.resolved").click().run()
    assert not at.exception, at.exception
    asked = [shown(w.value) for w in at.warning if w.value.startswith("Resolving now")]
    assert asked == [
        "Resolving now: without mitigating (from acknowledged); with steps 1, 2, 3, 4, 5 of 5 of the runbook 'Login "
        "brute force against one account' unticked. Say why; the reason goes on the timeline."
    ]
    with session_scope() as s:
        assert incidents.get_incident(s, actor=OPS, incident_id=iid).status == "acknowledged"  # asked, not resolved
    at.button(key=f"triage.resolve.confirm.{iid}").click().run()  # no reason given: the service refuses
    assert any("needs a reason" in e.value for e in at.error)
    at.text_area(key=f"triage.reason.{iid}").input("Account locked by hand; the WAF rule follows tomorrow").run()
    at.button(key=f"triage.resolve.confirm.{iid}").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="triage.chosen").value == iid
    assert [shown(s.value) for s in at.success] == [f"Done: resolve incident #{iid}."]
    assert _links(at) == []  # a Sev3 gets no postmortem unless someone starts one
    with session_scope() as s:
        assert incidents.get_incident(s, actor=OPS, incident_id=iid).status == "resolved"
        last = incidents.timeline(s, actor=OPS, incident_id=iid)[-1]
    assert last.kind == "resolve_reason" and last.actor == "operator"
    assert last.message.endswith("Reason: Account locked by hand; the WAF rule follows tomorrow")
    timeline = at.dataframe[-1].value
    assert timeline["what"].iloc[-1] == "resolve_reason"


def test_bulk_acknowledge(app_env: Engine) -> None:
    a, b = _open("one", "Sev3", 5), _open("two", "Sev3", 6)
    at = _page()
    at.multiselect(key="triage.bulk").set_value([a, b]).run()
    at.button(key="triage.bulk.ack").click().run()
    with session_scope() as s:
        assert {incidents.get_incident(s, actor=OPS, incident_id=i).status for i in (a, b)} == {"acknowledged"}


def test_a_protocol_incident_shows_its_runbook_and_ticks_go_to_the_timeline(app_env: Engine) -> None:
    iid = _brute_force_protocol_incident()
    at = _page()
    assert any("Runbook: Login brute force against one account" in m.value for m in at.markdown)
    boxes = [c for c in at.checkbox if shown(c.label).startswith("2. Lock the account")]
    boxes[0].check().run()
    assert not at.exception
    with session_scope() as s:
        last = incidents.timeline(s, actor=OPS, incident_id=iid)[-1]
        assert last.kind == "runbook_step" and "step 2 of Login brute force" in last.message
    at.run()
    assert [c.value for c in at.checkbox if c.label[0].isdigit()] == [False, True, False, False, False]


def test_critical_from_the_page_opens_a_github_issue_and_refreshes_its_state(
    app_env: Engine,
    httpserver,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import streamlit as st

    from services.config import get_settings
    from tests.board_fakes import ISSUES, FakeGitHub

    fake = FakeGitHub()
    httpserver.expect_request(ISSUES).respond_with_handler(fake.handle)
    httpserver.expect_request(f"{ISSUES}/1").respond_with_json(
        {"number": 1, "html_url": "https://github.com/contoso/mana/issues/1", "state": "closed", "title": "t"}
    )
    for k, v in {
        "SRE_BOARD": "github",
        "SRE_GITHUB_REPO": "contoso/mana",
        "SRE_GITHUB_TOKEN": "ghp_x_123456789",
        "SRE_GITHUB_API_URL": httpserver.url_for("/"),
    }.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    st.cache_resource.clear()
    iid = _open("Payments failing", "Sev1", 3)
    at = _page()
    at.radio(key=f"triage.class.{iid}").set_value("critical").run()
    at.button(key=f"triage.classify.{iid}").click().run()
    assert not at.exception and len(fake.issues) == 1
    at.run()
    linked = [m.value for m in at.markdown if "github 1 · state open" in shown(m.value)]
    assert linked and "(<https://github.com/contoso/mana/issues/1>)" in linked[0]
    at.button(key="triage.board.refresh.1").click().run()
    at.run()
    assert any("state **closed**" in m.value for m in at.markdown)


def test_leads_edit_severity_definitions_and_operators_cannot(app_env: Engine) -> None:
    from services.incidents.severities import definitions

    at = _page("operator")
    at.number_input[0].set_value(5)
    at.button(key="FormSubmitter:triage.sev.form-Save definition").click().run()
    assert any("needs the lead role" in w.value for w in at.warning)
    at = _page("lead")
    at.selectbox(key="triage.sev.edit").set_value("Sev3").run()
    at.text_area[-1].input("Minor, with a workaround")
    at.number_input[0].set_value(45)
    at.button(key="FormSubmitter:triage.sev.form-Save definition").click().run()
    with session_scope() as s:
        d = definitions(s, actor=OPS)["Sev3"]
        assert (d.scope, d.ack_target_minutes) == ("Minor, with a workaround", 45)
        assert definitions(s, actor=OPS)["Sev0"].ack_target_minutes == 15


def test_home_counts_open_incidents(app_env: Engine) -> None:
    _open("Payments failing", "Sev1", 3)
    _open("Typo", "Sev4", 3)
    at = AppTest.from_file(MAIN, default_timeout=60).run()
    m = {x.label: x.value for x in at.metric}
    assert m["open incidents"] == "2"
    assert any("1 Sev1, 1 Sev4" in c.value for c in at.caption)
    assert 'label="Incident Response", fillcolor="#f8d0d0"' in at.get("graphviz_chart")[0].proto.spec


def test_runbooks_page_saves_a_new_version_for_leads_only(app_env: Engine) -> None:
    from services.incidents import runbooks

    with session_scope() as s:
        runbooks.seed_demo_runbooks(s, actor=Actor("lead", "lead"))
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth.user"] = "operator"
    at.run()
    at.switch_page("../pages/runbooks.py").run()
    assert list(at.dataframe[0].value["key"]) == ["dopa-timeouts", "latency-regression", "login-brute-force"]
    at.selectbox(key="runbooks.pick").set_value("dopa-timeouts").run()
    at.text_area[0].input("Check DOPA\nFail over")
    at.button(key="FormSubmitter:runbooks.form.dopa-timeouts-Save as a new version").click().run()
    assert any("needs the lead role" in w.value for w in at.warning)
    at.session_state["auth.user"] = "lead"
    at.run()
    at.text_area[0].input("Check DOPA\nFail over")
    at.button(key="FormSubmitter:runbooks.form.dopa-timeouts-Save as a new version").click().run()
    assert any("Saved dopa-timeouts v2" in x.value for x in at.success)
    with session_scope() as s:
        latest = {r.key: r for r in runbooks.latest(s)}
        assert latest["dopa-timeouts"].steps == ["Check DOPA", "Fail over"]
        assert latest["dopa-timeouts"].dependency == "api.dopa.go.th"

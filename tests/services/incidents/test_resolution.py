"""Resolving asks for a reason when it skips mitigating or leaves a protocol incident's runbook steps unticked; the
reason goes on the timeline beside what was skipped. The service checks it, whatever the page shows."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from services import incident_response
from services.auth import Actor
from services.db import session_scope
from services.errors import InvalidInput
from services.incidents import runbooks
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from services.postmortems import service as postmortems

LEAD = Actor("lena", "lead")
OPS = Actor("olli", "operator")
BRUTE_FORCE = {"operation": "POST /api/auth/login", "result_code": "401"}  # the login-brute-force runbook, 5 steps


def _incident(engine: Engine, severity: str = "Sev3", classification: str = "unknown", **sig: str) -> int:
    with session_scope(engine) as s:
        runbooks.seed_demo_runbooks(s, actor=LEAD)
        data = parse_incident_input({"title": "Brute force", "service": "mana", "severity": severity, **sig})
        iid = incidents.create_incident(s, actor=OPS, data=data).id
        if classification != "unknown":
            incidents.classify(s, actor=OPS, incident_id=iid, classification=classification)
        return iid


def _kinds(engine: Engine, iid: int) -> list[str]:
    with session_scope(engine) as s:
        return [e.kind for e in incidents.timeline(s, actor=OPS, incident_id=iid)]


def test_resolving_a_protocol_incident_with_unticked_steps_and_no_mitigating_needs_a_reason(engine: Engine) -> None:
    iid = _incident(engine, "Sev2", "protocol", **BRUTE_FORCE)
    with session_scope(engine) as s:
        view = runbooks.runbook_for(s, actor=OPS, incident_id=iid)
        assert view is not None and len(view.steps) == 5
        for step in (0, 1):
            runbooks.tick_step(s, actor=OPS, incident_id=iid, runbook_id=view.id, step=step)
        incidents.acknowledge(s, actor=OPS, incident_id=iid)
        gaps = incidents.resolution_gaps(s, actor=OPS, incident_id=iid)
    assert gaps == [
        "without mitigating (from acknowledged)",
        "with steps 3, 4, 5 of 5 of the runbook 'Login brute force against one account' unticked",
    ]
    before = _kinds(engine, iid)
    for reason in ("", "   "):
        with session_scope(engine) as s, pytest.raises(InvalidInput) as refused:
            incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved", reason=reason)
    assert str(refused.value) == (
        f"Resolving incident {iid} without mitigating (from acknowledged) and with steps 3, 4, 5 of 5 of the runbook "
        "'Login brute force against one account' unticked needs a reason; give one (it goes on the timeline)."
    )
    with session_scope(engine) as s:  # refused: nothing changed, no postmortem opened
        assert incidents.get_incident(s, actor=OPS, incident_id=iid).status == "acknowledged"
        assert postmortems.get_for_incident(s, actor=OPS, incident_id=iid) is None
    assert _kinds(engine, iid) == before

    with session_scope(engine) as s:
        incident_response.transition(
            s, actor=OPS, incident_id=iid, to="resolved", reason="Account locked by the WAF team directly"
        )
    with session_scope(engine) as s:
        events = incidents.timeline(s, actor=OPS, incident_id=iid)
        assert incidents.get_incident(s, actor=OPS, incident_id=iid).status == "resolved"
        pm = postmortems.get_for_incident(s, actor=OPS, incident_id=iid)
        assert pm is not None and pm.timeline[-1]["text"].startswith("olli: Resolved without mitigating")
    status, why = events[-2:]
    assert (status.kind, status.message) == ("status", "Status acknowledged → resolved")
    assert why.kind == "resolve_reason" and why.actor == "olli"
    assert why.message == (
        "Resolved without mitigating (from acknowledged) and with steps 3, 4, 5 of 5 of the runbook 'Login brute "
        "force against one account' unticked. Reason: Account locked by the WAF team directly"
    )
    assert why.data == {"gaps": gaps, "reason": "Account locked by the WAF team directly"}


def test_mitigating_first_with_every_step_ticked_needs_no_reason(engine: Engine) -> None:
    iid = _incident(engine, classification="protocol", **BRUTE_FORCE)
    with session_scope(engine) as s:
        view = runbooks.runbook_for(s, actor=OPS, incident_id=iid)
        assert view is not None
        for step in range(len(view.steps)):
            runbooks.tick_step(s, actor=OPS, incident_id=iid, runbook_id=view.id, step=step)
        incident_response.transition(s, actor=OPS, incident_id=iid, to="mitigating")
        assert incidents.resolution_gaps(s, actor=OPS, incident_id=iid) == []
        incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved")
    assert _kinds(engine, iid)[-2:] == ["status", "status"]  # no reason asked, none recorded


def test_unticked_steps_count_only_for_an_incident_resolvable_by_protocol(engine: Engine) -> None:
    critical = _incident(engine, classification="critical", **BRUTE_FORCE)  # matches the runbook, not by protocol
    no_runbook = _incident(engine, classification="protocol", operation="GET /api/orders")
    with session_scope(engine) as s:
        for iid in (critical, no_runbook):
            incident_response.transition(s, actor=OPS, incident_id=iid, to="mitigating")
            assert incidents.resolution_gaps(s, actor=OPS, incident_id=iid) == []
            incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved")


def test_an_alert_that_resolved_itself_gives_its_note_as_the_reason(engine: Engine) -> None:
    iid = _incident(engine)
    note = "Azure Monitor resolved the alert at 2026-11-01 12:30"
    with session_scope(engine) as s:
        incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved", note=note)
    with session_scope(engine) as s:
        last = incidents.timeline(s, actor=OPS, incident_id=iid)[-1]
    assert (last.kind, last.message) == ("resolve_reason", f"Resolved without mitigating (from new). Reason: {note}")

"""Incidents on SQLite and PostgreSQL: workflow with times and timeline, classification, permissions, audit,
idempotent alert incidents, and optimistic locking when two operators change one incident."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from services import audit, incident_response
from services.auth import Actor
from services.db import session_scope
from services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input

OPS = Actor("olli", "operator")
OPS2 = Actor("ola", "operator")
VIEWER = Actor("vic", "viewer")
FORM = {
    "title": "DOPA verification timing out",
    "service": "mana",
    "severity": "Sev2",
    "operation_ids": ["4bf92f3577b34da6a3ce929d0e0e4736"],
}


def _open(engine: Engine, **extra: object) -> int:
    with session_scope(engine) as s:
        return incidents.create_incident(s, actor=OPS, data=parse_incident_input({**FORM, **extra})).id


def test_the_workflow_records_times_timeline_and_audit(engine: Engine) -> None:
    iid = _open(engine)
    with session_scope(engine) as s:
        inc = incidents.acknowledge(s, actor=OPS, incident_id=iid)
        assert inc.assignee == "olli" and inc.acknowledged_at is not None
    with session_scope(engine) as s:
        incident_response.classify(s, actor=OPS, incident_id=iid, classification="critical")
        incident_response.transition(s, actor=OPS, incident_id=iid, to="mitigating")
        incidents.add_note(s, actor=OPS, incident_id=iid, text="Circuit breaker opened, DOPA calls failing fast")
        incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved")
    with session_scope(engine) as s:
        inc = incidents.get_incident(s, actor=VIEWER, incident_id=iid)
        assert (inc.status, inc.classification) == ("resolved", "critical")
        assert inc.detected_at <= inc.acknowledged_at <= inc.mitigated_at <= inc.resolved_at
        events = incidents.timeline(s, actor=VIEWER, incident_id=iid)
        assert [e.kind for e in events] == [
            "created",
            "status",
            "assigned",
            "classified",
            "board_issue",
            "status",
            "note",
            "status",
        ]
        assert "no board is configured (SRE_BOARD=none)" in events[4].message
        classified = events[3]
        assert classified.data["hotfix_checklist"][0].startswith("Create the hotfix branch")
        assert "priority-1 board issue" in classified.message
        actions = [r.action for r in audit.list_records(s, actor=VIEWER, entity="incident")]
        note = audit.list_records(s, actor=VIEWER, entity="incident")[1]
        assert (note.actor, note.entity_id) == ("olli", str(iid))
        assert note.after == {"note": "Circuit breaker opened, DOPA calls failing fast"}
        assert actions == [
            "incident.resolved",
            "incident.note",
            "incident.mitigating",
            "board_issue.needed",
            "incident.classify",
            "incident.assign",
            "incident.acknowledged",
            "incident.create",
        ]


def test_reopen_clears_the_resolution(engine: Engine) -> None:
    iid = _open(engine)
    with session_scope(engine) as s:
        incident_response.transition(s, actor=OPS, incident_id=iid, to="resolved", reason="a false alarm")
        incident_response.transition(s, actor=OPS, incident_id=iid, to="closed")
        inc = incident_response.transition(s, actor=OPS, incident_id=iid, to="new", note="errors are back")
        assert inc.status == "new" and inc.resolved_at is None and inc.closed_at is None


def test_illegal_moves_and_bad_input_change_nothing(engine: Engine) -> None:
    iid = _open(engine)
    with session_scope(engine) as s, pytest.raises(Conflict, match="from new it can go to"):
        incident_response.transition(s, actor=OPS, incident_id=iid, to="closed")
    with session_scope(engine) as s, pytest.raises(InvalidInput, match="title: must not be empty"):
        incidents.create_incident(s, actor=OPS, data=parse_incident_input({**FORM, "title": " "}))
    with session_scope(engine) as s, pytest.raises(InvalidInput, match="severity"):
        parse_incident_input({**FORM, "severity": "Sev9"})
    with session_scope(engine) as s, pytest.raises(NotFound, match="Incident 999 does not exist"):
        incidents.acknowledge(s, actor=OPS, incident_id=999)
    with session_scope(engine) as s, pytest.raises(PermissionDenied) as refused:
        incidents.acknowledge(s, actor=VIEWER, incident_id=iid)
    assert str(refused.value) == "Acknowledging an incident needs the operator role; you are viewer."
    with session_scope(engine) as s, pytest.raises(PermissionDenied) as refused:
        incident_response.classify(s, actor=VIEWER, incident_id=iid, classification="protocol")
    assert str(refused.value) == "Classifying an incident needs the operator role; you are viewer."
    with session_scope(engine) as s:
        inc = incidents.get_incident(s, actor=VIEWER, incident_id=iid)
        assert (inc.status, inc.version) == ("new", 1)
        assert [e.kind for e in incidents.timeline(s, actor=VIEWER, incident_id=iid)] == ["created"]


def test_the_same_alert_opens_one_incident(engine: Engine) -> None:
    ref = "/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/abc"
    ids = {_open(engine, source="azure-monitor", source_ref=ref) for _ in range(3)}
    assert len(ids) == 1


def test_a_stale_version_is_refused_with_who_changed_it(engine: Engine) -> None:
    iid = _open(engine)
    with session_scope(engine) as s:
        seen = incidents.get_incident(s, actor=OPS, incident_id=iid).version
    with session_scope(engine) as s:
        incidents.acknowledge(s, actor=OPS2, incident_id=iid, expected_version=seen)
    with session_scope(engine) as s, pytest.raises(Conflict, match="changed by ola meanwhile"):
        incident_response.classify(s, actor=OPS, incident_id=iid, classification="protocol", expected_version=seen)
    with session_scope(engine) as s:
        assert incidents.get_incident(s, actor=VIEWER, incident_id=iid).classification == "unknown"


def test_two_operators_at_once_on_postgresql(pg_engine: Engine) -> None:
    """Both load version 1; the first commits; the second's flush finds the row changed and is refused."""
    iid = _open(pg_engine)
    factory = sessionmaker(bind=pg_engine, expire_on_commit=False)
    first: Session = factory()
    second: Session = factory()
    try:
        a = incidents.get_incident(first, actor=OPS, incident_id=iid)
        b = incidents.get_incident(second, actor=OPS2, incident_id=iid)
        assert a.version == b.version == 1
        incident_response.classify(first, actor=OPS, incident_id=iid, classification="critical")
        first.commit()
        with pytest.raises(Conflict, match="changed by olli meanwhile"):
            incident_response.classify(second, actor=OPS2, incident_id=iid, classification="protocol")
        second.rollback()
    finally:
        first.close()
        second.close()
    with session_scope(pg_engine) as s:
        inc = incidents.get_incident(s, actor=VIEWER, incident_id=iid)
        assert (inc.classification, inc.version) == ("critical", 2)
        kinds = [e.kind for e in incidents.timeline(s, actor=VIEWER, incident_id=iid)]
        assert kinds == ["created", "classified", "board_issue"]

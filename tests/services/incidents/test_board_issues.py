"""Classifying by the protocol opens the board issue the rule asks for, on an in-process fake board: once per
incident however often it is asked, nothing changed when the board fails, and a retry after a lost answer finds
the issue instead of making a second one. (The board clients themselves are tested against local servers in
tests/services/boards.)"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from services import incident_response
from services.auth import Actor
from services.db import session_scope
from services.errors import ExternalServiceError, InvalidInput
from services.incidents import board_issues
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from services.postmortems import service as postmortems
from tests.board_fakes import FakeBoard

OPS = Actor("olli", "operator")


def _incident(sev: str = "Sev1") -> int:
    with session_scope() as s:
        data = parse_incident_input({"title": "Payments failing", "service": "mana", "severity": sev})
        return incidents.create_incident(s, actor=OPS, data=data).id


def _classify(iid: int, classification: str, board: FakeBoard | None) -> None:
    with session_scope() as s:
        incident_response.classify(s, actor=OPS, incident_id=iid, classification=classification, board=board)


def test_critical_opens_one_priority_1_hotfix_issue(sqlite_engine: Engine) -> None:
    board = FakeBoard()
    iid = _incident()
    for _ in range(3):  # a double (triple) click
        _classify(iid, "critical", board)
    (issue,) = board.created
    assert issue.tags == ("hotfix",) and issue.marker == f"sre-incident-{iid}"
    assert (issue.title, issue.kind, issue.priority, issue.severity) == ("[Sev1] Payments failing", "bug", 1, "Sev1")
    assert issue.link_url is not None and issue.link_url.endswith(f"/triage?incident={iid}")
    with session_scope() as s:
        (link,) = board_issues.links(s, actor=OPS, incident_id=iid)
        assert (link.url, link.state) == ("https://board.example/issues/1", "open")
        noted = [e.message for e in incidents.timeline(s, actor=OPS, incident_id=iid) if e.kind == "board_issue"]
    assert noted == ["Board issue fake 1 (incident): https://board.example/issues/1"]


def test_non_critical_is_tagged_for_the_next_release(sqlite_engine: Engine) -> None:
    board = FakeBoard()
    iid = _incident("Sev3")
    _classify(iid, "non-critical", board)
    (issue,) = board.created
    assert (issue.tags, issue.priority) == (("next-release",), 3)


@pytest.mark.parametrize("classification", ["protocol", "unknown"])
def test_protocol_and_unknown_open_no_issue(sqlite_engine: Engine, classification: str) -> None:
    board = FakeBoard()
    iid = _incident()
    _classify(iid, classification, board)
    assert board.created == []
    with session_scope() as s:
        assert board_issues.links(s, actor=OPS, incident_id=iid) == []
        kinds = [e.kind for e in incidents.timeline(s, actor=OPS, incident_id=iid)]
    assert kinds == ["created", "classified"]


def test_a_failing_board_leaves_the_incident_as_it_was_and_a_retry_works(sqlite_engine: Engine) -> None:
    board = FakeBoard(fail_next_create="The board answered HTTP 503; try again later.")
    iid = _incident()
    with pytest.raises(ExternalServiceError, match="board answered HTTP 503"):
        _classify(iid, "critical", board)
    with session_scope() as s:
        inc = incidents.get_incident(s, actor=OPS, incident_id=iid)
        assert (inc.classification, inc.version) == ("unknown", 1)
        assert board_issues.links(s, actor=OPS, incident_id=iid) == []
    _classify(iid, "critical", board)
    assert len(board.created) == 1


def test_a_retry_after_a_lost_answer_finds_the_issue(sqlite_engine: Engine) -> None:
    board = FakeBoard()
    iid = _incident()
    # the issue was created, but the transaction that would have stored its link never committed
    with pytest.raises(RuntimeError), session_scope() as s:
        incident_response.classify(s, actor=OPS, incident_id=iid, classification="critical", board=board)
        raise RuntimeError("the process died before the commit")
    assert len(board.created) == 1
    _classify(iid, "critical", board)
    assert len(board.created) == 1
    with session_scope() as s:
        (link,) = board_issues.links(s, actor=OPS, incident_id=iid)
        assert link.key == "1"


def test_refresh_reads_the_state_the_board_has_now(sqlite_engine: Engine) -> None:
    board = FakeBoard()
    iid = _incident()
    _classify(iid, "critical", board)
    board.states["1"] = "closed"
    with session_scope() as s:
        (link,) = board_issues.links(s, actor=OPS, incident_id=iid)
        assert board_issues.refresh(s, actor=OPS, link_id=link.id, board=board).state == "closed"


def test_a_postmortem_action_item_becomes_one_board_task(sqlite_engine: Engine) -> None:
    board = FakeBoard()
    iid = _incident()
    with session_scope() as s:
        pm = postmortems.ensure_postmortem(s, actor=OPS, incident_id=iid)
        postmortems.update_postmortem(
            s,
            actor=OPS,
            postmortem_id=pm.id,
            fields={"action_items": [{"text": "Add a timeout to the payment client", "owner": "olli"}]},
        )
        pid = pm.id
    for _ in range(2):
        with session_scope() as s:
            item = incident_response.open_action_item_issue(s, actor=OPS, postmortem_id=pid, index=0, board=board)
    assert len(board.created) == 1 and item["board_issue_url"] == "https://board.example/issues/1"
    (task,) = board.created
    assert task.title == f"[postmortem #{iid}] Add a timeout to the payment client"
    assert (task.kind, task.tags, task.marker) == ("task", ("postmortem",), f"sre-incident-{iid}-action-1")
    assert "Owner: olli" in task.description
    with session_scope() as s:
        assert postmortems.get_postmortem(s, actor=OPS, postmortem_id=pid).action_items[0]["board_issue_url"]
    with session_scope() as s, pytest.raises(InvalidInput, match="has 1 action item"):
        incident_response.open_action_item_issue(s, actor=OPS, postmortem_id=pid, index=1, board=board)

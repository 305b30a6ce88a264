"""Classifying by the protocol opens the board issue the rule asks for, through the real GitHub client against a
local HTTP server: once per incident however often it is asked, nothing changed when the board fails, and a retry
after a lost answer finds the issue instead of making a second one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy.engine import Engine
from werkzeug import Request, Response

from services.auth import Actor
from services.boards.github import GitHubBoard
from services.db import session_scope
from services.errors import ExternalServiceError
from services.incidents import board_issues
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input

OPS = Actor("olli", "operator")
ISSUES = "/repos/contoso/mana/issues"


class FakeGitHub:
    """A tiny GitHub Issues API: issues kept in memory, labels searchable."""

    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = []
        self.fail_next_create: int | None = None

    def handle(self, request: Request) -> Response:
        if request.method == "POST":
            if self.fail_next_create:
                status, self.fail_next_create = self.fail_next_create, None
                return Response(json.dumps({"message": "Server Error"}), status=status, content_type="application/json")
            body = json.loads(request.data)
            n = len(self.issues) + 1
            issue = {
                "number": n,
                "html_url": f"https://github.com/contoso/mana/issues/{n}",
                "state": "open",
                "title": body["title"],
                "labels": [{"name": x} for x in body["labels"]],
                "body": body["body"],
            }
            self.issues.append(issue)
            return Response(json.dumps(issue), status=201, content_type="application/json")
        wanted = request.args.get("labels")
        found = [i for i in self.issues if any(lb["name"] == wanted for lb in i["labels"])]
        return Response(json.dumps(found), status=200, content_type="application/json")


@pytest.fixture
def github(httpserver: HTTPServer) -> tuple[FakeGitHub, GitHubBoard]:
    fake = FakeGitHub()
    httpserver.expect_request(ISSUES).respond_with_handler(fake.handle)
    return fake, GitHubBoard(
        repo="contoso/mana", token="ghp_test_token_123456", api_url=httpserver.url_for("/"), timeout_s=2
    )


def _incident(sev: str = "Sev1") -> int:
    with session_scope() as s:
        data = parse_incident_input({"title": "Payments failing", "service": "mana", "severity": sev})
        return incidents.create_incident(s, actor=OPS, data=data).id


def test_critical_opens_one_priority_1_hotfix_issue(sqlite_engine: Engine, github) -> None:  # type: ignore[no-untyped-def]
    fake, board = github
    iid = _incident()
    for _ in range(3):  # a double (triple) click
        with session_scope() as s:
            incidents.classify(s, actor=OPS, incident_id=iid, classification="critical", board=board)
    assert len(fake.issues) == 1
    labels = [lb["name"] for lb in fake.issues[0]["labels"]]
    assert "hotfix" in labels and f"sre-incident-{iid}" in labels
    assert fake.issues[0]["title"] == "[Sev1] Payments failing"
    assert "Priority: 1" in fake.issues[0]["body"]
    with session_scope() as s:
        (link,) = board_issues.links(s, actor=OPS, incident_id=iid)
        assert (link.url, link.state) == ("https://github.com/contoso/mana/issues/1", "open")


def test_non_critical_is_tagged_for_the_next_release(sqlite_engine: Engine, github) -> None:  # type: ignore[no-untyped-def]
    fake, board = github
    iid = _incident("Sev3")
    with session_scope() as s:
        incidents.classify(s, actor=OPS, incident_id=iid, classification="non-critical", board=board)
    assert "next-release" in [lb["name"] for lb in fake.issues[0]["labels"]]


def test_a_failing_board_leaves_the_incident_as_it_was_and_a_retry_works(sqlite_engine: Engine, github) -> None:  # type: ignore[no-untyped-def]
    fake, board = github
    iid = _incident()
    fake.fail_next_create = 503
    with pytest.raises(ExternalServiceError, match="GitHub") as exc, session_scope() as s:
        incidents.classify(s, actor=OPS, incident_id=iid, classification="critical", board=board)
    assert "ghp_test_token" not in str(exc.value)
    with session_scope() as s:
        inc = incidents.get_incident(s, actor=OPS, incident_id=iid)
        assert (inc.classification, inc.version) == ("unknown", 1)
        assert board_issues.links(s, actor=OPS, incident_id=iid) == []
    with session_scope() as s:
        incidents.classify(s, actor=OPS, incident_id=iid, classification="critical", board=board)
    assert len(fake.issues) == 1


def test_a_retry_after_a_lost_answer_finds_the_issue(sqlite_engine: Engine, github) -> None:  # type: ignore[no-untyped-def]
    fake, board = github
    iid = _incident()
    # the issue was created, but the transaction that would have stored its link never committed
    with pytest.raises(RuntimeError), session_scope() as s:
        incidents.classify(s, actor=OPS, incident_id=iid, classification="critical", board=board)
        raise RuntimeError("the process died before the commit")
    assert len(fake.issues) == 1
    with session_scope() as s:
        incidents.classify(s, actor=OPS, incident_id=iid, classification="critical", board=board)
    assert len(fake.issues) == 1
    with session_scope() as s:
        (link,) = board_issues.links(s, actor=OPS, incident_id=iid)
        assert link.key == "1"


def test_a_postmortem_action_item_becomes_one_board_task(sqlite_engine: Engine, github) -> None:  # type: ignore[no-untyped-def]
    from services.postmortems import service as postmortems

    fake, board = github
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
            item = postmortems.open_action_item_issue(s, actor=OPS, postmortem_id=pid, index=0, board=board)
    assert len(fake.issues) == 1 and item["board_issue_url"] == "https://github.com/contoso/mana/issues/1"
    assert fake.issues[0]["title"] == f"[postmortem #{iid}] Add a timeout to the payment client"
    assert "postmortem" in [lb["name"] for lb in fake.issues[0]["labels"]]
    with session_scope() as s:
        assert postmortems.get_postmortem(s, actor=OPS, postmortem_id=pid).action_items[0]["board_issue_url"]

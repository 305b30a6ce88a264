"""Boards for tests: an in-process fake for the incident logic, and a tiny GitHub Issues API for a local server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from services.boards.base import BoardIssue, BoardIssueRequest
from services.errors import ExternalServiceError

ISSUES = "/repos/contoso/mana/issues"


@dataclass
class FakeBoard:
    """A board in memory: `created` holds every request that made an issue, in order (cosmicpython's fake)."""

    provider: str = "fake"
    created: list[BoardIssueRequest] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    fail_next_create: str | None = None

    def _issue(self, n: int) -> BoardIssue:
        key = str(n)
        url = f"https://board.example/issues/{key}"
        return BoardIssue(self.provider, key, url, self.states.get(key, "open"), self.created[n - 1].title)

    def create_issue(self, request: BoardIssueRequest) -> BoardIssue:
        if self.fail_next_create:
            message, self.fail_next_create = self.fail_next_create, None
            raise ExternalServiceError(message)
        self.created.append(request)
        return self._issue(len(self.created))

    def find_issue(self, marker: str) -> BoardIssue | None:
        n = next((i for i, r in enumerate(self.created, 1) if r.marker == marker), None)
        return None if n is None else self._issue(n)

    def get_issue(self, key: str) -> BoardIssue:
        return self._issue(int(key))


class FakeGitHub:
    """A tiny GitHub Issues API for pytest-httpserver: issues kept in memory, labels searchable."""

    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = []

    def handle(self, request: Request) -> Response:
        if request.method == "POST":
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

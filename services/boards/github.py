"""GitHub Issues: issues in one repository through the REST API (2022-11-28) with a token."""

from __future__ import annotations

import re
from typing import Any, NoReturn
from urllib.parse import quote, urlencode, urlsplit

from services.boards.base import (
    BoardHttp,
    BoardIssue,
    BoardIssueRequest,
    check_label,
    check_request,
    retry_hint,
    server_message,
    unique,
)
from services.errors import InvalidInput
from services.http_client import HttpAnswer

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
_REPO = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/([A-Za-z0-9_.-]+)$")
_SCOPES = "check SRE_GITHUB_TOKEN (not expired, has access to the repository) and its permission Issues: write"


def issue_body(request: BoardIssueRequest) -> str:
    """The issue's Markdown body: the description, then the incident link, priority and the marker."""
    lines = []
    if request.link_url:
        lines.append(f"Incident: {request.link_url}")
    facts = [f"Kind: {request.kind}", f"Priority: {request.priority}"]
    if request.severity:
        facts.append(f"Severity: {request.severity.strip()}")
    lines.append(" · ".join(facts))
    lines.append(f"SRE Backoffice marker: `{request.marker.strip()}`")
    text = request.description.replace("\r\n", "\n").strip()
    return "\n\n".join([*([text] if text else []), "---", "\n".join(lines)])


def issue_labels(request: BoardIssueRequest) -> list[str]:
    """The tags, the marker and a severity:<Sev> label, each once."""
    labels = [t.strip() for t in request.tags] + [request.marker.strip()]
    if request.severity:
        labels.append(check_label(f"severity:{request.severity.strip()}", what="severity label"))
    return unique(labels)


class GitHubBoard:
    """Issues in one GitHub repository; every failure is one ExternalServiceError."""

    provider = "github"

    def __init__(self, *, repo: str, token: str, api_url: str = DEFAULT_API_URL, timeout_s: float = 10.0) -> None:
        match = _REPO.match(repo.strip())
        if not match or match.group(2) in (".", ".."):
            raise InvalidInput(f"SRE_GITHUB_REPO must be 'owner/repo' (e.g. contoso/mana), not {repo!r}.")
        if not token:
            raise InvalidInput("SRE_GITHUB_TOKEN must hold a token with Issues: write on the repository.")
        api_url = api_url.strip().rstrip("/")
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(
                f"SRE_GITHUB_API_URL must be the REST API root (https://api.github.com, or "
                f"https://<host>/api/v3 for GitHub Enterprise Server), not {api_url!r}."
            )
        self.repo = repo.strip()
        self.api_url = api_url
        owner, name = match.groups()
        self._issues = f"{api_url}/repos/{quote(owner, safe='')}/{quote(name, safe='')}/issues"
        where = "" if api_url == DEFAULT_API_URL else f" at {api_url}"
        self._http = BoardHttp(
            label=f"GitHub ({self.repo}{where})",
            authorization=f"Bearer {token}",
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION},
            secrets=(token,),
            timeout_s=timeout_s,
            url_setting="SRE_GITHUB_API_URL",
            redirect_hint="the repository may have been renamed or transferred, so update SRE_GITHUB_REPO",
        )

    def __repr__(self) -> str:
        return f"GitHubBoard(repo={self.repo!r}, api_url={self.api_url!r})"

    def create_issue(self, request: BoardIssueRequest) -> BoardIssue:
        """Open an issue for the request, labelled with its tags, marker and severity."""
        check_request(request)
        what = "create an issue"
        body = {"title": request.title.strip(), "body": issue_body(request), "labels": issue_labels(request)}
        answer = self._http.send("POST", self._issues, what=what, body=body)
        return self._parse(self._ok(answer, what=what, not_found=self._repo_not_found()), answer, what=what)

    def find_issue(self, marker: str) -> BoardIssue | None:
        """The issue labelled with the marker (the oldest, if a retry made two), or None."""
        marker = check_label(marker, what="marker")
        what = f"search for the issue labelled {marker}"
        answer = self._http.send("GET", f"{self._issues}?{urlencode({'labels': marker, 'state': 'all'})}", what=what)
        data = self._ok(answer, what=what, not_found=self._repo_not_found())
        if not isinstance(data, list):
            raise self._http.not_the_api(answer, what=what)
        found = []
        for item in data:
            if isinstance(item, dict) and "pull_request" not in item and marker.lower() in _label_names(item):
                found.append(self._parse(item, answer, what=what))
        return min(found, key=lambda issue: int(issue.key), default=None)

    def get_issue(self, key: str) -> BoardIssue:
        """The issue as it is now (open/closed, title)."""
        number = key.strip().removeprefix("#")
        if not number.isdigit():
            raise InvalidInput(f"A GitHub issue number is a number, not {key!r}.")
        what = f"read issue #{number}"
        answer = self._http.send("GET", f"{self._issues}/{number}", what=what)
        not_found = (
            f"issue #{number} was not found (deleted, or the token cannot see it); "
            f"check SRE_GITHUB_REPO and the token's repository access"
        )
        return self._parse(self._ok(answer, what=what, not_found=not_found), answer, what=what)

    def _repo_not_found(self) -> str:
        return (
            f"the repository {self.repo} was not found (or the token cannot see it); "
            "check SRE_GITHUB_REPO and the token's repository access"
        )

    def _ok(self, answer: HttpAnswer, *, what: str, not_found: str) -> Any:
        if answer.status in (200, 201):
            return self._http.json(answer, what=what)
        self._fail(answer, what=what, not_found=not_found)

    def _fail(self, answer: HttpAnswer, *, what: str, not_found: str) -> NoReturn:
        status, message = answer.status, server_message(answer.body)
        detail = f": {message}" if message else ""
        limited = answer.headers.get("x-ratelimit-remaining") == "0" or "rate limit" in message.lower()
        if status == 403 and limited:
            hint = retry_hint(answer.headers)
            raise self._http.error(what, f"the board is rate limiting requests (HTTP 403{detail}); {hint}")
        if status in (401, 403):
            raise self._http.error(what, f"the board refused the token (HTTP {status}{detail}); {_SCOPES}")
        if status == 404:
            raise self._http.error(what, not_found)
        if status == 410:
            raise self._http.error(
                what,
                f"issues are disabled for {self.repo} (HTTP 410); enable Issues in the repository's settings "
                "or point SRE_GITHUB_REPO at a repository that has them",
            )
        if status == 422:
            raise self._http.error(what, f"GitHub rejected the request (HTTP 422{detail})")
        raise self._http.common_error(answer, what=what)

    def _parse(self, data: Any, answer: HttpAnswer, *, what: str) -> BoardIssue:
        try:
            return BoardIssue(
                provider=self.provider,
                key=str(int(data["number"])),
                url=str(data["html_url"]),
                state=str(data["state"]),
                title=str(data.get("title") or ""),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise self._http.not_the_api(answer, what=what) from None


def _label_names(item: dict[str, Any]) -> set[str]:
    names = set()
    for label in item.get("labels") or []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str):
            names.add(name.lower())
    return names

"""GitHubBoard against a local HTTP server playing the GitHub Issues REST API."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.boards.base import BoardIssue, BoardIssueRequest
from services.boards.github import GitHubBoard
from services.errors import ExternalServiceError, InvalidInput

TOKEN = "ghp_0123456789abcdefDONOTLEAKxyz"
ISSUES = "/api/v3/repos/contoso/mana/issues"
LINK = "https://backoffice.example/incidents/42"
REQUEST = BoardIssueRequest(
    title="Checkout fails for EU customers",
    description="500s on <script>alert(1)</script> & retries\nsince 10:02",
    kind="bug",
    priority=1,
    severity="Sev1",
    tags=("hotfix",),
    link_url=LINK,
    marker="sre-incident-42",
)


def issue_json(number: int, *, state: str = "open", labels: tuple[str, ...] = ("sre-incident-42",)) -> dict[str, Any]:
    return {
        "number": number,
        "html_url": f"https://github.com/contoso/mana/issues/{number}",
        "state": state,
        "title": REQUEST.title,
        "labels": [{"id": i, "name": name} for i, name in enumerate(labels)],
    }


@pytest.fixture
def board(httpserver: HTTPServer) -> GitHubBoard:
    return GitHubBoard(repo="contoso/mana", token=TOKEN, api_url=httpserver.url_for("/api/v3/"), timeout_s=2)


def assert_common_headers(request: Request) -> None:
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert request.headers["User-Agent"] == "sre-backoffice"


def test_create_issue_sends_the_exact_request(httpserver: HTTPServer, board: GitHubBoard) -> None:
    httpserver.expect_request(ISSUES, method="POST").respond_with_json(issue_json(17), status=201)

    issue = board.create_issue(REQUEST)

    assert issue == BoardIssue(
        provider="github",
        key="17",
        url="https://github.com/contoso/mana/issues/17",
        state="open",
        title=REQUEST.title,
    )
    [(request, _)] = httpserver.log
    assert request.method == "POST" and request.query_string == b""
    assert request.headers["Content-Type"] == "application/json"
    assert_common_headers(request)
    assert json.loads(request.get_data()) == {
        "title": "Checkout fails for EU customers",
        "body": "500s on <script>alert(1)</script> & retries\nsince 10:02\n\n---\n\n"
        f"Incident: {LINK}\nKind: bug · Priority: 1 · Severity: Sev1\nSRE Backoffice marker: `sre-incident-42`",
        "labels": ["hotfix", "sre-incident-42", "severity:Sev1"],
    }


def test_create_without_link_or_severity(httpserver: HTTPServer, board: GitHubBoard) -> None:
    httpserver.expect_request(ISSUES, method="POST").respond_with_json(issue_json(3), status=201)
    task = replace(REQUEST, kind="task", priority=4, severity=None, link_url=None, tags=("next-release", "Hotfix"))

    board.create_issue(task)

    [(request, _)] = httpserver.log
    body = json.loads(request.get_data())
    assert body["labels"] == ["next-release", "Hotfix", "sre-incident-42"]
    assert body["body"].endswith("---\n\nKind: task · Priority: 4\nSRE Backoffice marker: `sre-incident-42`")


def test_find_issue_filters_by_the_marker_label(httpserver: HTTPServer, board: GitHubBoard) -> None:
    pull = {**issue_json(5), "pull_request": {"url": "x"}}
    httpserver.expect_request(ISSUES, method="GET").respond_with_json(
        [issue_json(12, state="closed"), pull, issue_json(10, labels=("hotfix", "SRE-INCIDENT-42")), issue_json(11)]
    )

    issue = board.find_issue("sre-incident-42")

    assert issue is not None and (issue.key, issue.state) == ("10", "open")
    [(request, _)] = httpserver.log
    assert request.method == "GET"
    assert request.query_string == b"labels=sre-incident-42&state=all"
    assert_common_headers(request)


def test_find_issue_encodes_the_marker_and_finds_nothing(httpserver: HTTPServer, board: GitHubBoard) -> None:
    httpserver.expect_request(ISSUES, method="GET").respond_with_json([])

    assert board.find_issue("sre incident/42&x") is None

    [(request, _)] = httpserver.log
    assert request.query_string == b"labels=sre+incident%2F42%26x&state=all"
    assert request.args["labels"] == "sre incident/42&x"


def test_get_issue_refreshes_the_state(httpserver: HTTPServer, board: GitHubBoard) -> None:
    httpserver.expect_ordered_request(f"{ISSUES}/17", method="GET").respond_with_json(issue_json(17))
    httpserver.expect_ordered_request(f"{ISSUES}/17", method="GET").respond_with_json(issue_json(17, state="closed"))

    assert board.get_issue("17").state == "open"
    assert board.get_issue("#17").state == "closed"
    assert_common_headers(httpserver.log[1][0])
    with pytest.raises(InvalidInput, match="number"):
        board.get_issue("17/comments")


def _gh(message: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "documentation_url": "https://docs.github.com/rest", **extra}


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (401, _gh("Bad credentials"), {}, ["refused the token (HTTP 401: Bad credentials)", "SRE_GITHUB_TOKEN"]),
        (
            403,
            _gh("Resource not accessible by personal access token"),
            {},
            ["refused the token (HTTP 403", "SRE_GITHUB_TOKEN", "Issues: write"],
        ),
        (
            403,
            _gh("API rate limit exceeded"),
            {"x-ratelimit-remaining": "0", "Retry-After": "120"},
            ["rate limiting requests (HTTP 403", "try again in 120 s"],
        ),
        (404, _gh("Not Found"), {}, ["repository contoso/mana was not found", "SRE_GITHUB_REPO"]),
        (410, _gh("Issues are disabled for this repo"), {}, ["issues are disabled for contoso/mana (HTTP 410)"]),
        (
            422,
            _gh("Validation Failed", errors=[{"resource": "Issue", "field": "title", "code": "missing_field"}]),
            {},
            ["GitHub rejected the request (HTTP 422: Validation Failed: title missing_field)"],
        ),
        (429, _gh("slow down"), {"Retry-After": "60"}, ["rate limiting requests (HTTP 429)", "try again in 60 s"]),
        (500, _gh(f"echo Authorization: Bearer {TOKEN}"), {}, ["HTTP 500: echo Authorization: ***", "try again"]),
        (503, "", {}, ["the board failed (HTTP 503)"]),
        (
            301,
            "",
            {"Location": "https://api.github.com/repositories/1/issues"},
            ["redirect (HTTP 301 to https://api.github.com/repositories/1/issues)", "SRE_GITHUB_REPO"],
        ),
    ],
)
def test_http_errors_become_one_clear_error(
    httpserver: HTTPServer,
    board: GitHubBoard,
    status: int,
    body: Any,
    headers: dict[str, str],
    expected: list[str],
) -> None:
    payload = body if isinstance(body, str) else json.dumps(body)
    httpserver.expect_request(ISSUES, method="POST").respond_with_data(
        payload, status=status, headers=headers, content_type="application/json"
    )
    with pytest.raises(ExternalServiceError) as info:
        board.create_issue(REQUEST)
    msg = str(info.value)
    assert msg.startswith(f"GitHub (contoso/mana at {httpserver.url_for('/api/v3')}): could not create an issue: ")
    for part in expected:
        assert part in msg
    assert TOKEN not in msg and "Traceback" not in msg
    assert info.value.__cause__ is None
    assert len(httpserver.log) == 1  # no retries


def test_get_of_a_missing_issue_names_it(httpserver: HTTPServer, board: GitHubBoard) -> None:
    httpserver.expect_request(f"{ISSUES}/99").respond_with_json(_gh("Not Found"), status=404)
    with pytest.raises(ExternalServiceError, match=r"could not read issue #99: issue #99 was not found"):
        board.get_issue("99")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("<html>captive portal</html>", "text/html"), ('{"items": []}', "application/json")],
)
def test_an_answer_that_is_not_the_api_is_explained(
    httpserver: HTTPServer, board: GitHubBoard, body: str, content_type: str
) -> None:
    httpserver.expect_request(ISSUES, method="GET").respond_with_data(body, content_type=content_type)
    with pytest.raises(ExternalServiceError) as info:
        board.find_issue("sre-incident-42")
    msg = str(info.value)
    assert msg.startswith("GitHub (contoso/mana at ") and "is not the board's API; check SRE_GITHUB_API_URL" in msg


def wait_for_the_slow_answer(httpserver: HTTPServer) -> None:
    """Let the sleeping handler finish so its late log entry cannot land in the next test."""
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)
    httpserver.clear_log()


def test_a_slow_board_times_out(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(json.dumps(issue_json(1)), status=201, content_type="application/json")

    httpserver.expect_request(ISSUES, method="POST").respond_with_handler(slow)
    board = GitHubBoard(repo="contoso/mana", token=TOKEN, api_url=httpserver.url_for("/api/v3"), timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(ExternalServiceError) as info:
        board.create_issue(REQUEST)
    assert time.monotonic() - started < 0.9
    wait_for_the_slow_answer(httpserver)
    assert "no answer within 0.3 s" in str(info.value) and TOKEN not in str(info.value)


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    board = GitHubBoard(repo="contoso/mana", token=TOKEN, api_url=f"http://127.0.0.1:{port}", timeout_s=2)
    with pytest.raises(ExternalServiceError) as info:
        board.get_issue("1")
    msg = str(info.value)
    assert msg.startswith(f"GitHub (contoso/mana at http://127.0.0.1:{port}): could not read issue #1: cannot reach")
    assert "SRE_GITHUB_API_URL" in msg and TOKEN not in msg


def test_the_default_api_url_and_the_token_stays_out_of_reprs() -> None:
    board = GitHubBoard(repo="contoso/mana", token=TOKEN)
    assert board.api_url == "https://api.github.com"
    assert repr(board) == "GitHubBoard(repo='contoso/mana', api_url='https://api.github.com')"
    for text in (repr(board), str(vars(board)), str(vars(vars(board)["_http"]))):
        assert TOKEN not in text


@pytest.mark.parametrize("repo", ["contoso", "contoso/mana/extra", "/mana", "contoso/", "con toso/mana", "a/.."])
def test_a_malformed_repo_names_the_setting(repo: str) -> None:
    with pytest.raises(InvalidInput, match="SRE_GITHUB_REPO"):
        GitHubBoard(repo=repo, token=TOKEN)


def test_missing_token_and_bad_api_url_name_their_settings() -> None:
    with pytest.raises(InvalidInput, match="SRE_GITHUB_TOKEN"):
        GitHubBoard(repo="contoso/mana", token="")
    with pytest.raises(InvalidInput, match="SRE_GITHUB_API_URL"):
        GitHubBoard(repo="contoso/mana", token=TOKEN, api_url="api.github.com")

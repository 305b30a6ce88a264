"""AzureDevOpsBoard against a local HTTP server playing the Azure DevOps work item REST API."""

from __future__ import annotations

import base64
import json
import socket
import time
from dataclasses import replace
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.boards.azure_devops import AzureDevOpsBoard, severity_value
from services.boards.base import BoardIssue, BoardIssueRequest
from services.errors import ExternalServiceError, InvalidInput

PAT = "azdoPat0123456789abcdefDONOTLEAK"
B64 = base64.b64encode(f":{PAT}".encode()).decode()
PROJECT = "SRE Platform"
BASE = "/contoso/SRE Platform/_apis/wit"
LINK = "https://backoffice.example/incidents/42?tab=timeline&x=1"
REQUEST = BoardIssueRequest(
    title="Checkout fails for EU customers",
    description='500s on <script>alert("x")</script> & retries\nsince 10:02',
    kind="bug",
    priority=1,
    severity="Sev1",
    tags=("hotfix",),
    link_url=LINK,
    marker="sre-incident-42",
)


def work_item(item_id: int, *, state: str = "New", tags: str = "hotfix; sre-incident-42", html: bool = True) -> dict:
    body: dict[str, Any] = {
        "id": item_id,
        "rev": 1,
        "fields": {"System.Title": REQUEST.title, "System.State": state, "System.Tags": tags},
    }
    if html:
        body["_links"] = {"html": {"href": f"https://dev.azure.com/contoso/SRE%20Platform/_workitems/edit/{item_id}"}}
    return body


@pytest.fixture
def board(httpserver: HTTPServer) -> AzureDevOpsBoard:
    return AzureDevOpsBoard(org_url=httpserver.url_for("/contoso/"), project=PROJECT, pat=PAT, timeout_s=2)


def assert_common_headers(request: Request) -> None:
    assert request.headers["Authorization"] == f"Basic {B64}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["X-TFS-FedAuthRedirect"] == "Suppress"
    assert request.headers["User-Agent"] == "sre-backoffice"


def test_create_bug_sends_the_exact_json_patch(httpserver: HTTPServer, board: AzureDevOpsBoard) -> None:
    httpserver.expect_request(f"{BASE}/workitems/$Bug", method="POST").respond_with_json(work_item(4711))

    issue = board.create_issue(REQUEST)

    assert issue == BoardIssue(
        provider="azure-devops",
        key="4711",
        url="https://dev.azure.com/contoso/SRE%20Platform/_workitems/edit/4711",
        state="New",
        title=REQUEST.title,
    )
    [(request, _)] = httpserver.log
    assert request.method == "POST"
    assert request.environ["REQUEST_URI"] == "/contoso/SRE%20Platform/_apis/wit/workitems/$Bug?api-version=7.1"
    assert request.query_string == b"api-version=7.1"
    assert request.headers["Content-Type"] == "application/json-patch+json"
    assert_common_headers(request)
    html = (
        "500s on &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; retries<br>since 10:02<br><br>"
        'Incident: <a href="https://backoffice.example/incidents/42?tab=timeline&amp;x=1">'
        "https://backoffice.example/incidents/42?tab=timeline&amp;x=1</a><br>SRE Backoffice marker: sre-incident-42"
    )
    assert json.loads(request.get_data()) == [
        {"op": "add", "path": "/fields/System.Title", "value": "Checkout fails for EU customers"},
        {"op": "add", "path": "/fields/System.Description", "value": html},
        {"op": "add", "path": "/fields/Microsoft.VSTS.Common.Priority", "value": 1},
        {"op": "add", "path": "/fields/Microsoft.VSTS.TCM.ReproSteps", "value": html},
        {"op": "add", "path": "/fields/Microsoft.VSTS.Common.Severity", "value": "1 - Critical"},
        {"op": "add", "path": "/fields/System.Tags", "value": "hotfix; sre-incident-42"},
        {"op": "add", "path": "/relations/-", "value": {"rel": "Hyperlink", "url": LINK}},
    ]


def test_create_task_has_no_severity_and_no_link(httpserver: HTTPServer, board: AzureDevOpsBoard) -> None:
    httpserver.expect_request(f"{BASE}/workitems/$Task", method="POST").respond_with_json(
        work_item(12, tags="next-release; sre-incident-7", html=False)
    )
    task = replace(
        REQUEST,
        kind="task",
        priority=3,
        severity="Sev2",
        tags=("next-release",),
        link_url=None,
        marker="sre-incident-7",
    )

    issue = board.create_issue(task)

    assert issue.key == "12" and issue.state == "New"
    assert issue.url == httpserver.url_for("/contoso/SRE%20Platform/_workitems/edit/12")  # no _links: built
    [(request, _)] = httpserver.log
    assert request.query_string == b"api-version=7.1"
    assert json.loads(request.get_data()) == [
        {"op": "add", "path": "/fields/System.Title", "value": REQUEST.title},
        {
            "op": "add",
            "path": "/fields/System.Description",
            "value": "500s on &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; retries<br>since 10:02"
            "<br><br>SRE Backoffice marker: sre-incident-7",
        },
        {"op": "add", "path": "/fields/Microsoft.VSTS.Common.Priority", "value": 3},
        {"op": "add", "path": "/fields/System.Tags", "value": "next-release; sre-incident-7"},
    ]


@pytest.mark.parametrize(
    ("severity", "value"),
    [("Sev0", "1 - Critical"), ("Sev1", "1 - Critical"), ("sev2", "2 - High"), ("Sev 3", "3 - Medium"),
     ("Sev4", "4 - Low"), ("2 - High", "2 - High")],
)  # fmt: skip
def test_severity_mapping(severity: str, value: str) -> None:
    assert severity_value(severity) == value


@pytest.mark.parametrize(
    "bad",
    [
        replace(REQUEST, severity="Sev9"),
        replace(REQUEST, priority=5),
        replace(REQUEST, title="  "),
        replace(REQUEST, marker="a;b"),
        replace(REQUEST, tags=("a, b",)),
        replace(REQUEST, link_url="javascript:alert(1)"),
    ],
)
def test_invalid_requests_are_refused_before_sending(
    httpserver: HTTPServer, board: AzureDevOpsBoard, bad: BoardIssueRequest
) -> None:
    with pytest.raises(InvalidInput):
        board.create_issue(bad)
    assert httpserver.log == []


def test_find_issue_queries_wiql_then_confirms_the_tag(httpserver: HTTPServer, board: AzureDevOpsBoard) -> None:
    httpserver.expect_request(f"{BASE}/wiql", method="POST").respond_with_json(
        {"queryType": "flat", "workItems": [{"id": 9, "url": "x"}, {"id": 7, "url": "y"}]}
    )
    httpserver.expect_request(f"{BASE}/workitems/7", method="GET").respond_with_json(
        work_item(7, tags="sre-incident-420")  # a looser CONTAINS match must not count
    )
    httpserver.expect_request(f"{BASE}/workitems/9", method="GET").respond_with_json(
        work_item(9, state="Active", tags="Hotfix; SRE-Incident-42")
    )

    issue = board.find_issue("sre-incident-42")

    assert issue is not None and issue.key == "9" and issue.state == "Active"
    (wiql, _), (first, _), (second, _) = httpserver.log
    assert wiql.method == "POST" and wiql.query_string == b"api-version=7.1"
    assert wiql.headers["Content-Type"] == "application/json"
    assert_common_headers(wiql)
    assert json.loads(wiql.get_data()) == {
        "query": "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
        "AND [System.Tags] CONTAINS 'sre-incident-42' ORDER BY [System.Id]"
    }
    assert (first.path, second.path) == (f"{BASE}/workitems/7", f"{BASE}/workitems/9")
    assert first.query_string == second.query_string == b"api-version=7.1"
    assert_common_headers(second)


def test_find_issue_not_found_and_quotes_escaped(httpserver: HTTPServer, board: AzureDevOpsBoard) -> None:
    httpserver.expect_request(f"{BASE}/wiql", method="POST").respond_with_json({"workItems": []})

    assert board.find_issue("o'brien-1") is None

    [(wiql, _)] = httpserver.log
    assert "CONTAINS 'o''brien-1' ORDER BY" in json.loads(wiql.get_data())["query"]


def test_get_issue_refreshes_the_state(httpserver: HTTPServer, board: AzureDevOpsBoard) -> None:
    httpserver.expect_ordered_request(f"{BASE}/workitems/4711", method="GET").respond_with_json(work_item(4711))
    httpserver.expect_ordered_request(f"{BASE}/workitems/4711", method="GET").respond_with_json(
        work_item(4711, state="Closed")
    )

    assert board.get_issue("4711").state == "New"
    assert board.get_issue(" 4711 ").state == "Closed"
    assert [r.query_string for r, _ in httpserver.log] == [b"api-version=7.1"] * 2
    with pytest.raises(InvalidInput, match="number"):
        board.get_issue("../wiql")


def _echo(msg: str) -> dict:
    return {"$id": "1", "message": msg, "typeKey": "Whatever", "errorCode": 0}


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (401, "", {}, ["refused the token (HTTP 401)", "SRE_AZURE_DEVOPS_PAT", "Work Items: Read & Write"]),
        (403, _echo(f"denied for Basic {B64}"), {}, ["refused the token (HTTP 403)", "SRE_AZURE_DEVOPS_PAT"]),
        (203, "<html>Sign in</html>", {"Content-Type": "text/html"}, ["refused the token (HTTP 203)"]),
        (
            404,
            _echo("VS402323: Work item type Bug does not exist."),
            {},
            ["VS402323", "SRE_AZURE_DEVOPS_PROJECT", "Basic process"],
        ),
        (400, _echo("TF401320: Rule Error for field Severity."), {}, ["rejected the request (HTTP 400: TF401320"]),
        (429, _echo("slow down"), {"Retry-After": "30"}, ["rate limiting", "HTTP 429", "try again in 30 s"]),
        (500, _echo(f"boom pat={PAT} auth=Basic {B64}"), {}, ["HTTP 500: boom pat=*** auth=***", "try again"]),
        (503, "", {}, ["the board failed (HTTP 503)"]),
        (
            302,
            "",
            {"Location": "https://login.example/_signin?token=abc"},
            ["redirect (HTTP 302 to https://login.example/_signin)", "sign-in page"],
        ),
    ],
)
def test_http_errors_become_one_clear_error(
    httpserver: HTTPServer,
    board: AzureDevOpsBoard,
    status: int,
    body: Any,
    headers: dict[str, str],
    expected: list[str],
) -> None:
    payload = body if isinstance(body, str) else json.dumps(body)
    httpserver.expect_request(f"{BASE}/workitems/$Bug", method="POST").respond_with_data(
        payload, status=status, headers=headers, content_type=headers.get("Content-Type", "application/json")
    )
    with pytest.raises(ExternalServiceError) as info:
        board.create_issue(REQUEST)
    msg = str(info.value)
    assert msg.startswith(f"Azure DevOps ({httpserver.url_for('/contoso')}, project SRE Platform): ")
    assert "could not create a Bug work item: " in msg
    for part in expected:
        assert part in msg
    assert PAT not in msg and B64 not in msg and "Traceback" not in msg
    assert info.value.__cause__ is None
    assert len(httpserver.log) == 1  # no retries


def test_get_of_a_missing_work_item_names_it(httpserver: HTTPServer, board: AzureDevOpsBoard) -> None:
    httpserver.expect_request(f"{BASE}/workitems/99", method="GET").respond_with_json(
        _echo("TF401232: Work item 99 does not exist."), status=404
    )
    with pytest.raises(ExternalServiceError, match=r"could not read work item 99: work item 99 does not exist"):
        board.get_issue("99")


def test_wiql_on_a_missing_project_names_the_settings(httpserver: HTTPServer, board: AzureDevOpsBoard) -> None:
    httpserver.expect_request(f"{BASE}/wiql", method="POST").respond_with_json(_echo("TF200016"), status=404)
    with pytest.raises(ExternalServiceError, match=r"project was not found \(TF200016\).*SRE_AZURE_DEVOPS_PROJECT"):
        board.find_issue("sre-incident-42")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("<html>proxy says hi</html>", "text/html"), ('{"unexpected": true}', "application/json")],
)
def test_an_answer_that_is_not_the_api_is_explained(
    httpserver: HTTPServer, board: AzureDevOpsBoard, body: str, content_type: str
) -> None:
    httpserver.expect_request(f"{BASE}/workitems/5", method="GET").respond_with_data(body, content_type=content_type)
    with pytest.raises(ExternalServiceError) as info:
        board.get_issue("5")
    assert "is not the board's API; check SRE_AZURE_DEVOPS_ORG_URL" in str(info.value)
    assert str(info.value).startswith("Azure DevOps (")


def wait_for_the_slow_answer(httpserver: HTTPServer) -> None:
    """Let the sleeping handler finish so its late log entry cannot land in the next test."""
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.05)
    httpserver.clear_log()


def test_a_slow_board_times_out(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(json.dumps(work_item(1)), content_type="application/json")

    httpserver.expect_request(f"{BASE}/workitems/1").respond_with_handler(slow)
    board = AzureDevOpsBoard(org_url=httpserver.url_for("/contoso"), project=PROJECT, pat=PAT, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(ExternalServiceError) as info:
        board.get_issue("1")
    assert time.monotonic() - started < 0.9
    wait_for_the_slow_answer(httpserver)
    msg = str(info.value)
    assert msg.startswith("Azure DevOps (") and "no answer within 0.3 s" in msg
    assert PAT not in msg and B64 not in msg


def test_a_closed_port_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    board = AzureDevOpsBoard(org_url=f"http://127.0.0.1:{port}/contoso", project=PROJECT, pat=PAT, timeout_s=2)
    with pytest.raises(ExternalServiceError) as info:
        board.create_issue(REQUEST)
    msg = str(info.value)
    assert msg.startswith(f"Azure DevOps (http://127.0.0.1:{port}/contoso, project SRE Platform): could not create")
    assert "cannot reach the board" in msg and "SRE_AZURE_DEVOPS_ORG_URL" in msg
    assert PAT not in msg and B64 not in msg


def test_the_pat_stays_out_of_reprs(board: AzureDevOpsBoard) -> None:
    for text in (repr(board), str(vars(board)), str(vars(vars(board)["_http"]))):
        assert PAT not in text and B64 not in text


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"org_url": "dev.azure.com/contoso"}, "SRE_AZURE_DEVOPS_ORG_URL"),
        ({"project": " "}, "SRE_AZURE_DEVOPS_PROJECT"),
        ({"pat": ""}, "SRE_AZURE_DEVOPS_PAT"),
    ],
)
def test_constructor_names_the_bad_setting(kwargs: dict[str, str], setting: str) -> None:
    args = {"org_url": "https://dev.azure.com/contoso", "project": PROJECT, "pat": PAT, **kwargs}
    with pytest.raises(InvalidInput, match=setting):
        AzureDevOpsBoard(**args)

"""AzureTelemetrySource's errors through the real LogsQueryClient: every HTTP failure, unreachable endpoints,
untrusted certificates and credentials become one QueryError that names the query and never the token."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from services.errors import QueryError
from services.telemetry.azure import (
    AzureTelemetrySource,
)
from services.telemetry.source import QuerySpec
from tests.azure_fake import (
    HOUR,
    QUERY_PATH,
    RESOURCE,
    TOKEN,
    WORKSPACE,
    FailingCredential,
    FakeCredential,
    error_body,
    make_source,
)


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (
            401,
            error_body("AuthorizationRequiredError", f"Valid authentication was not provided: Bearer {TOKEN}"),
            [
                "access refused (HTTP 401)",
                "Log Analytics Reader",
                "SRE_AZURE_WORKSPACE_ID",
                "SRE_AZURE_ACCESS_TOKEN",
            ],
        ),
        (
            403,
            error_body("InsufficientAccessError", "The provided credentials have insufficient access"),
            [
                "access refused (HTTP 403)",
                "Log Analytics Reader",
                f"workspace {WORKSPACE}",
                "SRE_AZURE_ACCESS_TOKEN",
            ],
        ),
        (
            404,
            error_body("WorkspaceNotFoundError", "The workspace could not be found"),
            ["not found", WORKSPACE, "SRE_AZURE_WORKSPACE_ID"],
        ),
        (429, error_body("ThrottledError", "Too many requests"), ["throttling", "try again in a minute"]),
        (
            500,
            error_body("InternalServerError", "Something broke"),
            ["HTTP 500", "Something broke", "try again"],
        ),
        (
            503,
            error_body("ServiceUnavailable", "Down for maintenance"),
            ["HTTP 503", "Down for maintenance"],
        ),
        (
            502,
            error_body("BadGateway", f"upstream echoed Authorization: Bearer {TOKEN} and {TOKEN}"),
            ["HTTP 502", "Bearer ***", "and ***"],
        ),
    ],
)
def test_http_errors_become_one_query_error(
    server: HTTPServer, ca_pem: str, status: int, payload: dict[str, Any], expected: list[str]
) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_json(payload, status=status)
    with pytest.raises(QueryError) as info:
        make_source(server, ca_pem).query("AppRequests | take 1", timespan=HOUR, name="availability")
    msg = str(info.value)
    assert msg.startswith("availability: ")
    for part in expected:
        assert part in msg
    assert TOKEN not in msg and "Traceback" not in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert len(server.log) == 1  # retry_total=0: no retries


def test_resource_errors_name_the_resource_setting(server: HTTPServer, ca_pem: str) -> None:
    server.expect_request(f"/v1{RESOURCE}/query", method="POST").respond_with_json(
        error_body("InsufficientAccessError", "nope"), status=403
    )
    source = make_source(server, ca_pem, workspace_id=None, resource_id=RESOURCE)
    with pytest.raises(QueryError, match="SRE_AZURE_RESOURCE_ID") as info:
        source.query("AppRequests | take 1", timespan=HOUR, name="q")
    assert f"resource {RESOURCE}" in str(info.value)


def test_a_non_json_answer_is_explained(server: HTTPServer, ca_pem: str) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_data(
        "<html>502 Bad Gateway</html>", status=502, content_type="text/html"
    )
    with pytest.raises(QueryError, match=r"^q: .*did not answer like Log Analytics"):
        make_source(server, ca_pem).query("AppRequests | take 1", timespan=HOUR, name="q")


def test_connection_refused_says_it_cannot_reach_the_endpoint(ca_pem: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"https://127.0.0.1:{port}"
    source = AzureTelemetrySource(
        workspace_id=WORKSPACE,
        resource_id=None,
        endpoint=endpoint,
        credential=FakeCredential(),
        server_timeout_s=5,
        row_cap=10,
        connection_verify=ca_pem,
        retry_total=0,
    )
    with pytest.raises(QueryError) as info:
        source.query("AppRequests | take 1", timespan=HOUR, name="latency")
    msg = str(info.value)
    assert msg.startswith(f"latency: cannot reach {endpoint}")
    assert "SRE_AZURE_LOGS_ENDPOINT" in msg
    assert TOKEN not in msg and "Traceback" not in msg


def test_untrusted_certificate_points_at_connection_verify(server: HTTPServer) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_json({"tables": []})
    source = make_source(server, "", connection_verify=True)  # system CAs do not know the test CA
    with pytest.raises(QueryError, match=r"cannot reach .*SRE_AZURE_CONNECTION_VERIFY"):
        source.query("AppRequests | take 1", timespan=HOUR, name="q")
    assert server.log == []


def test_credential_failure_becomes_a_query_error(server: HTTPServer, ca_pem: str) -> None:
    source = make_source(server, ca_pem, credential=FailingCredential())
    with pytest.raises(QueryError) as info:
        source.query("AppRequests | take 1", timespan=HOUR, name="q")
    msg = str(info.value)
    assert msg.startswith("q: could not get an Azure access token (DefaultAzureCredential failed")
    assert "More lines" not in msg and "SRE_AZURE_ACCESS_TOKEN" in msg
    assert server.log == []


def test_kql_syntax_error_is_refused_before_anything_is_sent(server: HTTPServer, ca_pem: str) -> None:
    server.expect_request(QUERY_PATH).respond_with_json({"tables": []})
    source = make_source(server, ca_pem)
    with pytest.raises(QueryError) as info:
        source.query("AppRequests\n| where Name ==\n| take 5", timespan=HOUR, name="broken")
    assert info.value.query_name == "broken"
    assert info.value.line is not None and info.value.column is not None
    assert f"line {info.value.line}, column {info.value.column}" in str(info.value)
    with pytest.raises(QueryError, match=r"^KQL syntax error in second at line 1"):
        source.query_batch(
            [
                QuerySpec("first", "AppRequests | take 1", HOUR),
                QuerySpec("second", "AppRequests | where", HOUR),
            ]
        )
    assert server.log == []


# --- injection ----------------------------------------------------------------------------------

"""AzureTelemetrySource through the real LogsQueryClient against the local HTTPS Log Analytics of
tests/azure_fake.py: results, batches, partial answers, literals and construction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import duckdb
import pandas as pd
import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.config import AzureSettings, Settings, TelemetrySettings
from services.errors import InvalidInput, QueryError
from services.telemetry.azure import (
    AzureTelemetrySource,
    StaticTokenCredential,
    build_azure_source,
    make_credential,
)
from services.telemetry.kql import literal
from services.telemetry.source import QuerySpec
from tests.azure_fake import (
    HOUR,
    QUERY_PATH,
    RESOURCE,
    ROWS,
    T0,
    TOKEN,
    WORKSPACE,
    FakeCredential,
    error_body,
    execute,
    honest,
    honest_batch,
    json_response,
    make_source,
)

PER_NAME = (
    "AppRequests\n"
    "| summarize total = sum(ItemCount), failed = countif(Success == false), slowest = max(DurationMs),\n"
    "    first_seen = min(TimeGenerated) by Name\n"
    "| order by Name asc"
)


def test_workspace_query_runs_the_kql_over_the_absolute_timespan(
    server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection
) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_handler(honest(db))
    cred = FakeCredential()
    source = make_source(server, ca_pem, credential=cred)

    result = source.query(PER_NAME, timespan=HOUR, name="per-name")

    frame = result.frame
    assert list(frame.columns) == ["Name", "total", "failed", "slowest", "first_seen"]
    assert frame["Name"].tolist() == ["GET /a", "GET /c", "POST /b"]
    assert frame["total"].tolist() == [3, 1, 2]
    assert frame["failed"].tolist() == [1, 0, 0]
    assert frame["slowest"].tolist() == [300.0, 7.25, 50.5]
    assert str(frame["first_seen"].dt.tz) == "UTC"
    assert frame["first_seen"].tolist() == [
        pd.Timestamp("2024-05-01T10:00:00Z"),
        pd.Timestamp("2024-05-01T10:20:00Z"),
        pd.Timestamp("2024-05-01T10:15:00Z"),
    ]
    assert result.source == "azure" and result.name == "per-name"
    assert result.warning is None and not result.truncated

    [(request, _)] = server.log
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Prefer"] == "wait=30"
    body = json.loads(request.get_data())
    assert body["query"] == PER_NAME
    assert body["timespan"] == "2024-05-01T10:00:00.000Z/2024-05-01T11:00:00.000Z"
    assert cred.scopes == [(f"https://localhost:{server.port}/.default",)]


def test_rows_come_back_with_their_types(server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_handler(honest(db))
    kql = "AppRequests | where Name == 'POST /b'\n| project TimeGenerated, Success, ResultCode, DurationMs, ItemCount"
    # a timespan in another zone is sent as the same absolute UTC instants
    cet = timezone(timedelta(hours=2))
    frame = make_source(server, ca_pem).query(kql, timespan=(T0.astimezone(cet), HOUR[1].astimezone(cet))).frame

    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["TimeGenerated"] == pd.Timestamp("2024-05-01T10:15:00Z")
    assert str(frame["TimeGenerated"].dt.tz) == "UTC"
    assert bool(row["Success"]) is True
    assert row["ResultCode"] == "201"
    assert row["DurationMs"] == 50.5
    assert row["ItemCount"] == 2
    body = json.loads(server.log[0][0].get_data())
    assert body["timespan"] == "2024-05-01T10:00:00.000Z/2024-05-01T11:00:00.000Z"


def test_no_timespan_sends_none_and_sees_every_row(
    server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection
) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_handler(honest(db))
    frame = make_source(server, ca_pem).query("AppRequests | summarize n = count()", timespan=None).frame
    assert frame["n"].tolist() == [len(ROWS)]
    assert json.loads(server.log[0][0].get_data())["timespan"] is None


def test_resource_query_uses_the_resource_path(server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection) -> None:
    server.expect_request(f"/v1{RESOURCE}/query", method="POST").respond_with_handler(honest(db))
    source = make_source(server, ca_pem, workspace_id=None, resource_id=RESOURCE)

    frame = source.query("AppRequests | summarize n = sum(ItemCount)", timespan=HOUR, name="resource").frame

    assert frame["n"].tolist() == [6]
    assert "resource " + RESOURCE in source.describe()
    [(request, _)] = server.log
    assert request.path == f"/v1{RESOURCE}/query"


def test_batch_returns_results_in_request_order(server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection) -> None:
    server.expect_request("/v1/$batch", method="POST").respond_with_handler(honest_batch(db))
    specs = [
        QuerySpec("total", "AppRequests | summarize n = sum(ItemCount)", HOUR),
        QuerySpec("failed", "AppRequests | where Success == false | summarize n = count()", HOUR),
        QuerySpec("all-time", "AppRequests | summarize n = count()", None),
        QuerySpec("names", "AppRequests | distinct Name | order by Name asc", (T0, T0 + timedelta(minutes=16))),
    ]

    results = make_source(server, ca_pem).query_batch(specs)

    assert [r.name for r in results] == ["total", "failed", "all-time", "names"]
    assert [r.frame["n"].tolist() for r in results[:3]] == [[6], [1], [len(ROWS)]]
    assert results[3].frame["Name"].tolist() == ["GET /a", "POST /b"]
    [(request, _)] = server.log  # one HTTP request for all four
    sent = json.loads(request.get_data())["requests"]
    assert [r["body"]["query"] for r in sent] == [s.text for s in specs]
    assert sent[0]["body"]["timespan"] == "2024-05-01T10:00:00.000Z/2024-05-01T11:00:00.000Z"
    assert sent[2]["body"]["timespan"] is None
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_batch_with_one_failing_query_names_it(server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection) -> None:
    server.expect_request("/v1/$batch", method="POST").respond_with_handler(honest_batch(db))
    specs = [
        QuerySpec("good", "AppRequests | summarize n = count()", HOUR),
        QuerySpec("bad", "AppRequests | summarize n = count() by NoSuchColumn", HOUR),
    ]
    with pytest.raises(QueryError) as info:
        make_source(server, ca_pem).query_batch(specs)
    assert info.value.query_name == "bad"
    assert str(info.value).startswith("bad: Log Analytics rejected the query")
    assert "NoSuchColumn" in str(info.value)


def test_batch_level_error_names_the_queries(server: HTTPServer, ca_pem: str) -> None:
    server.expect_request("/v1/$batch", method="POST").respond_with_json(
        error_body("InsufficientAccessError", "The provided credentials have insufficient access"),
        status=403,
    )
    specs = [
        QuerySpec("good-ratio", "AppRequests | take 1", HOUR),
        QuerySpec("p95", "AppRequests | take 1", HOUR),
    ]
    with pytest.raises(QueryError) as info:
        make_source(server, ca_pem).query_batch(specs)
    assert str(info.value).startswith("good-ratio, p95: access refused (HTTP 403)")
    assert TOKEN not in str(info.value)


def test_batch_on_a_resource_runs_the_queries_one_by_one(
    server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection
) -> None:
    server.expect_request(f"/v1{RESOURCE}/query", method="POST").respond_with_handler(honest(db))
    source = make_source(server, ca_pem, workspace_id=None, resource_id=RESOURCE)
    specs = [
        QuerySpec("ok", "AppRequests | where Success | summarize n = count()", HOUR),
        QuerySpec("failed", "AppRequests | where not(Success) | summarize n = count()", HOUR),
    ]
    results = source.query_batch(specs)
    assert [(r.name, r.frame["n"].tolist()) for r in results] == [("ok", [4]), ("failed", [1])]
    assert len(server.log) == 2


def test_row_cap_truncates_and_warns(server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_handler(honest(db))
    result = make_source(server, ca_pem, row_cap=2).query(
        "AppRequests | order by TimeGenerated asc | project TimeGenerated", timespan=HOUR, name="raw"
    )
    assert result.truncated
    assert len(result.frame) == 2
    assert result.warning == "Only the first 2 rows are shown; narrow the query."


def test_partial_result_keeps_the_data_and_warns(
    server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection
) -> None:
    def partial(request: Request) -> Response:
        status, body = execute(db, json.loads(request.get_data()))
        body["error"] = {
            "code": "PartialError",
            "message": "There were some errors when processing your query.",
            "details": [
                {
                    "code": "EngineError",
                    "message": "Something went wrong processing your query on the server.",
                    "innererror": {
                        "code": "-2133196797",
                        "message": "Query result set has exceeded the internal limit (E_QUERY_RESULT_SET_TOO_LARGE)",
                    },
                }
            ],
        }
        return json_response(status, body)

    server.expect_request(QUERY_PATH, method="POST").respond_with_handler(partial)
    result = make_source(server, ca_pem).query(PER_NAME, timespan=HOUR, name="per-name")

    assert result.frame["total"].tolist() == [3, 1, 2]
    assert result.warning is not None
    assert result.warning.startswith("per-name returned partial results")
    assert "There were some errors when processing your query" in result.warning
    assert "E_QUERY_RESULT_SET_TOO_LARGE" in result.warning
    assert not result.truncated


# --- errors -------------------------------------------------------------------------------------


def test_syntax_error_from_the_service_names_the_query_and_the_inner_message(server: HTTPServer, ca_pem: str) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_json(
        {
            "error": {
                "code": "BadArgumentError",
                "message": "The request had some invalid properties",
                "innererror": {
                    "code": "SyntaxError",
                    "message": "A recognition error occurred in the query.",
                    "innererror": {
                        "code": "SYN0002",
                        "message": "Query could not be parsed at 'summarize' on line [1,14]",
                    },
                },
            }
        },
        status=400,
    )
    with pytest.raises(QueryError) as info:
        make_source(server, ca_pem).query("AppRequests | take 1", timespan=HOUR, name="slo-burn")
    msg = str(info.value)
    assert msg.startswith("slo-burn: Log Analytics rejected the query")
    assert "Query could not be parsed at 'summarize' on line [1,14]" in msg
    assert info.value.query_name == "slo-burn"
    assert "Traceback" not in msg and TOKEN not in msg


HOSTILE = [
    'GET /a" or 1==1 or "',
    "GET /a\\",
    '\\" | take 0 //',
    "GET /a' or '1'=='1",
    "x | take 0",
    'x"; AppRequests | summarize n=count() //',
    "GET /a\n| take 0",
    '"\n| where true or "',
    '\\\\" or Name != "',
]


def test_literal_values_cannot_change_the_query(server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_handler(honest(db))
    source = make_source(server, ca_pem)

    def count(name: str) -> int:
        kql = f"AppRequests | where Name == {literal(name)} | summarize n=count()"
        return int(source.query(kql, timespan=None, name="by-name").frame["n"].iloc[0])

    assert count("GET /a") == 4
    assert count("POST /b") == 1
    for value in HOSTILE:
        assert count(value) == 0, value
    assert len(server.log) == 2 + len(HOSTILE)  # every one went to the server and was answered there


def test_a_stored_hostile_name_is_matched_exactly(
    server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection
) -> None:
    value = 'evil" or 1==1 | take 0; \\ \n "'
    cur = db.cursor()
    cur.execute(
        "INSERT INTO app_requests_all VALUES (?, 'api', ?, true, '200', 1.0, 1)",
        [T0 + timedelta(minutes=1), value],
    )
    try:
        server.expect_request(QUERY_PATH, method="POST").respond_with_handler(honest(db))
        kql = f"AppRequests | where Name == {literal(value)} | summarize n=count()"
        frame = make_source(server, ca_pem).query(kql, timespan=HOUR).frame
        assert frame["n"].tolist() == [1]
    finally:
        cur.execute("DELETE FROM app_requests_all WHERE Name = ?", [value])
        cur.close()


# --- construction and credentials ---------------------------------------------------------------


@pytest.mark.parametrize(("workspace", "resource"), [(None, None), ("", None), (WORKSPACE, RESOURCE)])
def test_exactly_one_target_is_required(workspace: str | None, resource: str | None) -> None:
    with pytest.raises(InvalidInput) as info:
        AzureTelemetrySource(
            workspace_id=workspace,
            resource_id=resource,
            endpoint="https://api.loganalytics.io",
            credential=FakeCredential(),
            server_timeout_s=60,
            row_cap=10,
        )
    assert "SRE_AZURE_WORKSPACE_ID" in str(info.value) and "SRE_AZURE_RESOURCE_ID" in str(info.value)


def test_static_token_credential() -> None:
    cred = StaticTokenCredential(TOKEN)
    now = datetime.now(UTC).timestamp()
    token = cred.get_token("https://api.loganalytics.io/.default")
    assert token.token == TOKEN and token.expires_on > now + 86_400 * 300
    info = cred.get_token_info("https://api.loganalytics.io/.default")
    assert info.token == TOKEN and info.expires_on > now + 86_400 * 300
    assert TOKEN not in repr(cred)


def _settings(telemetry: dict[str, Any] | None = None, **azure: Any) -> Settings:
    return Settings(
        telemetry=TelemetrySettings(_env_file=None, **(telemetry or {})),  # type: ignore[call-arg]
        azure=AzureSettings(_env_file=None, **azure),  # type: ignore[call-arg]
    )


def test_make_credential_prefers_the_configured_token() -> None:
    assert isinstance(make_credential(_settings(access_token=SecretStr(TOKEN))), StaticTokenCredential)
    from azure.identity import DefaultAzureCredential

    assert isinstance(make_credential(_settings()), DefaultAzureCredential)


def test_build_azure_source_end_to_end_with_the_static_token(
    server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection
) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_handler(honest(db))
    settings = _settings(
        telemetry={"source": "azure", "row_cap": 123},
        workspace_id=WORKSPACE,
        logs_endpoint=f"https://localhost:{server.port}/",
        access_token=SecretStr(TOKEN),
        server_timeout_s=45,
        connection_verify=ca_pem,
    )
    source = build_azure_source(settings)
    assert source.kind == "azure" and source.row_cap == 123
    assert source.describe() == f"Azure Monitor Log Analytics workspace {WORKSPACE} at https://localhost:{server.port}"

    frame = source.query("AppRequests | summarize n = countif(Success)", timespan=HOUR).frame

    assert frame["n"].tolist() == [4]
    [(request, _)] = server.log
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Prefer"] == "wait=45"


def test_build_azure_source_requires_a_target() -> None:
    with pytest.raises(InvalidInput, match="SRE_AZURE_WORKSPACE_ID"):
        build_azure_source(_settings(access_token=SecretStr(TOKEN)))

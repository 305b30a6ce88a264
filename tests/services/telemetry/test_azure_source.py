"""AzureTelemetrySource through the real LogsQueryClient against a local HTTPS Log Analytics fake.

The fake executes the KQL it receives with duckdb-kql over a small AppRequests table, applying the
request's timespan the way the service does, and answers in the service's JSON shape.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import duckdb
import duckdb_kql
import pandas as pd
import pytest
import trustme
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.config import Settings
from services.errors import InvalidInput, QueryError
from services.telemetry.azure import (
    AzureTelemetrySource,
    StaticTokenCredential,
    build_azure_source,
    make_credential,
)
from services.telemetry.kql import literal
from services.telemetry.source import QuerySpec

TOKEN = "eyJhbGciOiJub25lIn0.c2VjcmV0LXRlc3QtdG9rZW4.sig-DO-NOT-LEAK"
WORKSPACE = "11111111-2222-3333-4444-555555555555"
RESOURCE = "/subscriptions/sub-1/resourceGroups/rg-mana/providers/microsoft.insights/components/mana-ai"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
HOUR = (T0, T0 + timedelta(hours=1))

# (minutes after T0, AppRoleName, Name, Success, ResultCode, DurationMs, ItemCount)
ROWS = [
    (-60, "api", "GET /a", True, "200", 10.0, 1),  # before the timespan
    (0, "api", "GET /a", True, "200", 120.0, 1),
    (5, "api", "GET /a", True, "200", 80.0, 1),
    (10, "api", "GET /a", False, "500", 300.0, 1),
    (15, "api", "POST /b", True, "201", 50.5, 2),
    (20, "api", "GET /c", True, "200", 7.25, 1),
    (90, "worker", "Job", True, "", 1000.0, 1),  # after the timespan
]


class FakeCredential:
    """Counts token requests; the token is a secret that must never show up in messages."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(TOKEN, 9_999_999_999)


class FailingCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise ClientAuthenticationError(message="DefaultAzureCredential failed to retrieve a token.\nMore lines")


# --- the fake Log Analytics service -------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_pem(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def https_server(ca: trustme.CA) -> Iterator[HTTPServer]:
    # A dedicated server: overriding the session-wide httpserver_ssl_context would turn every
    # other test's `httpserver` into HTTPS as well.
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def server(https_server: HTTPServer) -> Iterator[HTTPServer]:
    https_server.clear()
    yield https_server
    https_server.check()
    https_server.clear()


@pytest.fixture(scope="module")
def db() -> duckdb.DuckDBPyConnection:
    con = duckdb_kql.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE app_requests_all (TimeGenerated TIMESTAMPTZ, AppRoleName VARCHAR, Name VARCHAR, "
        "Success BOOLEAN, ResultCode VARCHAR, DurationMs DOUBLE, ItemCount BIGINT)"
    )
    con.executemany(
        "INSERT INTO app_requests_all VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(T0 + timedelta(minutes=m), *rest) for m, *rest in ROWS],
    )
    return con


def _col_type(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "long"
    if pd.api.types.is_float_dtype(series):
        return "real"
    first = series.dropna().iloc[0] if series.notna().any() else None
    if isinstance(first, Decimal | float):
        return "real"
    if isinstance(first, datetime):
        return "datetime"
    return "string"


def _cell(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        ts = pd.Timestamp(value)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, Decimal):
        return float(value)
    return value.item() if hasattr(value, "item") else value


def execute(db: duckdb.DuckDBPyConnection, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What Log Analytics does with a query body: filter every table to the timespan, run the KQL."""
    cur = db.cursor()
    try:
        where = ""
        if body.get("timespan"):
            start, end = (datetime.fromisoformat(p) for p in body["timespan"].split("/"))
            where = f" WHERE TimeGenerated BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'"
        cur.execute(f"CREATE TEMP VIEW AppRequests AS SELECT * FROM app_requests_all{where}")
        try:
            frame = duckdb_kql.df(cur, body["query"])
        except (duckdb_kql.KqlError, duckdb.Error) as exc:
            inner = {"code": "SemanticError", "message": str(exc).strip().splitlines()[0]}
            error = {"code": "BadArgumentError", "message": "The request had some invalid properties"}
            return 400, {"error": {**error, "innererror": inner}}
    finally:
        cur.close()
    columns = [{"name": str(c), "type": _col_type(frame[c])} for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return 200, {"tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]}


def json_response(status: int, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")


def honest(db: duckdb.DuckDBPyConnection) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        return json_response(*execute(db, json.loads(request.get_data())))

    return handler


def honest_batch(db: duckdb.DuckDBPyConnection) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        answers = []
        for req in json.loads(request.get_data())["requests"]:
            assert req["workspace"] == WORKSPACE
            assert req["path"] == "/query"
            status, body = execute(db, req["body"])
            answers.append({"id": req["id"], "status": status, "body": body})
        answers.reverse()  # the service does not promise any order
        return json_response(200, {"responses": answers})

    return handler


QUERY_PATH = f"/v1/workspaces/{WORKSPACE}/query"


def make_source(server: HTTPServer, ca_pem: str, **kw: Any) -> AzureTelemetrySource:
    args: dict[str, Any] = {
        "workspace_id": WORKSPACE,
        "resource_id": None,
        "endpoint": f"https://localhost:{server.port}",
        "credential": FakeCredential(),
        "server_timeout_s": 30,
        "row_cap": 1000,
        "connection_verify": ca_pem,
        "retry_total": 0,
    }
    args.update(kw)
    return AzureTelemetrySource(**args)


# --- success paths ------------------------------------------------------------------------------

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
    frame = make_source(server, ca_pem).frame(kql, timespan=(T0.astimezone(cet), HOUR[1].astimezone(cet)))

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
    frame = make_source(server, ca_pem).frame("AppRequests | summarize n = count()", timespan=None)
    assert frame["n"].tolist() == [len(ROWS)]
    assert json.loads(server.log[0][0].get_data())["timespan"] is None


def test_resource_query_uses_the_resource_path(server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection) -> None:
    server.expect_request(f"/v1{RESOURCE}/query", method="POST").respond_with_handler(honest(db))
    source = make_source(server, ca_pem, workspace_id=None, resource_id=RESOURCE)

    frame = source.frame("AppRequests | summarize n = sum(ItemCount)", timespan=HOUR, name="resource")

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
        _error_body("InsufficientAccessError", "The provided credentials have insufficient access"),
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


def _error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    ("status", "payload", "expected"),
    [
        (
            401,
            _error_body("AuthorizationRequiredError", f"Valid authentication was not provided: Bearer {TOKEN}"),
            [
                "access refused (HTTP 401)",
                "Log Analytics Reader",
                "SRE_AZURE_WORKSPACE_ID",
                "SRE_AZURE_ACCESS_TOKEN",
            ],
        ),
        (
            403,
            _error_body("InsufficientAccessError", "The provided credentials have insufficient access"),
            [
                "access refused (HTTP 403)",
                "Log Analytics Reader",
                f"workspace {WORKSPACE}",
                "SRE_AZURE_ACCESS_TOKEN",
            ],
        ),
        (
            404,
            _error_body("WorkspaceNotFoundError", "The workspace could not be found"),
            ["not found", WORKSPACE, "SRE_AZURE_WORKSPACE_ID"],
        ),
        (429, _error_body("ThrottledError", "Too many requests"), ["throttling", "try again in a minute"]),
        (
            500,
            _error_body("InternalServerError", "Something broke"),
            ["HTTP 500", "Something broke", "try again"],
        ),
        (
            503,
            _error_body("ServiceUnavailable", "Down for maintenance"),
            ["HTTP 503", "Down for maintenance"],
        ),
        (
            502,
            _error_body("BadGateway", f"upstream echoed Authorization: Bearer {TOKEN} and {TOKEN}"),
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
        _error_body("InsufficientAccessError", "nope"), status=403
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
        return int(source.frame(kql, timespan=None, name="by-name")["n"].iloc[0])

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
        frame = make_source(server, ca_pem).frame(kql, timespan=HOUR)
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


def _settings(**kw: Any) -> Settings:
    return Settings(_env_file=None, **kw)  # type: ignore[call-arg]


def test_make_credential_prefers_the_configured_token() -> None:
    assert isinstance(make_credential(_settings(azure_access_token=SecretStr(TOKEN))), StaticTokenCredential)
    from azure.identity import DefaultAzureCredential

    assert isinstance(make_credential(_settings()), DefaultAzureCredential)


def test_build_azure_source_end_to_end_with_the_static_token(
    server: HTTPServer, ca_pem: str, db: duckdb.DuckDBPyConnection
) -> None:
    server.expect_request(QUERY_PATH, method="POST").respond_with_handler(honest(db))
    settings = _settings(
        telemetry_source="azure",
        azure_workspace_id=WORKSPACE,
        azure_logs_endpoint=f"https://localhost:{server.port}/",
        azure_access_token=SecretStr(TOKEN),
        azure_server_timeout_s=45,
        azure_connection_verify=ca_pem,
        query_row_cap=123,
    )
    source = build_azure_source(settings)
    assert source.kind == "azure" and source.row_cap == 123
    assert source.describe() == f"Azure Monitor Log Analytics workspace {WORKSPACE} at https://localhost:{server.port}"

    frame = source.frame("AppRequests | summarize n = countif(Success)", timespan=HOUR)

    assert frame["n"].tolist() == [4]
    [(request, _)] = server.log
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Prefer"] == "wait=45"


def test_build_azure_source_requires_a_target() -> None:
    with pytest.raises(InvalidInput, match="SRE_AZURE_WORKSPACE_ID"):
        build_azure_source(_settings(azure_access_token=SecretStr(TOKEN)))

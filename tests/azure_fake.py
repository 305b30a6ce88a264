"""A local HTTPS Log Analytics for the azure source's tests: it runs the KQL it receives with duckdb-kql over a
small AppRequests table, applying the request's timespan as the service does, and answers in the service's JSON
shape. Registered as a pytest plugin in tests/conftest.py, so its fixtures (ca, ca_pem, https_server, server, db)
serve every test that talks to the real LogsQueryClient."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import duckdb_kql
import pandas as pd
import pytest
import trustme
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.telemetry.azure import (
    AzureTelemetrySource,
)

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


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}

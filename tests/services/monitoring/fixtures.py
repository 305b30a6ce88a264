"""A small hand-made transaction set for the monitoring views: six requests, their dependencies, exceptions,
traces and events, all with OperationId and ParentId, so every number on the pages can be recomputed by hand.

Requests (minutes before `at`; role mana unless noted):
  op-a GET /api/shops     ok  200   100 ms  -10   deps: SQL 10 ms, Redis 1 ms; trace level 1
  op-b GET /api/shops     500       300 ms  -20   dep: SQL 250 ms failed 1205; SqlException; trace level 3
  op-c GET /api/shops     503        50 ms  -30   dep: Redis 40 ms failed Timeout; RedisConnectionException
  op-d POST /api/orders   500      1200 ms  -40   dep: DOPA 1100 ms failed 503 -> its child SQL 5 ms;
                                                  TimeoutException (request), HttpRequestException (DOPA call)
  op-e POST /api/orders   ok  201    80 ms  -50   dep: SQL 20 ms; event OrderPlaced; Properties account=somchai
  op-f Process settlements (mana-worker) ok 900 ms -60   dep: SQL 800 ms
Children carry their transaction's OperationName, except op-a's Redis call (an SDK that leaves it empty).
  op-old GET /api/shops 30 hours earlier (outside a one-day range)
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.telemetry_fixtures import AT, write

SQL, REDIS, DOPA = "mana-sql", "mana-redis:6380", "api.dopa.go.th"
OPERATION = {  # OperationName of every item of a transaction, as the SDKs set it
    "op-a": "GET /api/shops",
    "op-b": "GET /api/shops",
    "op-c": "GET /api/shops",
    "op-d": "POST /api/orders",
    "op-e": "POST /api/orders",
    "op-f": "Process settlements",
}
DETAILS = json.dumps(
    [
        {
            "type": "Microsoft.Data.SqlClient.SqlException",
            "message": "deadlocked",
            "parsedStack": [
                {"level": 0, "method": "Mana.Data.ShopRepository.ListAsync", "fileName": "/src/Shops.cs", "line": 40},
                {"level": 1, "method": "Mana.Api.ShopsController.List"},
            ],
        }
    ]
)


def _t(at: datetime, minutes: float, ms: float = 0.0) -> datetime:
    return at - timedelta(minutes=minutes) + timedelta(milliseconds=ms)


def _req(at: datetime, op: str, minutes: float, name: str, code: str, ms: float, **extra: Any) -> dict[str, Any]:
    return {
        "TimeGenerated": _t(at, minutes),
        "AppRoleName": extra.pop("role", "mana"),
        "OperationId": op,
        "OperationName": name,
        "ParentId": op,
        "Id": "r-" + op[3:],
        "Name": name,
        "Success": code in ("200", "201"),
        "ResultCode": code,
        "DurationMs": ms,
        "ItemCount": 1,
        "Properties": extra.pop("props", '{"AspNetCoreEnvironment": "Production"}'),
        **extra,
    }


def _dep(at: datetime, op: str, parent: str, ident: str, minutes: float, offset_ms: float, **kw: Any) -> dict[str, Any]:
    target, kind, ms, ok, code = kw["target"], kw["kind"], kw["ms"], kw.get("ok", True), kw.get("code", "0")
    return {
        "TimeGenerated": _t(at, minutes, offset_ms),
        "AppRoleName": kw.get("role", "mana"),
        "OperationId": op,
        "OperationName": kw.get("operation_name", OPERATION[op]),
        "ParentId": parent,
        "Id": ident,
        "Name": kw.get("name", "query"),
        "Target": target,
        "DependencyType": kind,
        "Data": kw.get("data", ""),
        "Success": ok,
        "ResultCode": code,
        "DurationMs": ms,
        "ItemCount": 1,
    }


def _exc(at: datetime, op: str, parent: str, minutes: float, offset_ms: float, kind: str, msg: str) -> dict[str, Any]:
    return {
        "TimeGenerated": _t(at, minutes, offset_ms),
        "AppRoleName": "mana",
        "OperationId": op,
        "OperationName": OPERATION[op],
        "ParentId": parent,
        "ExceptionType": kind,
        "Message": msg,
        "SeverityLevel": 3,
        "Details": DETAILS if "Sql" in kind else None,
        "Properties": '{"RequestPath": "/api"}',
        "ItemCount": 1,
    }


def tables(at: datetime = AT) -> dict[str, list[dict[str, Any]]]:
    """The rows of each table, timed relative to `at`."""
    shops, orders = "GET /api/shops", "POST /api/orders"
    requests = [
        _req(at, "op-a", 10, shops, "200", 100.0),
        _req(at, "op-b", 20, shops, "500", 300.0),
        _req(at, "op-c", 30, shops, "503", 50.0),
        _req(at, "op-d", 40, orders, "500", 1200.0),
        _req(at, "op-e", 50, orders, "201", 80.0, props='{"account": "somchai", "orderId": 42, "client.kind": "app"}'),
        _req(at, "op-f", 60, "Process settlements", "200", 900.0, role="mana-worker"),
        _req(at, "op-old", 60 * 30, shops, "500", 10.0),
    ]
    dependencies = [
        _dep(at, "op-a", "r-a", "d-a1", 10, 5, target=SQL, kind="SQL", ms=10.0),
        _dep(at, "op-a", "r-a", "d-a2", 10, 1, target=REDIS, kind="Redis", ms=1.0, name="GET", operation_name=None),
        _dep(at, "op-b", "r-b", "d-b1", 20, 10, target=SQL, kind="SQL", ms=250.0, ok=False, code="1205"),
        _dep(
            at, "op-c", "r-c", "d-c1", 30, 2, target=REDIS, kind="Redis", ms=40.0, ok=False, code="Timeout", name="GET"
        ),
        _dep(at, "op-d", "r-d", "d-d1", 40, 20, target=DOPA, kind="HTTP", ms=1100.0, ok=False, code="503"),
        _dep(at, "op-d", "d-d1", "d-d2", 40, 30, target=SQL, kind="SQL", ms=5.0),
        _dep(at, "op-e", "r-e", "d-e1", 50, 10, target=SQL, kind="SQL", ms=20.0),
        _dep(at, "op-f", "r-f", "d-f1", 60, 50, target=SQL, kind="SQL", ms=800.0, role="mana-worker"),
    ]
    exceptions = [
        _exc(at, "op-b", "r-b", 20, 290, "Microsoft.Data.SqlClient.SqlException", "deadlocked"),
        _exc(at, "op-c", "r-c", 30, 45, "StackExchange.Redis.RedisConnectionException", "no connection"),
        _exc(at, "op-d", "r-d", 40, 1190, "System.TimeoutException", "DOPA did not answer"),
        _exc(at, "op-d", "d-d1", 40, 1120, "System.Net.Http.HttpRequestException", "503 (Service Unavailable)"),
    ]
    traces = [
        {"TimeGenerated": _t(at, 10, 50), "OperationId": "op-a", "ParentId": "r-a", "AppRoleName": "mana",
         "Message": "listed 50 shops", "SeverityLevel": 1, "ItemCount": 1},
        {"TimeGenerated": _t(at, 20, 280), "OperationId": "op-b", "ParentId": "r-b", "AppRoleName": "mana",
         "Message": "deadlock on Shops", "SeverityLevel": 3, "ItemCount": 1},
    ]  # fmt: skip
    events = [
        {"TimeGenerated": _t(at, 50, 70), "OperationId": "op-e", "ParentId": "r-e", "AppRoleName": "mana",
         "Name": "OrderPlaced", "Properties": '{"orderId": 42}', "ItemCount": 1},
    ]  # fmt: skip
    return {
        "AppRequests": requests,
        "AppDependencies": dependencies,
        "AppExceptions": exceptions,
        "AppTraces": traces,
        "AppEvents": events,
    }


def write_all(root: Path, at: datetime = AT) -> Path:
    """Write every table under `root` (a local store) and return it."""
    for table, rows in tables(at).items():
        write(root, table, rows)
    return root

"""The monitoring views through AzureTelemetrySource and the real LogsQueryClient, against a local HTTPS Log Analytics
fake that runs the received KQL on the fixture transactions: the same catalogue text gives the same numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from services.auth import Actor
from services.monitoring import appmap, failures, performance, transactions
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from tests import azure_fake as fake
from tests.services.monitoring.fixtures import write_all
from tests.telemetry_fixtures import AT

START, END = AT - timedelta(days=1), AT
VIEWER = Actor("vera", "viewer")


def log_analytics(store: LocalTelemetrySource, seen: list[str]) -> Callable[[Request], Response]:
    """Answer a query body like Log Analytics: every table cut to the timespan, the KQL run, rows as JSON."""

    def handler(request: Request) -> Response:
        body = json.loads(request.get_data())
        seen.append(body["query"])
        start, end = (datetime.fromisoformat(p) for p in body["timespan"].split("/"))
        frame = store.query(body["query"], timespan=(start, end)).frame
        columns = [{"name": str(c), "type": fake._col_type(frame[c])} for c in frame.columns]
        rows = [[fake._cell(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        table = {"name": "PrimaryResult", "columns": columns, "rows": rows}
        return Response(json.dumps({"tables": [table]}), status=200, content_type="application/json")

    return handler


def test_the_views_give_the_same_numbers_on_azure(server: HTTPServer, ca_pem: str, tmp_path: Path) -> None:
    seen: list[str] = []
    store = LocalTelemetrySource(write_all(tmp_path / "t"))
    server.expect_request(fake.QUERY_PATH, method="POST").respond_with_handler(log_analytics(store, seen))
    run = partial(runner.run, fake.make_source(server, ca_pem))

    ov = failures.overview(run, actor=VIEWER, start=START, end=END)
    assert (ov.requests, ov.failed) == (6, 3)
    assert list(ov.over_time.TimeGenerated.dt.strftime("%H:%M")) == ["11:00", "11:15", "11:30", "11:45"]
    bd = failures.breakdown(run, actor=VIEWER, start=START, end=END, operation="GET /api/shops")
    assert list(zip(bd.codes.ResultCode, bd.codes.share, strict=True)) == [("500", 0.5), ("503", 0.5)]
    ops = performance.operations(run, actor=VIEWER, start=START, end=END).set_index("Name")
    assert ops.loc["GET /api/shops", ["avg_ms", "p50_ms", "p95_ms"]].tolist() == [150.0, 100.0, 300.0]
    dist = performance.distribution(run, actor=VIEWER, start=START, end=END, operation="GET /api/shops")
    assert list(dist.bucket) == [16, 20, 24]
    found = transactions.search(
        run,
        actor=VIEWER,
        start=START,
        end=END,
        criteria=transactions.Criteria(prop_key="account", prop_value="somchai"),
    )
    assert list(found.OperationId) == ["op-e"]
    tx = transactions.details(run, actor=VIEWER, operation_id="op-d", start=START, end=END, at=found.TimeGenerated[0])
    assert list(tx.items.depth) == [0, 1, 2, 2, 1]
    amap = appmap.app_map(run, actor=VIEWER, start=START, end=END)
    assert amap.roles == ["mana", "mana-worker"] and int(amap.edges.calls.sum()) == 8
    assert any('tostring(Properties["account"]) == "somchai"' in q for q in seen)

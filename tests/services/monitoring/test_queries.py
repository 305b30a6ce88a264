"""Every monitoring catalogue query on the local engine over the fixture transactions, with exact results."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from services.auth import Actor
from services.telemetry import catalogue, runner
from services.telemetry.kql import KqlValue
from services.telemetry.local import LocalTelemetrySource
from tests.services.monitoring.fixtures import DOPA, REDIS, SQL, write_all
from tests.telemetry_fixtures import AT

START, END = AT - timedelta(days=1), AT
VIEWER = Actor("vera", "viewer")
SHOPS, ORDERS = "GET /api/shops", "POST /api/orders"
MINE = ("failures", "performance", "transaction", "appmap")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> LocalTelemetrySource:
    return LocalTelemetrySource(write_all(tmp_path_factory.mktemp("mon") / "t"))


def run(source: LocalTelemetrySource, name: str, **params: KqlValue) -> pd.DataFrame:
    return runner.run(source, name, actor=VIEWER, start=START, end=END, **params).frame


def rows(frame: pd.DataFrame, *cols: str) -> list[tuple]:
    return [tuple(r) for r in frame[list(cols)].itertuples(index=False)]


def test_the_new_queries_have_titles_and_use_take_or_top_when_they_list() -> None:
    mine = [q for n, q in catalogue.catalogue().items() if n.split("_")[0] in MINE and n != "failures_by_operation"]
    assert len(mine) >= 20
    for q in mine:
        assert q.title and q.description, q.name
        if q.name != "failures_over_time":
            assert "| take " in q.text or "| top " in q.text, q.name


def test_failures_roles(source: LocalTelemetrySource) -> None:
    assert rows(run(source, "failures_roles"), "AppRoleName", "requests") == [("mana", 5), ("mana-worker", 1)]


def test_failures_over_time_in_15_minute_bins(source: LocalTelemetrySource) -> None:
    f = run(source, "failures_over_time", role="", operation="", grain=timedelta(minutes=15))
    assert [t.strftime("%H:%M") for t in f.TimeGenerated] == ["11:00", "11:15", "11:30", "11:45"]
    assert str(f.TimeGenerated.dt.tz) == "UTC"
    assert rows(f, "requests", "failed") == [(2, 0), (1, 1), (2, 2), (1, 0)]
    assert list(f.failure_rate) == [0.0, 1.0, 1.0, 0.0]
    g = run(source, "failures_over_time", role="mana", operation=SHOPS, grain=timedelta(hours=1))
    assert rows(g, "requests", "failed") == [(3, 2)]


def test_failures_operations(source: LocalTelemetrySource) -> None:
    f = run(source, "failures_operations", role="")
    assert rows(f, "Name", "requests", "failed") == [(SHOPS, 3, 2), (ORDERS, 2, 1), ("Process settlements", 1, 0)]
    assert f.failure_rate.iloc[0] == pytest.approx(2 / 3)
    assert len(run(source, "failures_operations", role="mana-worker")) == 1


def test_failures_codes(source: LocalTelemetrySource) -> None:
    assert rows(run(source, "failures_codes", role="", operation=""), "ResultCode", "failed") == [
        ("500", 2),
        ("503", 1),
    ]
    assert rows(run(source, "failures_codes", role="", operation=ORDERS), "ResultCode", "failed") == [("500", 1)]


def test_failures_exceptions_of_the_operation(source: LocalTelemetrySource) -> None:
    f = run(source, "failures_exceptions", role="", operation=SHOPS)
    assert rows(f, "ExceptionType", "exceptions") == [
        ("Microsoft.Data.SqlClient.SqlException", 1),
        ("StackExchange.Redis.RedisConnectionException", 1),
    ]
    assert run(source, "failures_exceptions", role="", operation="").exceptions.sum() == 4


def test_failures_dependencies_of_the_operation(source: LocalTelemetrySource) -> None:
    f = run(source, "failures_dependencies", role="", operation="")
    assert rows(f, "Target", "ResultCode", "failed_calls") == [
        (DOPA, "503", 1),
        (REDIS, "Timeout", 1),
        (SQL, "1205", 1),
    ]
    assert run(source, "failures_dependencies", role="mana-worker", operation="").empty


def test_failures_samples_newest_first_and_by_code(source: LocalTelemetrySource) -> None:
    f = run(source, "failures_samples", role="", operation=SHOPS, result_code="")
    assert rows(f, "OperationId", "ResultCode", "DurationMs") == [("op-b", "500", 300.0), ("op-c", "503", 50.0)]
    assert list(run(source, "failures_samples", role="", operation="", result_code="500").OperationId) == [
        "op-b",
        "op-d",
    ]


def test_performance_operations_percentiles(source: LocalTelemetrySource) -> None:
    f = run(source, "performance_operations", role="").set_index("Name")
    assert list(f.index) == [SHOPS, ORDERS, "Process settlements"]
    shops = f.loc[SHOPS]
    assert (shops.requests, shops.avg_ms) == (3, 150.0)  # 100, 300, 50
    assert (float(shops.p50_ms), float(shops.p95_ms), float(shops.p99_ms)) == (100.0, 300.0, 300.0)
    assert (float(f.loc[ORDERS].p50_ms), f.loc[ORDERS].avg_ms) == (80.0, 640.0)


def test_performance_distribution_log_buckets(source: LocalTelemetrySource) -> None:
    f = run(source, "performance_distribution", role="", operation=SHOPS)
    # log10(50) × 10 = 16.99 -> 16; log10(100) × 10 = 20; log10(300) × 10 = 24.77 -> 24
    assert list(f.bucket) == [16, 20, 24]
    assert list(f.requests) == [1, 1, 1]


def test_performance_samples_in_the_bucket_the_distribution_returned(source: LocalTelemetrySource) -> None:
    buckets = list(run(source, "performance_distribution", role="", operation=SHOPS).bucket)
    wide = {"role": "", "operation": SHOPS, "low_ms": 0.0, "high_ms": 1e9}
    got = [list(run(source, "performance_samples", bucket=int(b), **wide).OperationId) for b in buckets]
    assert got == [["op-c"], ["op-a"], ["op-b"]]
    narrow = {**wide, "low_ms": 101.0}  # the duration range only skips rows early; the bucket decides
    assert run(source, "performance_samples", bucket=int(buckets[1]), **narrow).empty


def test_performance_dependencies_within_the_operation(source: LocalTelemetrySource) -> None:
    f = run(source, "performance_dependencies", role="", operation=SHOPS)
    assert rows(f, "Target", "calls", "failed", "avg_ms") == [(SQL, 2, 1, 130.0), (REDIS, 2, 1, 20.5)]
    assert float(f.p95_ms.iloc[0]) == 250.0
    workers = run(source, "performance_dependencies", role="", operation="Process settlements")
    assert rows(workers, "Target", "calls", "avg_ms") == [(SQL, 1, 800.0)]


def _search(source: LocalTelemetrySource, name: str = "transaction_search", **kw: str) -> list[str]:
    params = {"operation_id": "", "operation": "", "result_code": "", "role": "", **kw}
    return list(run(source, name, **params).OperationId)


def test_transaction_search(source: LocalTelemetrySource) -> None:
    assert _search(source) == ["op-a", "op-b", "op-c", "op-d", "op-e", "op-f"]
    assert _search(source, operation=ORDERS) == ["op-d", "op-e"]
    assert _search(source, result_code="500") == ["op-b", "op-d"]
    assert _search(source, operation_id="op-c") == ["op-c"]
    assert _search(source, role="mana-worker") == ["op-f"]
    assert _search(source, operation_id="nope") == []


def test_transaction_search_by_property(source: LocalTelemetrySource) -> None:
    by = "transaction_search_property"
    assert _search(source, by, prop_key="account", prop_value="somchai") == ["op-e"]
    assert _search(source, by, prop_key="orderId", prop_value="42") == ["op-e"]
    assert _search(source, by, prop_key="client.kind", prop_value="app") == ["op-e"]  # a dotted name is one key
    assert _search(source, by, prop_key="account", prop_value='somchai" or true or "') == []


def test_transaction_item_queries(source: LocalTelemetrySource) -> None:
    one = {"operation_id": "op-d"}
    assert rows(run(source, "transaction_requests", **one), "Id", "ResultCode") == [("r-d", "500")]
    deps = run(source, "transaction_dependencies", **one).sort_values("Id")
    assert rows(deps, "Id", "ParentId", "Target") == [("d-d1", "r-d", DOPA), ("d-d2", "d-d1", SQL)]
    assert sorted(run(source, "transaction_exceptions", **one).ParentId) == ["d-d1", "r-d"]
    assert run(source, "transaction_traces", **one).empty
    assert list(run(source, "transaction_events", operation_id="op-e").Name) == ["OrderPlaced"]


def test_appmap_nodes_and_edges(source: LocalTelemetrySource) -> None:
    nodes = run(source, "appmap_nodes")
    assert rows(nodes, "AppRoleName", "requests", "failed") == [("mana", 5, 3), ("mana-worker", 1, 0)]
    assert nodes.avg_ms.iloc[0] == pytest.approx(346.0)  # (100 + 300 + 50 + 1200 + 80) / 5
    edges = run(source, "appmap_edges")
    assert rows(edges, "AppRoleName", "Target", "calls", "failed") == [
        ("mana", SQL, 4, 1),
        ("mana", REDIS, 2, 1),
        ("mana", DOPA, 1, 1),
        ("mana-worker", SQL, 1, 0),
    ]
    assert edges.avg_ms.iloc[0] == pytest.approx(71.25)  # (10 + 250 + 5 + 20) / 4

"""Failures, Performance, Transactions and Application map through AppTest on the fixture transactions (ending now)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.telemetry.local import LocalTelemetrySource
from tests.pages.conftest import MAIN

TIMEOUT = 60


def _page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=TIMEOUT)
    at.run()
    at.query_params.update(params)
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _select(at: AppTest, key: str, value: str) -> AppTest:
    at.selectbox(key=key).set_value(value).run()
    assert not at.exception, at.exception
    return at


def test_failures_page_counts_breaks_down_and_lists_samples(mon_env: datetime) -> None:
    at = _page("failures")
    assert _metrics(at) == {"requests": "6", "failed requests": "3", "failure rate": "50.00 %"}
    ops = at.dataframe[0].value
    assert list(zip(ops.Name, ops.requests, ops.failed, strict=True)) == [
        ("GET /api/shops", 3, 2),
        ("POST /api/orders", 2, 1),
        ("Process settlements", 1, 0),
    ]
    _select(at, "failures.operation", "GET /api/shops")
    codes, exceptions, deps, samples = (d.value for d in at.dataframe[1:5])
    assert list(zip(codes.ResultCode, codes.failed, codes.share, strict=True)) == [("500", 1, 0.5), ("503", 1, 0.5)]
    assert set(exceptions.ExceptionType) == {
        "Microsoft.Data.SqlClient.SqlException",
        "StackExchange.Redis.RedisConnectionException",
    }
    assert list(deps.failed_calls) == [1, 1]
    assert list(samples.OperationId) == ["op-b", "op-c"]
    assert samples.transaction[0].startswith("transactions?operation_id=op-b&at=")
    _select(at, "failures.code", "503")
    assert list(at.dataframe[4].value.OperationId) == ["op-c"]
    link = at.get("page_link")[-1].proto
    assert link.label == "End-to-end transaction op-c" and "operation_id=op-c" in link.query_string


def test_failures_page_filters_by_role_from_the_app_map_link(mon_env: datetime) -> None:
    at = _page("failures", role="mana-worker")
    assert at.selectbox(key="failures.role").value == "mana-worker"
    assert _metrics(at) == {"requests": "1", "failed requests": "0", "failure rate": "0.00 %"}


def test_failures_page_with_no_data_in_the_range_says_so(mon_env: datetime) -> None:
    at = _page("failures")
    _select(at, "failures.range", "Last 30 minutes")
    assert _metrics(at)["requests"] == "2"  # op-a (10 min ago) and op-b (20); op-c is 30 min 45 s ago
    at = _page("failures", role="nobody")
    assert any("No requests between" in i.value for i in at.info)


def test_performance_page_percentiles_histogram_dependencies_and_band_samples(mon_env: datetime) -> None:
    at = _page("performance")
    ops = at.dataframe[0].value.set_index("Name")
    assert ops.loc["GET /api/shops", ["requests", "avg_ms", "p50_ms", "p95_ms", "p99_ms"]].tolist() == [
        3,
        150.0,
        100.0,
        300.0,
        300.0,
    ]
    m = _metrics(at)
    assert (m["requests"], m["average (ms)"], m["p50 (ms)"], m["p95 (ms)"]) == ("3", "150.0", "100.0", "300.0")
    releases = at.dataframe[1].value  # the fixture's six requests carry no AppVersion: one unnamed release
    assert (len(releases), int(releases["requests"].iloc[0]), int(releases["failed"].iloc[0])) == (1, 6, 3)
    deps = at.dataframe[2].value
    assert list(zip(deps.Target, deps.calls, deps.avg_ms, strict=True)) == [
        ("mana-sql", 2, 130.0),
        ("mana-redis:6380", 2, 20.5),
    ]
    bands = at.selectbox(key="performance.band")
    assert bands.options == ["39.8–50.1 ms", "100–126 ms", "251–316 ms"] and bands.value == "251–316 ms"
    assert list(at.dataframe[3].value.OperationId) == ["op-b"]
    _select(at, "performance.band", "39.8–50.1 ms")
    assert list(at.dataframe[3].value.OperationId) == ["op-c"]
    _select(at, "performance.operation", "Process settlements")
    assert _metrics(at)["average (ms)"] == "900.0"
    assert list(at.dataframe[2].value.avg_ms) == [800.0]


def test_transactions_page_opens_a_linked_transaction(mon_env: datetime) -> None:
    at = _page("transactions", operation_id="op-d")
    m = _metrics(at)
    assert (m["operation"], m["result code"], m["duration"], m["items"]) == (
        "POST /api/orders",
        "500",
        "1,200.0 ms",
        "5",
    )
    items = at.dataframe[1].value
    assert list(zip(items.item_type, items.depth, strict=True)) == [
        ("request", 0),
        ("dependency", 1),
        ("dependency", 2),
        ("exception", 2),
        ("exception", 1),
    ]
    assert list(items.failed) == [True, True, False, True, True]
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    bars = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")
    assert bars["encoding"]["x2"]["field"] == "end_ms"
    assert any("DOPA did not answer" in md.value for md in at.markdown)
    assert not at.get("link_button")  # the local store has no portal link


def test_transactions_page_searches_by_custom_property_and_rejects_a_quoted_key(mon_env: datetime) -> None:
    at = _page("transactions")
    assert list(at.dataframe[0].value.OperationId) == ["op-a", "op-b", "op-c", "op-d", "op-e", "op-f"]
    at.text_input(key="transactions.prop_key").input("account")
    at.text_input(key="transactions.prop_value").input("somchai").run()
    assert list(at.dataframe[0].value.OperationId) == ["op-e"]
    assert _metrics(at)["operation"] == "POST /api/orders"
    at.text_input(key="transactions.prop_key").input('acc"ount').run()
    assert not at.exception
    assert any("is not allowed: use letters, digits" in e.value for e in at.error)


def test_transactions_page_says_when_an_operation_id_does_not_exist(mon_env: datetime) -> None:
    at = _page("transactions")
    at.text_input(key="transactions.operation_id").input("no-such-op").run()
    assert not at.exception
    assert any("No requests match" in i.value for i in at.info)
    assert any("No telemetry with OperationId 'no-such-op'" in i.value for i in at.info)


def test_app_map_page_draws_nodes_and_unhealthy_edges(mon_env: datetime) -> None:
    at = _page("app_map")
    dot = at.get("graphviz_chart")[0].proto.spec
    assert (
        '"role:mana" -> "target:api.dopa.go.th" [label="1 calls\\n100.00% failed\\navg 1,100 ms", color="#d33"' in dot
    )
    assert (
        '"role:mana-worker" -> "target:mana-sql" [label="1 calls\\n0.00% failed\\navg 800 ms", color="#888888"' in dot
    )
    edges = at.dataframe[0].value
    assert list(zip(edges.Target, edges.calls, edges.unhealthy, strict=True))[:3] == [
        ("mana-sql", 4, True),
        ("mana-redis:6380", 2, True),
        ("api.dopa.go.th", 1, True),
    ]
    assert any("above 5%" in c.value for c in at.caption)
    _select(at, "appmap.node", "mana-sql")
    labels = [p.proto.label for p in at.get("page_link")]
    assert labels == [
        "Failures of mana",
        "Performance of mana",
        "Failures of mana-worker",
        "Performance of mana-worker",
    ]


class _AzureLike(LocalTelemetrySource):
    """The local fixture store standing in for Azure Monitor (same KQL, same rows), so the page takes its azure path."""

    kind = "azure"


@pytest.mark.parametrize(
    ("resource_id", "expected"),
    [
        ("/subscriptions/s-1/resourceGroups/rg-mana/providers/microsoft.insights/components/appi-mana", "link"),
        (None, "needs the Application Insights resource id: set SRE_AZURE_RESOURCE_ID"),
    ],
)
def test_transactions_page_links_to_the_azure_portal(
    mon_env: datetime, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, resource_id: str | None, expected: str
) -> None:
    from app import resources
    from services.config import get_settings

    if resource_id:
        monkeypatch.setenv("SRE_AZURE_RESOURCE_ID", resource_id)
    else:
        monkeypatch.setenv("SRE_AZURE_WORKSPACE_ID", "00000000-0000-0000-0000-000000000000")
    get_settings.cache_clear()
    monkeypatch.setattr(resources, "build_source", lambda settings=None: _AzureLike(isolated_settings / "telemetry"))
    at = _page("transactions", operation_id="op-d")
    buttons = at.get("link_button")
    if expected == "link":
        url = buttons[0].proto.url
        assert url.startswith("https://portal.azure.com/#blade/AppInsightsExtension/DetailsV2Blade/DataModel/")
        assert "%22eventId%22%3A%22r-d%22" in url and "%22Name%22%3A%22appi-mana%22" in url
    else:
        assert not buttons
        assert any(expected in c.value for c in at.caption)


def test_the_time_range_picker_takes_a_custom_range(mon_env: datetime) -> None:
    at = _page("failures")
    _select(at, "failures.range", "Custom")
    day = mon_env.date()
    at.date_input(key="failures.from_day").set_value(day)
    at.date_input(key="failures.to_day").set_value(day - timedelta(days=1)).run()
    assert any("ends before it starts" in w.value for w in at.warning)
    assert _metrics(at)["requests"] == "6"  # shown for the default range instead


def test_a_link_opens_a_transaction_older_than_the_time_range(mon_env: datetime) -> None:
    at = (mon_env - timedelta(hours=30)).isoformat()
    page = _page("transactions", operation_id="op-old", at=at)
    m = _metrics(page)
    assert (m["result code"], m["items"]) == ("500", "1")
    assert not any("No requests match" in i.value for i in page.info)

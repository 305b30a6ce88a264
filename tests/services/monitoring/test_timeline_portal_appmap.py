"""Nesting by ParentId, Gantt rows, the Azure portal link and the application map's DOT text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pandas as pd
import pytest

from services.errors import InvalidInput
from services.monitoring import appmap, portal, timeline
from services.monitoring.transactions import Transaction
from tests.services.monitoring.fixtures import DETAILS

T0 = pd.Timestamp("2026-11-01T11:00:00Z")
RESOURCE = "/subscriptions/1111-2222/resourceGroups/rg-mana/providers/microsoft.insights/components/appi-mana"


def item(kind: str, ident: str, parent: str, ms_after: float, duration: float = 0.0, failed: bool = False) -> dict:
    return {
        "item_type": kind,
        "start": T0 + pd.Timedelta(milliseconds=ms_after),
        "duration_ms": duration,
        "id": ident,
        "parent_id": parent,
        "name": ident,
        "failed": failed,
    }


def test_nest_orders_depth_first_by_parent_and_time() -> None:
    items = pd.DataFrame(
        [
            item("dependency", "d2", "r1", 50, 10),
            item("exception", "", "d1", 30, failed=True),
            item("request", "r1", "op", 0, 100),
            item("dependency", "d1", "r1", 10, 30),
            item("trace", "", "r1", 10),  # same time as d1: dependencies come before traces
            item("dependency", "d3", "d1", 20, 5),
        ]
    )
    out = timeline.nest(items, "op")
    assert list(zip(out["name"], out["depth"], strict=True)) == [
        ("r1", 0),
        ("d1", 1),
        ("d3", 2),
        ("", 2),
        ("", 1),
        ("d2", 1),
    ]
    assert list(out.item_type[3:5]) == ["exception", "trace"]


def test_items_whose_parent_is_missing_or_in_a_cycle_become_roots() -> None:
    items = pd.DataFrame(
        [item("dependency", "a", "b", 0, 1), item("dependency", "b", "a", 5, 1), item("trace", "", "gone", 2)]
    )
    out = timeline.nest(items, "op")
    assert list(zip(out["name"], out["depth"], strict=True)) == [("", 0), ("a", 0), ("b", 1)]


def test_gantt_rows_offsets_and_indent() -> None:
    items = timeline.nest(
        pd.DataFrame([item("request", "r1", "op", 0, 100), item("dependency", "d1", "r1", 10, 30, failed=True)]), "op"
    )
    g = timeline.gantt(items)
    assert list(g.offset_ms) == [0.0, 10.0] and list(g.end_ms) == [100.0, 40.0]
    assert g.label[0] == "00 ▶ r1" and g.label[1] == "01 \u2003↳ d1"
    assert list(g.failed) == [False, True]
    assert timeline.gantt(items.iloc[0:0]).empty


def test_unify_marks_failures_and_reads_stack_and_properties() -> None:
    parts = {
        "request": pd.DataFrame(
            [{"TimeGenerated": T0, "Id": "r1", "ParentId": "op", "Name": "GET /", "Success": True, "DurationMs": 5.0,
              "ResultCode": "200", "Properties": '{"account": "somchai"}'}]
        ),
        "exception": pd.DataFrame(
            [{"TimeGenerated": T0, "ParentId": "r1", "ExceptionType": "SqlException", "Message": "deadlocked",
              "Details": DETAILS, "Properties": None}]
        ),
        "trace": pd.DataFrame(
            [{"TimeGenerated": T0, "ParentId": "r1", "Message": "boom", "SeverityLevel": 4, "Properties": "not json"}]
        ),
        "event": pd.DataFrame(),
    }  # fmt: skip
    items = timeline.unify(parts, "op")
    assert list(items.item_type) == ["request", "exception", "trace"]
    assert list(items.failed) == [False, True, True]
    assert items["properties"][0] == {"account": "somchai"} and items["properties"][2] == {"value": "not json"}
    assert items["stack"][1].splitlines() == [
        "Microsoft.Data.SqlClient.SqlException: deadlocked",
        "   at Mana.Data.ShopRepository.ListAsync in /src/Shops.cs:40",
        "   at Mana.Api.ShopsController.List",
    ]
    assert timeline.stack("plain text") == "plain text" and timeline.stack(None) == ""
    assert timeline.unify({"request": pd.DataFrame()}, "op").empty


def test_portal_link_names_the_component_and_the_item() -> None:
    at = datetime(2026, 11, 1, 11, 20, 0, 123456, tzinfo=UTC)
    link = portal.transaction_link(RESOURCE, event_id="r-d", at=at)
    assert link.startswith("https://portal.azure.com/#blade/AppInsightsExtension/DetailsV2Blade/DataModel/")
    model, component = (json.loads(unquote(p)) for p in link.split("/DataModel/")[1].split("/ComponentId/"))
    assert model == {"eventId": "r-d", "timestamp": "2026-11-01T11:20:00.123Z", "eventTable": "requests"}
    assert component == {"Name": "appi-mana", "ResourceGroup": "rg-mana", "SubscriptionId": "1111-2222"}
    assert "%22" in link and '"' not in link and " " not in link


def test_portal_link_needs_a_resource_id() -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    for bad in (None, "", "/subscriptions/x/resourceGroups/y/providers/Microsoft.OperationalInsights/workspaces/z"):
        with pytest.raises(InvalidInput, match="SRE_AZURE_RESOURCE_ID"):
            portal.transaction_link(bad, event_id="r", at=at)


def test_portal_link_of_a_transaction_uses_its_request() -> None:
    items = timeline.nest(
        pd.DataFrame([item("dependency", "d1", "r1", 10, 3), item("request", "r1", "op", 0, 10)]), "op"
    )
    tx = Transaction("op", items, T0.to_pydatetime(), T0.to_pydatetime() + timedelta(hours=1))
    assert "%22eventId%22%3A%22r1%22" in portal.for_transaction(RESOURCE, tx)
    no_request = Transaction("op", items[items.item_type == "dependency"], tx.start, tx.end)
    assert "%22eventId%22%3A%22op%22" in portal.for_transaction(RESOURCE, no_request)


def test_the_health_rule() -> None:
    assert not appmap.unhealthy(0.05, 1000.0)
    assert appmap.unhealthy(0.0501, 10.0) and appmap.unhealthy(0.0, 1000.1)


def _map() -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = pd.DataFrame(
        {
            "AppRoleName": ["mana", "mana-worker"],
            "requests": [5, 1],
            "failure_rate": [0.6, 0.0],
            "avg_ms": [346.0, 900.0],
        }
    )
    edges = pd.DataFrame(
        {
            "AppRoleName": ["mana", "mana", "mana"],
            "Target": ["mana-sql", 'evil"target\\', "mana-worker"],
            "DependencyType": ["SQL", "HTTP", "HTTP"],
            "calls": [4, 1, 2],
            "failure_rate": [0.25, 0.0, 0.0],
            "avg_ms": [71.25, 1500.0, 20.0],
        }
    )
    return nodes, edges


def test_dot_nodes_edges_and_colours() -> None:
    dot = appmap.dot(*_map())
    lines = dot.splitlines()
    assert lines[0] == "digraph appmap {" and lines[-1] == "}"
    role = next(x for x in lines if x.startswith('"role:mana" ['))
    assert 'color="#d33"' in role and 'label="mana\\n5 requests · 60.00% failed · avg 346 ms"' in role
    assert 'color="#2e7d32"' in next(x for x in lines if x.startswith('"role:mana-worker" ['))
    sql = next(x for x in lines if x.startswith('"role:mana" -> "target:mana-sql"'))
    assert 'label="4 calls\\n25.00% failed\\navg 71 ms"' in sql and 'color="#d33"' in sql
    evil = next(x for x in lines if x.startswith('"role:mana" -> "target:evil\\"target\\\\"'))
    assert 'color="#d33"' in evil  # 1.5 s average
    # a target named like a role is that role's node, not a second node
    assert any(x.startswith('"role:mana" -> "role:mana-worker"') and 'color="#888888"' in x for x in lines)
    assert not any(x.startswith('"target:mana-worker"') for x in lines)


def test_callers_of_a_node() -> None:
    nodes, edges = _map()
    amap = appmap.AppMap(nodes=nodes, edges=edges, dot="")
    assert amap.node_names == ["mana", "mana-worker", "mana-sql", 'evil"target\\']
    assert appmap.callers(amap, "mana-worker") == ["mana-worker"]
    assert appmap.callers(amap, "mana-sql") == ["mana"]
    assert appmap.callers(amap, "unknown") == []

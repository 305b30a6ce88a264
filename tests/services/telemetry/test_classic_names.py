"""Queries written for a classic Application Insights resource run on the local store unchanged and answer what the
workspace tables answer; docs/kql.md holds the same column mapping the views use."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from services.telemetry import classic
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

SPAN = (AT - timedelta(days=1), AT)
RESOURCE = "/subscriptions/s/resourceGroups/mana-prod/providers/microsoft.insights/components/mana-ai"
DOC = Path(__file__).resolve().parents[3] / "docs" / "kql.md"


def _at(minutes: float) -> dict[str, object]:
    return {"TimeGenerated": AT - timedelta(minutes=minutes), "AppRoleName": "mana", "_ResourceId": RESOURCE}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> LocalTelemetrySource:
    root = tmp_path_factory.mktemp("t")
    write(
        root,
        "AppRequests",
        [
            req(1, ms=100, Properties='{"account": "somchai"}', _ResourceId=RESOURCE, ClientBrowser="Chrome"),
            req(2, ms=300, ok=False, Properties='{"account": "anong"}', _ResourceId=RESOURCE),
            req(3, ms=200, role="mana-worker", count=4, _ResourceId=RESOURCE),
            req(60 * 30, ms=5000),  # 30 hours ago: outside the day
        ],
    )
    write(
        root,
        "AppDependencies",
        [
            {
                **_at(1),
                "Target": "db",
                "DependencyType": "SQL",
                "Name": "SELECT",
                "Success": True,
                "DurationMs": 12.5,
                "ItemCount": 1,
            }
        ],
    )
    write(
        root,
        "AppExceptions",
        [
            {
                **_at(1),
                "ExceptionType": "System.TimeoutException",
                "OuterMessage": "late",
                "ProblemId": "p1",
                "SeverityLevel": 3,
                "ItemCount": 2,
            }
        ],
    )
    write(
        root, "AppTraces", [{**_at(m), "Message": "m", "SeverityLevel": s, "ItemCount": 1} for m, s in [(1, 1), (2, 3)]]
    )
    write(root, "AppEvents", [{**_at(1), "Name": "LoginFailed", "Measurements": '{"tries": 3}', "ItemCount": 1}])
    write(
        root, "AppMetrics", [{**_at(1), "Name": "orders.value", "Sum": 90.0, "Min": 10.0, "Max": 50.0, "ItemCount": 3}]
    )
    write(
        root,
        "AppPerformanceCounters",
        [
            {
                **_at(1),
                "Name": "% Processor Time",
                "Category": "Processor",
                "Counter": "% Processor Time",
                "Instance": "_Total",
                "Value": 42.5,
            }
        ],
    )
    write(
        root,
        "AppAvailabilityResults",
        [
            {
                **_at(1),
                "Name": "home",
                "Location": "Southeast Asia",
                "Success": False,
                "DurationMs": 30000.0,
                "ItemCount": 1,
            }
        ],
    )
    write(
        root, "AppPageViews", [{**_at(1), "Name": "Home", "Url": "https://mana/", "DurationMs": 800.0, "ItemCount": 1}]
    )
    write(
        root,
        "AppBrowserTimings",
        [{**_at(1), "Name": "Home", "TotalDurationMs": 900.0, "NetworkDurationMs": 100.0, "ItemCount": 1}],
    )
    return LocalTelemetrySource(root)


def rows(source: LocalTelemetrySource, kql: str) -> list[list[object]]:
    frame = source.query(kql, timespan=SPAN).frame
    return frame.astype(object).where(frame.notna(), None).values.tolist()  # type: ignore[no-any-return]


def test_requests_answer_what_apprequests_answers(source: LocalTelemetrySource) -> None:
    classic_q = (
        "requests | where timestamp > ago(1d) | summarize n = sum(itemCount), failed = countif(success == false), "
        "avg_ms = avg(duration) by cloud_RoleName | order by cloud_RoleName asc"
    )
    workspace_q = (
        "AppRequests | where TimeGenerated > ago(1d) | summarize n = sum(ItemCount), "
        "failed = countif(Success == false), avg_ms = avg(DurationMs) by AppRoleName | order by AppRoleName asc"
    )
    # mana: 2 requests of 100 and 300 ms, one failed; the worker's one request stands for 4 (sampled)
    assert rows(source, classic_q) == rows(source, workspace_q) == [["mana", 2, 1, 200.0], ["mana-worker", 4, 0, 200.0]]


def test_duration_is_milliseconds_and_dimensions_are_properties(source: LocalTelemetrySource) -> None:
    q = (
        "requests | where cloud_RoleName == 'mana' | project account = tostring(customDimensions.account), duration, "
        "resultCode, client_Browser, appName, itemType | order by duration asc"
    )
    assert rows(source, q) == [
        ["somchai", 100.0, "200", "Chrome", "mana-ai", "request"],
        ["anong", 300.0, "500", None, "mana-ai", "request"],
    ]


CLASSIC = [
    ("dependencies | project type, target, name, duration, success", [["SQL", "db", "SELECT", 12.5, True]]),
    ("exceptions | project type, outerMessage, problemId, severityLevel, itemCount",
     [["System.TimeoutException", "late", "p1", 3, 2]]),
    ("traces | where severityLevel >= 3 | project message, severityLevel", [["m", 3]]),
    ("customEvents | project name, tries = toint(customMeasurements.tries)", [["LoginFailed", 3]]),
    ("customMetrics | project name, value, valueSum, valueCount, valueMin, valueMax",
     [["orders.value", 90.0, 90.0, 3, 10.0, 50.0]]),
    ("performanceCounters | where category == 'Processor' and counter == '% Processor Time' "
     "| project name, instance, value", [["% Processor Time", "_Total", 42.5]]),
    ("availabilityResults | project name, location, success, duration", [["home", "Southeast Asia", False, 30000.0]]),
    ("pageViews | project name, url, duration", [["Home", "https://mana/", 800.0]]),
    ("browserTimings | project name, totalDuration, networkDuration", [["Home", 900.0, 100.0]]),
    ("union requests, dependencies, exceptions | summarize n = count() by itemType | order by itemType asc",
     [["dependency", 1], ["exception", 1], ["request", 3]]),
]  # fmt: skip


@pytest.mark.parametrize(("kql", "expected"), CLASSIC)
def test_every_classic_table_reads_its_workspace_table(
    source: LocalTelemetrySource, kql: str, expected: list[list[object]]
) -> None:
    assert rows(source, kql) == expected


@pytest.mark.parametrize("table", list(classic.TABLES))
def test_a_classic_table_has_the_classic_columns(source: LocalTelemetrySource, table: str) -> None:
    names = source.query(f"{table} | getschema", timespan=SPAN).frame.ColumnName.tolist()
    assert names == classic.columns(table)
    assert names[0] == "timestamp" and {"operation_Id", "cloud_RoleName", "customDimensions", "appName"} <= set(names)


def _pairs(text: str, heading: str) -> dict[str, str]:
    section = re.search(rf"^#### {heading}\n.*?(?=^#### |^## |\Z)", text, re.S | re.M)
    assert section, f"docs/kql.md has no section {heading}"
    return dict(re.findall(r"^\| `(\w+)` \| `(\w+)` \|", section.group(0), re.M))


def test_the_mapping_in_docs_is_the_one_the_views_use() -> None:
    """docs/kql.md: the columns of every classic table, then each table's own, as `classic` | `workspace` rows."""
    text = DOC.read_text(encoding="utf-8")
    common = _pairs(text, "every table")
    for table in classic.TABLES:
        documented = {**{c: w for c, w in common.items() if c in classic.columns(table)}, **_pairs(text, table)}
        assert documented == classic.renamed(table), table

"""Envelopes as the SDKs send them (the request captured from the real Python exporter, REFERENCE-next.md §1) become
the workspace rows Azure makes of them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.mapping import Refused, duration_ms, item_count, performance_bucket, to_row

KEY = "00000000-0000-0000-0000-000000000001"
TAGS = {"ai.cloud.role": "mana.mana-api", "ai.cloud.roleInstance": "pod-1", "ai.operation.id": "f7f8e5e1",
        "ai.operation.parentId": "2f9b3962", "ai.operation.name": "GET /shops/{id}", "ai.user.id": "u1",
        "ai.session.id": "s1", "ai.location.ip": "10.1.2.3", "ai.application.ver": "2026.12.1",
        "ai.internal.sdkVersion": "ulm_py3.11.7:otel1.45.2:ext1.0.0b58"}  # fmt: skip


def envelope(kind: str, base: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": f"Microsoft.ApplicationInsights.{kind}", "time": "2026-12-01T18:44:56.312795Z", "iKey": KEY,
            "tags": TAGS, "data": {"baseType": f"{kind}Data", "baseData": {"ver": 2, **base}}, **extra}  # fmt: skip


def test_a_request_becomes_an_apprequests_row() -> None:
    table, row = to_row(envelope("Request", {"id": "2f9b39623aea2868", "name": "GET /shops/{id}",
                                             "duration": "0.00:00:00.009", "responseCode": "500", "success": False,
                                             "url": "https://mana.example/shops/7", "properties": {"tenant": "th"},
                                             "measurements": {"rows": 3}}))  # fmt: skip
    assert table == "AppRequests"
    assert row == {
        "TimeGenerated": datetime(2026, 12, 1, 18, 44, 56, 312795, tzinfo=UTC),
        "AppRoleName": "mana.mana-api", "AppRoleInstance": "pod-1", "AppVersion": "2026.12.1",
        "OperationId": "f7f8e5e1", "OperationName": "GET /shops/{id}", "ParentId": "2f9b3962", "SessionId": "s1",
        "UserId": "u1", "UserAuthenticatedId": None, "ClientIP": "10.1.2.3", "ClientType": "PC",
        "SDKVersion": "ulm_py3.11.7:otel1.45.2:ext1.0.0b58", "Properties": '{"tenant":"th"}',
        "Id": "2f9b39623aea2868", "Name": "GET /shops/{id}", "Url": "https://mana.example/shops/7", "Success": False,
        "ResultCode": "500", "DurationMs": 9.0, "Source": None, "PerformanceBucket": "<250ms",
        "Measurements": '{"rows":3}', "ItemCount": 1,
    }  # fmt: skip


def test_a_dependency_an_exception_a_message_an_event_and_a_metric() -> None:
    _, dep = to_row(envelope("RemoteDependency", {"id": "d1", "name": "POST /verify", "type": "HTTP",
                                                  "target": "api.dopa.go.th", "data": "https://api.dopa.go.th/verify",
                                                  "resultCode": "503", "duration": "00:00:00.2500000",
                                                  "success": False}))  # fmt: skip
    assert (dep["Target"], dep["DependencyType"], dep["ResultCode"], dep["DurationMs"], dep["Success"],
            dep["PerformanceBucket"]) == ("api.dopa.go.th", "HTTP", "503", 250.0, False, "250ms-500ms")  # fmt: skip
    table, exc = to_row(envelope("Exception", {"exceptions": [
        {"typeName": "Mana.DopaException", "message": "DOPA failed", "parsedStack": [
            {"method": "Mana.Api.Identity.IdentityController.VerifyWithDopa", "assembly": "Mana.Api"}]},
        {"typeName": "System.TimeoutException", "message": "timed out after 30 s"}],
        "severityLevel": "Error"}))  # fmt: skip
    assert table == "AppExceptions"
    assert (exc["ExceptionType"], exc["OuterType"], exc["InnermostType"], exc["InnermostMessage"], exc["Method"],
            exc["SeverityLevel"], exc["ProblemId"]) == (
        "Mana.DopaException", "Mana.DopaException", "System.TimeoutException", "timed out after 30 s",
        "Mana.Api.Identity.IdentityController.VerifyWithDopa", 3, "Mana.DopaException")  # fmt: skip
    assert json.loads(exc["Details"])[1]["typeName"] == "System.TimeoutException"
    table, trace = to_row(envelope("Message", {"message": "DOPA verification for a1: verified", "severityLevel": 1}))
    assert (table, trace["Message"], trace["SeverityLevel"]) == ("AppTraces", "DOPA verification for a1: verified", 1)
    table, event = to_row(envelope("Event", {"name": "OrderPlaced"}))
    assert (table, event["Name"]) == ("AppEvents", "OrderPlaced")
    table, metric = to_row(envelope("Metric", {"metrics": [{"name": "orders.value", "value": 1250.5, "count": 5,
                                                            "min": 10.0, "max": 900.0}]}))  # fmt: skip
    assert (table, metric["Name"], metric["Sum"], metric["Min"], metric["Max"], metric["ItemCount"]) == (
        "AppMetrics",
        "orders.value",
        1250.5,
        10.0,
        900.0,
        5,
    )


def test_page_views_and_availability_results_have_their_tables() -> None:
    table, view = to_row(envelope("PageView", {"id": "p1", "name": "Checkout", "url": "https://shop/x",
                                               "duration": "00:00:01.5"}))  # fmt: skip
    assert (table, view["DurationMs"], view["PerformanceBucket"]) == ("AppPageViews", 1500.0, "1sec-3sec")
    base = {"id": "a1", "name": "mana health", "runLocation": "Bangkok", "success": False, "duration": "00:00:30",
            "message": "timeout"}  # fmt: skip
    table, avail = to_row(envelope("Availability", base))
    assert (table, avail["Location"], avail["Success"], avail["DurationMs"]) == (
        "AppAvailabilityResults",
        "Bangkok",
        False,
        30_000.0,
    )


def test_the_exporters_own_statistics_are_kept_apart_from_the_services_metrics() -> None:
    table, _ = to_row(envelope("Metric", {"metrics": [{"name": "Item_Success_Count", "value": 12}]}))
    assert table == "AppSdkStats"


@pytest.mark.parametrize(("rate", "count"), [(None, 1), (100, 1), (25, 4), (33.3, 3), (10, 10)])
def test_a_sample_rate_becomes_the_item_count(rate: float | None, count: int) -> None:
    assert item_count({"sampleRate": rate}) == count
    if rate:
        _, row = to_row(envelope("Request", {"id": "r", "name": "GET /", "duration": "00:00:00.1",
                                             "responseCode": "200", "success": True}, sampleRate=rate))  # fmt: skip
        assert row["ItemCount"] == count


@pytest.mark.parametrize(
    ("text", "ms"),
    [("0.00:00:00.009", 9.0), ("00:00:01.5", 1500.0), ("1.02:03:04.5", 93_784_500.0), (12.5, 12.5), (None, None)],
)
def test_timespans(text: object, ms: float | None) -> None:
    assert duration_ms(text) == ms


def test_buckets() -> None:
    assert [performance_bucket(ms) for ms in (0, 249.9, 250, 999, 3000, 299_999, 300_000)] == [
        "<250ms",
        "<250ms",
        "250ms-500ms",
        "500ms-1sec",
        "3sec-7sec",
        "2min-5min",
        ">=5min",
    ]


@pytest.mark.parametrize(
    ("bad", "message"),
    [({"name": "x", "time": "2026-12-01T00:00:00Z"}, "no data.baseData"),
     ({**envelope("Request", {"duration": "soon"})}, "duration 'soon' is not a TimeSpan"),
     ({**envelope("Request", {}), "time": "yesterday"}, "time 'yesterday' is not an ISO 8601 instant"),
     ({**envelope("Request", {}), "sampleRate": 0}, "sampleRate 0 is not a percentage"),
     (envelope("Snapshot", {}), "baseType 'SnapshotData' is not one"),
     (envelope("Metric", {"metrics": []}), "MetricData holds one metric"),
     (envelope("Exception", {"exceptions": []}), "ExceptionData has no exceptions")],
)  # fmt: skip
def test_an_envelope_that_cannot_be_a_row_says_why(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(Refused, match=message):
        to_row(bad)

"""The Azure Monitor receiver over real HTTP: repeats are one incident, Resolved resolves it, a wrong token or a
broken body stores nothing."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from services.alerts.receiver import serve
from services.auth import Actor
from services.db import session_scope
from services.incidents import service as incidents
from tests.e2e.streamlit_server import free_port

TOKEN = "s3cret-hook-token"
V = Actor("v", "viewer")
# the documented common alert schema sample for a log search alert (Log Alerts V2), trimmed of nothing essential
FIRED = {
    "schemaId": "azureMonitorCommonAlertSchema",
    "data": {
        "essentials": {
            "alertId": "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/"
            "alerts/12345678-1234-1234-1234-1234567890ab",
            "alertRule": "mana DOPA failures",
            "severity": "Sev2",
            "signalType": "Log",
            "monitorCondition": "Fired",
            "monitoringService": "Log Alerts V2",
            "alertTargetIDs": [
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/mana/providers/"
                "microsoft.insights/components/mana-ai"
            ],
            "configurationItems": ["mana-ai"],
            "originAlertId": "12345678-1234-1234-1234-1234567890ab",
            "firedDateTime": "2026-11-01T10:00:05.1234567Z",
            "description": "DOPA dependency failure rate above 5 %",
            "essentialsVersion": "1.0",
            "alertContextVersion": "1.0",
            "investigationLink": "https://portal.azure.com/#view/Microsoft_Azure_Monitoring_Alerts/Investigation",
        },
        "alertContext": {
            "properties": None,
            "conditionType": "LogQueryCriteria",
            "condition": {
                "windowSize": "PT10M",
                "allOf": [
                    {
                        "searchQuery": "AppDependencies | where Target == 'api.dopa.go.th'",
                        "metricMeasureColumn": None,
                        "targetResourceTypes": "['microsoft.insights/components']",
                        "operator": "GreaterThan",
                        "threshold": "5",
                        "timeAggregation": "Average",
                        "dimensions": [],
                        "metricValue": 37.5,
                        "failingPeriods": {"numberOfEvaluationPeriods": 1, "minFailingPeriodsToAlert": 1},
                    }
                ],
                "windowStartTime": "2026-11-01T09:50:00Z",
                "windowEndTime": "2026-11-01T10:00:00Z",
            },
        },
        "customProperties": {},
    },
}


@pytest.fixture
def receiver(sqlite_engine: Engine) -> Iterator[str]:
    port = free_port()
    server = serve(port, token=TOKEN, service="mana", host="127.0.0.1")
    yield f"http://127.0.0.1:{port}/hooks/azure-monitor"
    server.shutdown()


def post(url: str, body: bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _incidents() -> list[dict]:  # type: ignore[type-arg]
    with session_scope() as s:
        return [i.as_dict() for i in incidents.list_incidents(s, actor=V)]


def test_fired_three_times_is_one_incident_and_resolved_resolves_it(receiver: str) -> None:
    body = json.dumps(FIRED).encode()
    answers = [post(f"{receiver}?token={TOKEN}", body) for _ in range(3)]
    assert [a[0] for a in answers] == [200, 200, 200]
    assert [a[1]["result"] for a in answers] == ["opened", "already known", "already known"]
    (inc,) = _incidents()
    assert (inc["title"], inc["severity"], inc["status"], inc["source"]) == (
        "Azure Monitor: mana DOPA failures",
        "Sev2",
        "new",
        "azure-monitor",
    )
    assert inc["detected_at"].isoformat().startswith("2026-11-01T10:00:05.123456")
    resolved = copy.deepcopy(FIRED)
    resolved["data"]["essentials"].update(monitorCondition="Resolved", resolvedDateTime="2026-11-01T10:30:00Z")
    status, answer = post(f"{receiver}?token={TOKEN}", json.dumps(resolved).encode())
    assert (status, answer["result"]) == (200, "resolved")
    (inc,) = _incidents()
    assert inc["status"] == "resolved"
    assert post(f"{receiver}?token={TOKEN}", json.dumps(resolved).encode())[1]["result"] == "already known"


@pytest.mark.parametrize(
    ("query", "body", "status", "message"),
    [
        ("?token=wrong", json.dumps(FIRED).encode(), 401, "token"),
        ("", json.dumps(FIRED).encode(), 401, "token"),
        (f"?token={TOKEN}", b"{not json", 400, "not JSON"),
        (f"?token={TOKEN}", json.dumps({"schemaId": "other"}).encode(), 400, "common alert schema"),
        (
            f"?token={TOKEN}",
            json.dumps({"schemaId": "azureMonitorCommonAlertSchema", "data": {}}).encode(),
            400,
            "essentials is missing",
        ),
        (
            f"?token={TOKEN}",
            json.dumps({**FIRED, "data": {"essentials": {**FIRED["data"]["essentials"], "severity": "High"}}}).encode(),
            400,
            "severity must be Sev0..Sev4",
        ),
    ],
)
def test_bad_requests_store_nothing(receiver: str, query: str, body: bytes, status: int, message: str) -> None:
    got, answer = post(f"{receiver}{query}", body)
    assert got == status and message in answer["error"]
    assert _incidents() == []

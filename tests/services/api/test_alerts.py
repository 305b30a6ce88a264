"""POST /hooks/azure-monitor on the real server: repeats are one incident, Resolved resolves it, 50 alerts at once are
50 incidents, and a wrong token or any wrong body is a 4xx with a JSON message naming what is wrong, storing nothing."""

from __future__ import annotations

import asyncio
import copy
import json
import socket
from typing import Any

import httpx
import pytest

from services.auth import Actor
from services.config import get_settings
from services.db import get_engine, session_scope
from services.incidents import service as incidents
from tests.services.api.conftest import TOKEN, Serve

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


def fired(**essentials: Any) -> dict[str, Any]:
    """The sample with some essentials changed."""
    body = copy.deepcopy(FIRED)
    body["data"]["essentials"].update(essentials)
    return body


def hook(api: str, token: str | None = TOKEN) -> str:
    return f"{api}/hooks/azure-monitor" + (f"?token={token}" if token is not None else "")


def _incidents() -> list[dict[str, Any]]:
    with session_scope() as s:
        return [i.as_dict() for i in incidents.list_incidents(s, actor=V)]


def test_fired_three_times_is_one_incident_and_resolved_resolves_it(api: str) -> None:
    answers = [httpx.post(hook(api), json=FIRED) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["result"] for a in answers] == ["opened", "already known", "already known"]
    (inc,) = _incidents()
    assert (inc["title"], inc["severity"], inc["status"], inc["source"]) == (
        "Azure Monitor: mana DOPA failures",
        "Sev2",
        "new",
        "azure-monitor",
    )
    assert inc["detected_at"].isoformat().startswith("2026-11-01T10:00:05.123456")
    assert answers[0].json()["incident_id"] == inc["id"]
    resolved = fired(monitorCondition="Resolved", resolvedDateTime="2026-11-01T10:30:00Z")
    answer = httpx.post(hook(api), json=resolved)
    assert (answer.status_code, answer.json()["result"]) == (200, "resolved")
    (inc,) = _incidents()
    assert inc["status"] == "resolved"
    assert httpx.post(hook(api), json=resolved).json()["result"] == "already known"


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("token", "body", "status", "message"),
    [
        ("wrong", json.dumps(FIRED).encode(), 401, "Wrong or missing token"),
        (None, json.dumps(FIRED).encode(), 401, "Wrong or missing token"),
        ("wrong", json.dumps(fired(severity=["Sev2"])).encode(), 401, "token"),  # the token is checked first
        (TOKEN, b"{not json", 400, "not JSON"),
        (TOKEN, b'{"schemaId": "\xff\xfe"}', 400, "not JSON"),
        (TOKEN, DEEP, 400, "nested too deep"),
        (TOKEN, json.dumps({"schemaId": "other"}).encode(), 400, "schemaId: Input should be 'azureMonitorCommon"),
        (TOKEN, json.dumps([1, 2]).encode(), 400, "body: Input should be a valid dictionary"),
        (TOKEN, json.dumps({"schemaId": "azureMonitorCommonAlertSchema", "data": {}}).encode(), 400, "essentials:"),
        (TOKEN, json.dumps(fired(severity="High")).encode(), 400, "data.essentials.severity: Input should be 'Sev0'"),
        (TOKEN, json.dumps(fired(severity=["Sev2"])).encode(), 400, "data.essentials.severity: Input should be"),
        (TOKEN, json.dumps(fired(alertTargetIDs=5)).encode(), 400, "data.essentials.alertTargetIDs: Input should be"),
        (TOKEN, json.dumps(fired(alertId="")).encode(), 400, "data.essentials.alertId: String should have at least"),
        (TOKEN, json.dumps(fired(alertRule="r" * 286)).encode(), 400, "data.essentials.alertRule: String should have"),
        (TOKEN, json.dumps(fired(firedDateTime="yesterday")).encode(), 400, "data.essentials.firedDateTime: Input"),
        (TOKEN, json.dumps(fired(monitorCondition="Gone")).encode(), 400, "data.essentials.monitorCondition: Input"),
    ],
)
def test_bad_requests_are_answered_in_json_and_store_nothing(
    api: str, token: str | None, body: bytes, status: int, message: str
) -> None:
    answer = httpx.post(hook(api, token), content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert message in answer.json()["error"]
    assert _incidents() == []


def test_without_a_configured_token_every_call_is_refused(serve: Serve, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SRE_WEBHOOK_TOKEN")
    get_settings.cache_clear()
    with serve() as api:
        for token in (None, "", TOKEN, "None"):
            assert httpx.post(hook(api, token), json=FIRED).status_code == 401
    assert _incidents() == []


def test_a_content_length_that_is_not_a_number_is_answered(api: str) -> None:
    port = int(api.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(
            f"POST /hooks/azure-monitor?token={TOKEN} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{{}}".encode()
        )
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert _incidents() == []


async def _post_all(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=len(bodies))) as client:
        return await asyncio.gather(*(client.post(url, json=b) for b in bodies))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_fifty_distinct_alerts_at_once_are_fifty_incidents(
    serve: Serve, database: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database == "postgresql":
        monkeypatch.setenv("SRE_DATABASE_URL", request.getfixturevalue("pg_engine").url.render_as_string(False))
        get_settings.cache_clear()
        get_engine.cache_clear()
    bodies = [fired(alertId=f"{FIRED['data']['essentials']['alertId']}-{i}") for i in range(50)]
    with serve() as api:
        answers = asyncio.run(_post_all(hook(api), bodies))
    assert [a.status_code for a in answers] == [200] * 50
    assert {a.json()["result"] for a in answers} == {"opened"}
    stored = _incidents()
    assert get_engine().dialect.name == database
    assert sorted(i["source_ref"] for i in stored) == sorted(b["data"]["essentials"]["alertId"] for b in bodies)


def test_the_same_alert_fifty_times_at_once_is_one_incident(api: str) -> None:
    answers = asyncio.run(_post_all(hook(api), [FIRED] * 50))
    assert [a.status_code for a in answers] == [200] * 50
    assert len({a.json()["incident_id"] for a in answers}) == 1
    assert len(_incidents()) == 1

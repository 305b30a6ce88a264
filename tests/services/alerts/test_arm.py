"""`sre-backoffice alerts export`: the seeded query rules as an ARM template Azure Monitor deploys as they are."""

from __future__ import annotations

import json

import pytest

from services.alerts import arm
from services.cli import main


def test_every_query_rule_exports_as_a_scheduled_query_rule(
    team_rules: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alerts", "export", "--format", "arm"]) == 0
    tpl = json.loads(capsys.readouterr().out)
    kinds = [r["type"] for r in tpl["resources"]]
    assert kinds == ["Microsoft.Insights/actionGroups"] + ["Microsoft.Insights/scheduledQueryRules"] * 6
    group = tpl["resources"][0]["properties"]
    assert group["emailReceivers"] == [
        {"name": "email-1", "emailAddress": "sre-operators@mana.example", "useCommonAlertSchema": True}
    ]
    assert group["webhookReceivers"][0]["serviceUri"] == "http://127.0.0.1:8600/account-lock"
    assert group["armRoleReceivers"][0]["roleId"] == arm.MONITORING_CONTRIBUTOR
    logins = next(
        r
        for r in tpl["resources"][1:]
        if r["properties"]["displayName"].startswith("failed logins for one account > 5")
    )
    p = logins["properties"]
    assert (p["evaluationFrequency"], p["windowSize"], p["severity"], p["muteActionsDuration"]) == (
        "PT5M",
        "PT15M",
        3,
        "PT1H",
    )
    crit = p["criteria"]["allOf"][0]
    assert crit["dimensions"] == [{"name": "account", "operator": "Include", "values": ["*"]}]
    assert (crit["timeAggregation"], crit["operator"], crit["threshold"]) == ("Count", "GreaterThan", 5.0)
    dopa = next(r for r in tpl["resources"][1:] if r["properties"]["displayName"].startswith("DOPA"))
    assert dopa["properties"]["criteria"]["allOf"][0]["metricMeasureColumn"] == "failed_pct"
    cpu = next(r for r in tpl["resources"][1:] if r["properties"]["displayName"].startswith("CPU of a role instance"))
    c = cpu["properties"]["criteria"]["allOf"][0]
    assert (c["timeAggregation"], c["metricMeasureColumn"], c["operator"], c["threshold"]) == (
        "Minimum", "Value", "GreaterThan", 80.0)  # fmt: skip
    assert c["dimensions"][0]["name"] == "AppRoleInstance" and cpu["properties"]["windowSize"] == "PT10M"
    assert tpl["parameters"]["appInsightsResourceId"]["type"] == "string"

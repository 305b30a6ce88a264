"""Every rule as an ARM template: Microsoft.Insights/scheduledQueryRules plus one actionGroups resource."""

from __future__ import annotations

import re
from typing import Any

from services.alerts.models import AlertRule

API_RULES = "2023-03-15-preview"
API_GROUPS = "2023-01-01"
MONITORING_CONTRIBUTOR = "749f88d5-cbae-40b8-bcfc-e573ddc772fa"


def _duration(minutes: int) -> str:
    return f"PT{minutes // 60}H" if minutes % 60 == 0 and minutes >= 60 else f"PT{minutes}M"


def _resource_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")[:200] or "rule"


def rule_query(rule: AlertRule) -> str:
    """The KQL Azure evaluates: the rule's query as written (an SLO burn rule exports its long-window error ratio)."""
    return rule.query


def template(rules: list[AlertRule], *, scope_param: str = "appInsightsResourceId") -> dict[str, Any]:
    """An ARM template deployable with `az deployment group create --template-file …`."""
    emails = sorted(
        {
            t.strip()
            for r in rules
            for a in r.actions or []
            if a.get("channel") == "email"
            for t in str(a.get("target", "")).split(",")
            if t.strip() and not t.startswith("group:")
        }
    )
    hooks = sorted({str(a["target"]) for r in rules for a in r.actions or [] if a.get("channel") == "webhook"})
    group = {
        "type": "Microsoft.Insights/actionGroups",
        "apiVersion": API_GROUPS,
        "name": "[parameters('actionGroupName')]",
        "location": "Global",
        "properties": {
            "groupShortName": "sre-mana",
            "enabled": True,
            "emailReceivers": [
                {"name": f"email-{i + 1}", "emailAddress": e, "useCommonAlertSchema": True}
                for i, e in enumerate(emails)
            ],
            "webhookReceivers": [
                {"name": f"webhook-{i + 1}", "serviceUri": h, "useCommonAlertSchema": True} for i, h in enumerate(hooks)
            ],
            "armRoleReceivers": [
                {"name": "monitoring-contributors", "roleId": MONITORING_CONTRIBUTOR, "useCommonAlertSchema": True}
            ],
        },
    }
    resources: list[dict[str, Any]] = [group]
    for r in rules:
        if r.kind != "query":
            continue  # SLO burn-rate rules are evaluated by the worker from the SLO definitions
        crit: dict[str, Any] = {
            "query": rule_query(r),
            "timeAggregation": r.aggregation,
            "operator": r.operator,
            "threshold": r.threshold,
            "failingPeriods": {
                "numberOfEvaluationPeriods": r.evaluation_periods,
                "minFailingPeriodsToAlert": r.failing_periods,
            },
        }
        if r.aggregation != "Count" and r.measure_column:
            crit["metricMeasureColumn"] = r.measure_column
        if r.dimension:
            crit["dimensions"] = [{"name": r.dimension, "operator": "Include", "values": ["*"]}]
        resources.append(
            {
                "type": "Microsoft.Insights/scheduledQueryRules",
                "apiVersion": API_RULES,
                "name": _resource_name(r.name),
                "location": "[parameters('location')]",
                "kind": "LogAlert",
                "dependsOn": ["[resourceId('Microsoft.Insights/actionGroups', parameters('actionGroupName'))]"],
                "properties": {
                    "displayName": r.name,
                    "description": r.description,
                    "severity": int(r.severity[-1]),
                    "enabled": r.enabled,
                    "scopes": [f"[parameters('{scope_param}')]"],
                    "evaluationFrequency": _duration(r.frequency_min),
                    "windowSize": _duration(r.window_min),
                    "muteActionsDuration": _duration(r.mute_min) if r.mute_min else None,
                    "autoMitigate": r.auto_resolve,
                    "criteria": {"allOf": [crit]},
                    "actions": {
                        "actionGroups": [
                            "[resourceId('Microsoft.Insights/actionGroups', parameters('actionGroupName'))]"
                        ],
                        "customProperties": {"source": "sre-backoffice", "rule_id": str(r.id)},
                    },
                },
            }
        )
        if not r.mute_min:
            del resources[-1]["properties"]["muteActionsDuration"]
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            scope_param: {"type": "string", "metadata": {"description": "Application Insights resource id"}},
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "actionGroupName": {"type": "string", "defaultValue": "sre-backoffice-mana"},
        },
        "resources": resources,
    }

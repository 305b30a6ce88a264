"""The seeded rules, SLO burn-rate rules firing with the SLO page's numbers, and the ARM export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services.alerts import arm
from services.alerts import rules as alert_rules
from services.alerts import service as alerts
from services.alerts.seeds import seed_team_rules
from services.auth import Actor
from services.cli import main
from services.db import session_scope
from services.slos import service as slo_service
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

ADMIN = Actor("admin", "admin")


def _seed() -> None:
    with session_scope() as s:
        slo_service.seed_team_targets(s, actor=ADMIN)
        assert seed_team_rules(s, actor=ADMIN) == 9  # 3 burn-rate rules × 2 SLOs + 3 business rules
        assert seed_team_rules(s, actor=ADMIN) == 0


def test_seeded_rules(sqlite_engine: Engine) -> None:
    _seed()
    with session_scope() as s:
        rules = {r.name: r for r in alert_rules.list_rules(s, actor=ADMIN)}
    fast = rules["mana availability: page (fast burn)"]
    assert (fast.kind, fast.slo_policy, fast.frequency_min, fast.window_min) == ("slo_burn", "page (fast burn)", 5, 60)
    assert "14.40×" in fast.description
    lock = rules["failed logins for one account > 10 in 15 min: lock it"]
    assert lock.actions[0]["params"] == {"lock_minutes": 60} and lock.threshold == 10
    dopa = rules["DOPA dependency failure rate > 5 % for 10 min"]
    assert (dopa.aggregation, dopa.measure_column, dopa.window_min, dopa.severity) == (
        "Average",
        "failed_pct",
        10,
        "Sev2",
    )


def test_an_slo_burn_rule_fires_when_the_slo_page_says_so(sqlite_engine: Engine, tmp_path: Path) -> None:
    _seed()
    # 600 requests over 10 hours; the last 60 minutes fail one in four: burn (0.25/0.01) = 25x > 14.4 on 1h and 5m
    write(tmp_path / "t", "AppRequests", [req(m, ok=not (m < 60 and m % 4 == 0)) for m in range(600)])
    src = LocalTelemetrySource(tmp_path / "t")
    with session_scope() as s:
        rule = next(
            r for r in alert_rules.list_rules(s, actor=ADMIN) if r.name == "mana availability: page (fast burn)"
        )
        changes = alerts.evaluate_rule(s, src, rule, at=AT)
        assert [(c.state, round(c.value or 0, 2)) for c in changes] == [("fired", 25.0)]
        slow = next(
            r for r in alert_rules.list_rules(s, actor=ADMIN) if r.name == "mana availability: page (slow burn)"
        )
        # 6h window: 15 bad of 360 -> 4.17x < 6: quiet
        assert alerts.evaluate_rule(s, src, slow, at=AT) == []


def test_arm_export(sqlite_engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    _seed()
    assert main(["alerts", "export", "--format", "arm"]) == 0
    tpl = json.loads(capsys.readouterr().out)
    kinds = [r["type"] for r in tpl["resources"]]
    assert kinds == ["Microsoft.Insights/actionGroups"] + ["Microsoft.Insights/scheduledQueryRules"] * 3
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
    assert tpl["parameters"]["appInsightsResourceId"]["type"] == "string"


def test_worker_once_from_the_cli(sqlite_engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _seed()
    write(Path(tmp_path / "telemetry"), "AppRequests", [req(m) for m in range(30)])
    capsys.readouterr()
    assert main(["worker", "--once"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats == {"changes": 0, "delivered": 0, "failed": 0}

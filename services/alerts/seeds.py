"""The team's starting rules: the burn-rate pairs of every SLO, failed logins per account, DOPA failures, and a role
instance that went silent without its last batch (a stop/start gap), a role instance whose CPU stays above 80 % for
10 minutes, and availability tests failing from two or more regions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.alerts import repository as alert_repo
from services.alerts import service as alert_service
from services.alerts import slo_rules
from services.auth import Actor
from services.config import get_settings
from services.monitoring import gaps
from services.slos import service as slo_service

FAILED_LOGINS = 'AppEvents\n| where Name == "LoginFailed"\n| extend account = tostring(Properties.account)'
# the SDK's processor counter (\\Processor(_Total)\\% Processor Time), one sample per instance and minute
CPU = 'AppPerformanceCounters\n| where Category == "Processor" and Name == "% Processor Time"'
AVAILABILITY_FAILED = "AppAvailabilityResults\n| where Success == false"
DOPA = 'AppDependencies\n| where Target == "api.dopa.go.th"\n| extend failed_pct = iff(Success == true, 0.0, 100.0)'


def team_rules() -> list[dict[str, Any]]:
    """The business rules, as the rule form would submit them (each SLO's burn-rate rules come from slo_rules)."""
    s = get_settings()
    email = {"channel": "email", "target": s.notify.alert_email_to}
    return [
        {
            "name": "failed logins for one account > 5 in 15 min",
            "query": FAILED_LOGINS,
            "aggregation": "Count",
            "dimension": "account",
            "operator": "GreaterThan",
            "threshold": 5,
            "frequency_min": 5,
            "window_min": 15,
            "severity": "Sev3",
            "mute_min": 60,
            "actions": [email],
            "description": "Someone may be guessing a password: tell the operators.",
        },
        {
            "name": "failed logins for one account > 10 in 15 min: lock it",
            "query": FAILED_LOGINS,
            "aggregation": "Count",
            "dimension": "account",
            "operator": "GreaterThan",
            "threshold": 10,
            "frequency_min": 5,
            "window_min": 15,
            "severity": "Sev3",
            "mute_min": 60,
            "actions": [
                {
                    "channel": "webhook",
                    "target": s.notify.account_lock_webhook_url,
                    "on": "fired",
                    "params": {"lock_minutes": 60},
                }
            ],
            "description": "Lock the account for an hour through the account-lock webhook, then unlock it.",
        },
        {
            "name": "DOPA dependency failure rate > 5 % for 10 min",
            "query": DOPA,
            "aggregation": "Average",
            "measure_column": "failed_pct",
            "operator": "GreaterThan",
            "threshold": 5,
            "frequency_min": 5,
            "window_min": 10,
            "severity": "Sev2",
            "mute_min": 30,
            "actions": [{"channel": "incident", "params": {"severity": "Sev2"}}, email],
            "description": "Identity verification is failing: open a Sev2 incident.",
        },
        {
            "name": "a role instance went silent without its last batch (stop/start gap)",
            "query": gaps.rule_query(),
            "aggregation": "Count",
            "dimension": "AppRoleInstance",
            "operator": "GreaterThan",
            "threshold": 0,
            "frequency_min": 5,
            "window_min": int(gaps.RULE_WINDOW.total_seconds() // 60),
            "severity": "Sev3",
            "mute_min": 60,
            "actions": [email],
            "description": "An instance that sent every minute stopped while its role kept serving: its last "
            "telemetry is likely lost (a pod stopped before its SDK flushed). Check the pod's restarts and logs.",
        },
        {
            "name": "CPU of a role instance above 80 % for 10 min",
            "query": CPU,
            "aggregation": "Minimum",
            "measure_column": "Value",
            "dimension": "AppRoleInstance",
            "operator": "GreaterThan",
            "threshold": 80,
            "frequency_min": 5,
            "window_min": 10,
            "severity": "Sev3",
            "mute_min": 60,
            "actions": [email],
            "description": "Every % Processor Time sample of the instance in the last 10 minutes was above 80 %: it "
            "stayed saturated. Check the load on the Live metrics page and scale out (Capacity plan).",
        },
        {
            "name": "availability test failed from 2 or more regions in 5 min",
            "query": AVAILABILITY_FAILED,
            "aggregation": "Count",
            "dimension": "Name",
            "operator": "GreaterThanOrEqual",
            "threshold": 2,
            "frequency_min": 5,
            "window_min": 5,
            "severity": "Sev2",
            "mute_min": 30,
            "actions": [email],
            "description": "Each region runs each availability test once every 5 minutes, so 2 failed results in 5 "
            "minutes are 2 regions failing (Azure's default: 2 of 5 locations). Users outside may not reach mana.",
        },
    ]


def seed_team_rules(session: Session, *, actor: Actor) -> int:
    """Create the rules that do not exist yet: every SLO's burn-rate rules (by SLO and policy, also bringing those of
    an SLO from before rules followed their SLO up to date) and the business rules (by name); how many were created."""
    n = 0
    for slo in sorted(slo_service.list_slos(session, actor=actor), key=lambda slo: slo.id):
        n += slo_rules.sync_for_slo(session, actor=actor, slo=slo).created
    have = alert_repo.rule_names(session)
    for data in team_rules():
        if data["name"] not in have:
            alert_service.create_rule(session, actor=actor, data=data)
            n += 1
    return n

"""The team's starting rules: the burn-rate pairs of every SLO, failed logins per account, DOPA failures."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.alerts import repository as alert_repo
from services.alerts import service as alert_service
from services.auth import Actor
from services.config import get_settings
from services.slos import budget
from services.slos import service as slo_service
from services.slos.models import Slo

FAILED_LOGINS = 'AppEvents\n| where Name == "LoginFailed"\n| extend account = tostring(Properties.account)'
DOPA = 'AppDependencies\n| where Target == "api.dopa.go.th"\n| extend failed_pct = iff(Success == true, 0.0, 100.0)'


def team_rules(slos: list[Slo]) -> list[dict[str, Any]]:
    """Rule definitions, as the rule form would submit them."""
    s = get_settings()
    email = {"channel": "email", "target": s.notify.alert_email_to}
    rules: list[dict[str, Any]] = []
    for slo in slos:
        for p in budget.POLICIES:
            long_min = int(budget.BURN_WINDOWS[p.long_window].total_seconds() // 60)
            page = p.severity == "page"
            rules.append(
                {
                    "name": f"{slo.name}: {p.name}",
                    "kind": "slo_burn",
                    "slo_id": slo.id,
                    "slo_policy": p.name,
                    "description": f"burn rate over {p.long_window} and {p.short_window} > "
                    f"{p.threshold(slo.window_days):.2f}× ({p.budget_share:.0%} of the budget)",
                    "severity": "Sev2" if page else "Sev4",
                    "frequency_min": 5 if page else 60,
                    "window_min": long_min,
                    "mute_min": 60 if page else 360,
                    "actions": [email, {"channel": "incident", "params": {"severity": "Sev2"}}] if page else [email],
                }
            )
    rules += [
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
    ]
    return rules


def seed_team_rules(session: Session, *, actor: Actor) -> int:
    """Create the rules that do not exist yet (by name)."""
    have = alert_repo.rule_names(session)
    slos = sorted(slo_service.list_slos(session, actor=actor), key=lambda slo: slo.id)
    n = 0
    for data in team_rules(slos):
        if data["name"] not in have:
            alert_service.create_rule(session, actor=actor, data=data)
            n += 1
    return n

"""An SLO's burn-rate rules: one per multi-window policy of the SLO page, owned by the SLO (slo_id, slo_policy).

Creating, editing or deleting an SLO calls `sync_for_slo` in the same transaction, so its rules exist, change and go
with it (each change audited like any rule change) and the worker evaluates them from its next cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.alerts import repository as alert_repo
from services.alerts import service as alert_service
from services.alerts.models import AlertRule
from services.auth import Actor, require
from services.config import get_settings
from services.errors import Conflict
from services.slos import budget
from services.slos.budget import AlertPolicy
from services.slos.models import Slo

NAME_LENGTH = 200  # alert_rule.name


@dataclass(frozen=True)
class RuleSync:
    """What syncing an SLO's burn-rate rules did."""

    created: int = 0
    updated: int = 0
    removed: int = 0


def rule_name(slo_name: str, policy: AlertPolicy) -> str:
    """'<SLO>: <policy>', the SLO's part shortened with '…' where the whole would not fit the column."""
    suffix = f": {policy.name}"
    room = NAME_LENGTH - len(suffix)
    return (slo_name if len(slo_name) <= room else slo_name[: room - 1] + "…") + suffix


def owned_fields(slo: Slo, policy: AlertPolicy) -> dict[str, Any]:
    """What the SLO decides about one of its rules: the name, the burn-rate threshold and the condition in words."""
    threshold = policy.threshold(slo.window_days)
    bad_pct = threshold * budget.error_budget(slo.objective) * 100
    describe = f"requests of {slo.service}" + (f" {slo.operation}" if slo.operation else "")
    if slo.kind == "ratio":
        describe = "bad events (" + ("rows of the bad query" if slo.bad_query else "total − good query rows") + ")"
    elif slo.kind == "latency":
        describe += f" slower than {slo.threshold_ms:g} ms"
    else:
        describe = "failed " + describe
    return {
        "name": rule_name(slo.name, policy),
        "kind": "slo_burn",
        "slo_id": slo.id,
        "slo_policy": policy.name,
        "threshold": threshold,
        "window_min": int(budget.BURN_WINDOWS[policy.long_window].total_seconds() // 60),
        "description": f"burn rate over {policy.long_window} and {policy.short_window} > {threshold:.2f}× "
        f"({policy.budget_share:.0%} of the {slo.window_days}-day budget in {policy.long_window}): "
        f"{describe} above {bad_pct:.3g} % of all for the {slo.objective:g} % objective",
    }


def _defaults(policy: AlertPolicy) -> dict[str, Any]:
    """How a new burn-rate rule notifies: pages by email and a Sev2 incident every 5 min, tickets by email hourly."""
    email = {"channel": "email", "target": get_settings().notify.alert_email_to}
    page = policy.severity == "page"
    return {
        "severity": "Sev2" if page else "Sev4",
        "frequency_min": 5 if page else 60,
        "mute_min": 60 if page else 360,
        "actions": [email, {"channel": "incident", "params": {"severity": "Sev2"}}] if page else [email],
    }


def _free_name(session: Session, name: str, own_id: int | None) -> None:
    if alert_repo.name_taken(session, name, other_than=own_id):
        raise Conflict(
            f"The SLO's burn-rate alert rule would be named {name!r}, but another alert rule has that name; "
            "rename that rule (Alert rules page) or choose another SLO name."
        )


def sync_for_slo(session: Session, *, actor: Actor, slo: Slo, remove: bool = False) -> RuleSync:
    """Make the SLO's burn-rate rules match it, in the caller's transaction: one per policy, created where missing and
    updated where the SLO changed them (re-evaluated at the worker's next cycle); all removed when `remove`."""
    require(actor, "alert.edit")
    mine: dict[str, AlertRule] = {}
    stray: list[AlertRule] = []
    for rule in alert_repo.slo_rules(session, slo.id):
        known = rule.slo_policy in {p.name for p in budget.POLICIES} and rule.slo_policy not in mine
        if known and not remove:
            mine[str(rule.slo_policy)] = rule
        else:
            stray.append(rule)
    created = updated = 0
    for rule in stray:  # first, so that their names are free for the rules that stay
        alert_service.delete_rule(session, actor=actor, rule_id=rule.id)
    if not remove:
        for policy in budget.POLICIES:
            wanted = owned_fields(slo, policy)
            rule_or_none = mine.get(policy.name)
            if rule_or_none is None:
                _free_name(session, wanted["name"], None)
                alert_service.create_rule(session, actor=actor, data={**_defaults(policy), **wanted})
                created += 1
                continue
            changed = {k: v for k, v in wanted.items() if getattr(rule_or_none, k) != v}
            if changed:
                _free_name(session, wanted["name"], rule_or_none.id)
                alert_service.update_rule(session, actor=actor, rule_id=rule_or_none.id, data=changed)
                updated += 1
    return RuleSync(created, updated, len(stray))

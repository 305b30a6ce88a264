"""Alert rules: validation, create, read, edit, delete and backtest, with permissions and audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services import audit
from services.alerts import repository as alert_repo
from services.alerts.evaluation import RuleSpec, Transition, backtest
from services.alerts.models import AlertRule
from services.auth import Actor, require
from services.errors import Conflict, InvalidInput
from services.repository import check_version, flush_versioned, get_or_raise
from services.telemetry.kql import syntax_error
from services.telemetry.source import TelemetrySource

CHANNELS = ("email", "webhook", "telegram", "incident", "board")
RULE_FIELDS = (
    "name",
    "description",
    "kind",
    "query",
    "aggregation",
    "measure_column",
    "dimension",
    "operator",
    "threshold",
    "frequency_min",
    "window_min",
    "evaluation_periods",
    "failing_periods",
    "severity",
    "actions",
    "mute_min",
    "auto_resolve",
    "enabled",
    "slo_id",
    "slo_policy",
)


def spec_of(rule: AlertRule) -> RuleSpec:
    """The evaluation view of a query rule."""
    return RuleSpec(
        rule.query,
        rule.aggregation,
        rule.measure_column,
        rule.dimension,
        rule.operator,
        rule.threshold,
        rule.frequency_min,
        rule.window_min,
        rule.evaluation_periods,
        rule.failing_periods,
    )


def check_rule(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a rule's fields (a threshold that is not a number, unknown channels, a bad window …)."""
    out = {k: data[k] for k in RULE_FIELDS if k in data}
    if not str(out.get("name", "")).strip():
        raise InvalidInput("The rule needs a name.")
    try:
        out["threshold"] = float(out.get("threshold", 0))
    except (TypeError, ValueError):
        raise InvalidInput(f"The threshold {data.get('threshold')!r} is not a number.") from None
    for a in out.get("actions", []):
        if a.get("channel") not in CHANNELS:
            raise InvalidInput(f"Unknown action channel {a.get('channel')!r}; use one of {', '.join(CHANNELS)}.")
        if a["channel"] in ("email", "webhook", "telegram") and not str(a.get("target", "")).strip():
            raise InvalidInput(f"The {a['channel']} action needs a target (address, URL or chat id).")
    if out.get("kind", "query") == "query":
        spec = RuleSpec(
            query=str(out.get("query", "")),
            aggregation=str(out.get("aggregation", "Count")),
            measure_column=out.get("measure_column") or None,
            dimension=out.get("dimension") or None,
            operator=str(out.get("operator", "GreaterThan")),
            threshold=out["threshold"],
            frequency_min=int(out.get("frequency_min", 5)),
            window_min=int(out.get("window_min", 5)),
            evaluation_periods=int(out.get("evaluation_periods", 1)),
            failing_periods=int(out.get("failing_periods", 1)),
        )
        spec.check()
        err = syntax_error(spec.query, f"rule {out['name']}")
        if err:
            raise InvalidInput(str(err))
    return out


def create_rule(session: Session, *, actor: Actor, data: dict[str, Any]) -> AlertRule:
    """Store a new rule, audited."""
    require(actor, "alert.edit")
    fields = check_rule(data)
    if alert_repo.name_taken(session, fields["name"]):
        raise Conflict(f"A rule named {fields['name']!r} exists already.")
    rule = AlertRule(**fields)
    alert_repo.add(session, rule)
    audit.record(session, actor=actor, action="alert_rule.create", entity="alert_rule", entity_id=rule.id, after=fields)
    return rule


def list_rules(session: Session, *, actor: Actor) -> list[AlertRule]:
    """Every rule by name."""
    require(actor, "alert.read")
    return alert_repo.list_rules(session)


def get_rule(session: Session, *, actor: Actor, rule_id: int) -> AlertRule:
    """One rule, or NotFound."""
    require(actor, "alert.read")
    return get_or_raise(session, AlertRule, rule_id, missing=f"Alert rule {rule_id} does not exist.")


def fired_since(session: Session, *, actor: Actor, rule_ids: list[int], since: datetime) -> dict[int, list[datetime]]:
    """When each of the rules fired after `since` (the worker's own history), oldest first."""
    require(actor, "alert.read")
    return alert_repo.fired_since(session, rule_ids, since)


def backtest_rule(
    source: TelemetrySource, *, actor: Actor, data: dict[str, Any], days: float, end: datetime
) -> list[Transition]:
    """Validate a rule form and evaluate it over the last `days` without saving anything."""
    require(actor, "alert.read")
    fields = check_rule({**data, "name": data.get("name") or "backtest"})
    if fields.get("kind", "query") != "query":
        raise InvalidInput("SLO burn-rate rules are backtested on the SLO page (evaluate as of a past instant).")
    if not 0 < days <= 30:
        raise InvalidInput("Backtest between a few hours and 30 days.")
    rule = AlertRule(**fields)
    return backtest(source, spec_of(rule), end=end, days=days)


def update_rule(
    session: Session, *, actor: Actor, rule_id: int, data: dict[str, Any], expected_version: int | None = None
) -> AlertRule:
    """Edit a rule (validated like a new one), refusing a stale edit; audited."""
    require(actor, "alert.edit")
    rule = get_rule(session, actor=actor, rule_id=rule_id)
    check_version(rule.version, expected_version, stale=_stale(rule.name, "someone else"))
    current = {k: getattr(rule, k) for k in RULE_FIELDS}
    fields = check_rule({**current, **data})
    if alert_repo.name_taken(session, fields["name"], other_than=rule_id):
        raise Conflict(f"A rule named {fields['name']!r} exists already.")
    changed = {k: v for k, v in fields.items() if current.get(k) != v}
    for k, v in changed.items():
        setattr(rule, k, v)
    rule.next_due_at = None  # evaluate the new definition at the next cycle
    flush_versioned(session, rule, stale=lambda who: _stale(fields["name"], who))
    audit.record(
        session,
        actor=actor,
        action="alert_rule.update",
        entity="alert_rule",
        entity_id=rule.id,
        before={k: current[k] for k in changed},
        after=changed,
    )
    return rule


def delete_rule(session: Session, *, actor: Actor, rule_id: int) -> None:
    """Delete a rule with its alerts; the notification log keeps what was sent."""
    require(actor, "alert.edit")
    rule = get_rule(session, actor=actor, rule_id=rule_id)
    audit.record(
        session,
        actor=actor,
        action="alert_rule.delete",
        entity="alert_rule",
        entity_id=rule.id,
        before={k: getattr(rule, k) for k in RULE_FIELDS},
    )
    name = rule.name
    alert_repo.delete(session, rule)
    flush_versioned(session, rule, stale=lambda who: _stale(name, who))


def _stale(name: str, who: str) -> str:
    return f"Rule {name!r} was changed by {who} meanwhile; reload and edit again."

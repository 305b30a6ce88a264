"""Alert rules: create and edit with validation and audit; evaluate due rules; fire and resolve alerts
(deduplicated per rule and dimension), write their notifications to the outbox and open or update incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import audit
from services.alerts import outbox
from services.alerts.evaluation import RuleSpec, Verdict, fetch, verdicts
from services.alerts.models import Alert, AlertEvent, AlertRule
from services.auth import Actor, require
from services.errors import Conflict, InvalidInput, NotFound
from services.slos.evaluation import SloDefinition, evaluate
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
        from services.telemetry.local import syntax_error

        err = syntax_error(spec.query, f"rule {out['name']}")
        if err:
            raise InvalidInput(str(err))
    return out


def create_rule(session: Session, *, actor: Actor, data: dict[str, Any]) -> AlertRule:
    """Store a new rule, audited."""
    require(actor, "alert.edit")
    fields = check_rule(data)
    if session.scalars(select(AlertRule).where(AlertRule.name == fields["name"])).first():
        raise Conflict(f"A rule named {fields['name']!r} exists already.")
    rule = AlertRule(**fields)
    session.add(rule)
    session.flush()
    audit.record(session, actor=actor, action="alert_rule.create", entity="alert_rule", entity_id=rule.id, after=fields)
    return rule


def list_rules(session: Session, *, actor: Actor) -> list[AlertRule]:
    """Every rule by name."""
    require(actor, "alert.read")
    return list(session.scalars(select(AlertRule).order_by(AlertRule.name)))


def get_rule(session: Session, *, actor: Actor, rule_id: int) -> AlertRule:
    """One rule, or NotFound."""
    require(actor, "alert.read")
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"Alert rule {rule_id} does not exist.")
    return rule


@dataclass(frozen=True)
class Change:
    """What processing a verdict did."""

    rule: str
    dimension: str
    state: str
    value: float | None
    notified: int


def _slo_verdicts(source: TelemetrySource, session: Session, rule: AlertRule, at: datetime) -> dict[str, Verdict]:
    from services.slos.models import Slo

    slo = session.get(Slo, rule.slo_id) if rule.slo_id else None
    if slo is None:
        return {}
    (status,) = evaluate(source, [SloDefinition.of(slo)], at=at)
    policy = next(a for a in status.alerts if a.policy.name == rule.slo_policy)
    return {"": Verdict("", policy.firing, policy.long_burn, int(policy.firing))}


def evaluate_rule(session: Session, source: TelemetrySource, rule: AlertRule, *, at: datetime) -> list[Change]:
    """Evaluate one rule as of `at` and apply the result; the caller commits (alerts and outbox together)."""
    if rule.kind == "slo_burn":
        result = _slo_verdicts(source, session, rule, at)
    else:
        spec = spec_of(rule)
        open_dims = [
            a.dimension_value
            for a in session.scalars(select(Alert).where(Alert.rule_id == rule.id, Alert.state == "fired"))
        ]
        result = verdicts(fetch(source, spec, at, name=f"rule {rule.name}"), spec, dimensions=open_dims)
    changes = [c for v in result.values() if (c := apply_verdict(session, rule, v, at)) is not None]
    rule.next_due_at = at + timedelta(minutes=rule.frequency_min)
    session.flush()
    return changes


def apply_verdict(session: Session, rule: AlertRule, v: Verdict, at: datetime) -> Change | None:
    """Fire or resolve the alert for (rule, dimension) when its state changes; notify unless muted."""
    alert = session.scalars(select(Alert).where(Alert.rule_id == rule.id, Alert.dimension_value == v.dimension)).first()
    if alert is None:
        if not v.firing:
            return None
        alert = Alert(rule_id=rule.id, dimension_value=v.dimension, state="resolved")
        session.add(alert)
        session.flush()
    alert.last_value = v.value
    if v.firing and alert.state != "fired":
        alert.state, alert.fired_at, alert.resolved_at = "fired", at, None
        state = "fired"
    elif not v.firing and alert.state == "fired" and rule.auto_resolve:
        alert.state, alert.resolved_at = "resolved", at
        state = "resolved"
    else:
        return None
    detail = f"{rule.name}" + (f" [{rule.dimension}={v.dimension}]" if v.dimension else "") + f": {state}"
    session.add(AlertEvent(alert_id=alert.id, at=at, state=state, value=v.value, detail=detail))
    muted = alert.muted_until is not None and alert.muted_until > at and state == "fired"
    notified = 0 if muted else _notify(session, rule, alert, state, v, at)
    if state == "fired" and rule.mute_min:
        alert.muted_until = at + timedelta(minutes=rule.mute_min)
    session.flush()
    return Change(rule.name, v.dimension, state, v.value, notified)


def _notify(session: Session, rule: AlertRule, alert: Alert, state: str, v: Verdict, at: datetime) -> int:
    subject = f"[{rule.severity}] {'FIRED' if state == 'fired' else 'Resolved'}: {rule.name}" + (
        f" ({rule.dimension}={v.dimension})" if v.dimension else ""
    )
    value = "—" if v.value is None else f"{v.value:g}"
    payload = {
        "subject": subject,
        "severity": rule.severity,
        "state": state,
        "rule": rule.name,
        "rule_id": rule.id,
        "dimension": rule.dimension or "",
        "dimension_value": v.dimension,
        "value": value,
        "alert_id": alert.id,
        "fired_at": alert.fired_at.isoformat() if alert.fired_at else at.isoformat(),
        "query": rule.query,
        "at": at.isoformat(),
        "text": f"{subject}\nvalue {value}; condition: {rule.description or rule.query[:200]}",
    }
    n = 0
    for i, action in enumerate(rule.actions or []):
        if action.get("on", "both") not in ("both", state):
            continue
        key = f"alert-{alert.id}-{state}-{at:%Y%m%dT%H%M%S}-{i}"
        if outbox.enqueue(
            session,
            key=key,
            channel=action["channel"],
            target=str(action.get("target", "")),
            payload={**payload, "params": action.get("params", {})},
            now=at,
        ):
            n += 1
    return n


def due_rules(session: Session, *, now: datetime) -> list[AlertRule]:
    """Enabled rules whose next evaluation is due."""
    stmt = (
        select(AlertRule)
        .where(AlertRule.enabled.is_(True))
        .where((AlertRule.next_due_at.is_(None)) | (AlertRule.next_due_at <= now))
        .order_by(AlertRule.id)
    )
    return list(session.scalars(stmt))


def backtest_rule(
    source: TelemetrySource, *, actor: Actor, data: dict[str, Any], days: float, end: datetime
) -> list[Any]:
    """Validate a rule form and evaluate it over the last `days` without saving anything."""
    require(actor, "alert.read")
    from services.alerts.evaluation import backtest

    fields = check_rule({**data, "name": data.get("name") or "backtest"})
    if fields.get("kind", "query") != "query":
        raise InvalidInput("SLO burn-rate rules are backtested on the SLO page (evaluate as of a past instant).")
    if not 0 < days <= 30:
        raise InvalidInput("Backtest between a few hours and 30 days.")
    rule = AlertRule(**fields)
    return backtest(source, spec_of(rule), end=end, days=days)


def history(session: Session, *, actor: Actor, limit: int = 500) -> list[dict[str, Any]]:
    """Every firing and resolution, newest first, with the rule and dimension value."""
    require(actor, "alert.read")
    stmt = (
        select(AlertEvent, Alert, AlertRule)
        .join(Alert, AlertEvent.alert_id == Alert.id)
        .join(AlertRule, Alert.rule_id == AlertRule.id)
        .order_by(AlertEvent.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": e.at,
            "rule": r.name,
            "dimension": a.dimension_value,
            "state": e.state,
            "value": e.value,
            "incident_id": a.incident_id,
        }
        for e, a, r in session.execute(stmt)
    ]


def notifications(session: Session, *, actor: Actor, limit: int = 500) -> list[dict[str, Any]]:
    """Every outbox row, newest first: state, attempts, last error."""
    require(actor, "alert.read")
    from services.alerts.models import OutboxMessage

    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    return [
        {
            "id": m.id,
            "created": m.created_at,
            "channel": m.channel,
            "target": m.target,
            "subject": m.payload.get("subject", ""),
            "status": m.status,
            "attempts": m.attempts,
            "next attempt": m.next_attempt_at if m.status == "pending" else None,
            "sent": m.sent_at,
            "last error": m.last_error or "",
        }
        for m in session.scalars(stmt)
    ]


def update_rule(
    session: Session, *, actor: Actor, rule_id: int, data: dict[str, Any], expected_version: int | None = None
) -> AlertRule:
    """Edit a rule (validated like a new one), refusing a stale edit; audited."""
    require(actor, "alert.edit")
    rule = get_rule(session, actor=actor, rule_id=rule_id)
    if expected_version is not None and rule.version != expected_version:
        raise Conflict(f"Rule {rule.name!r} was changed by someone else meanwhile; reload and edit again.")
    current = {k: getattr(rule, k) for k in RULE_FIELDS}
    fields = check_rule({**current, **data})
    other = session.scalars(select(AlertRule).where(AlertRule.name == fields["name"], AlertRule.id != rule_id)).first()
    if other is not None:
        raise Conflict(f"A rule named {fields['name']!r} exists already.")
    changed = {k: v for k, v in fields.items() if current.get(k) != v}
    for k, v in changed.items():
        setattr(rule, k, v)
    rule.next_due_at = None  # evaluate the new definition at the next cycle
    session.flush()
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
    session.delete(rule)
    session.flush()

"""Firing and resolving: a rule's evaluation applied to its alerts (one per rule and dimension value), their
notifications written to the outbox; the worker then delivers them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from services.alerts import outbox
from services.alerts import repository as alert_repo
from services.alerts.actions import SYSTEM
from services.alerts.evaluation import Verdict, fetch, verdicts
from services.alerts.models import Alert, AlertEvent, AlertRule
from services.alerts.service import spec_of
from services.slos import service as slo_service
from services.slos.evaluation import SloDefinition, evaluate
from services.telemetry.source import TelemetrySource


@dataclass(frozen=True)
class Change:
    """What processing a verdict did."""

    rule: str
    dimension: str
    state: str
    value: float | None
    notified: int


def _slo_verdicts(
    source: TelemetrySource, session: Session, rule: AlertRule, at: datetime, cache: dict[Any, Any]
) -> dict[str, Verdict]:
    if rule.slo_id is None:
        return {}
    slo = slo_service.get_slo(session, actor=SYSTEM, slo_id=rule.slo_id)
    key = (slo.id, slo.version, at)
    if key not in cache:  # an SLO's three burn-rate rules share one evaluation per cycle
        (cache[key],) = evaluate(source, [SloDefinition.of(slo)], actor=SYSTEM, at=at)
    status = cache[key]
    policy = next(a for a in status.alerts if a.policy.name == rule.slo_policy)
    return {"": Verdict("", policy.firing, policy.long_burn, int(policy.firing))}


def evaluate_rule(
    session: Session, source: TelemetrySource, rule: AlertRule, *, at: datetime, cache: dict[Any, Any] | None = None
) -> list[Change]:
    """Evaluate one rule as of `at` and apply the result; the caller commits (alerts and outbox together).
    `cache` lets the rules of one cycle share SLO evaluations."""
    known = alert_repo.alerts_by_dimension(session, rule.id)
    if rule.kind == "slo_burn":
        result = _slo_verdicts(source, session, rule, at, {} if cache is None else cache)
    else:
        spec = spec_of(rule)
        open_dims = [d for d, a in known.items() if a.state == "fired"]
        result = verdicts(fetch(source, spec, at, name=f"rule {rule.name}"), spec, dimensions=open_dims)
    changes = [
        c for v in result.values() if (c := _apply_verdict(session, rule, known.get(v.dimension), v, at)) is not None
    ]
    rule.next_due_at = at + timedelta(minutes=rule.frequency_min)
    session.flush()
    return changes


def _apply_verdict(session: Session, rule: AlertRule, alert: Alert | None, v: Verdict, at: datetime) -> Change | None:
    """Fire or resolve the (rule, dimension) alert when its state changes; notify unless muted. `alert` is the
    stored one for this dimension value (loaded with the rule's others), None when it never fired."""
    if alert is None:
        if not v.firing:
            return None
        alert = Alert(rule_id=rule.id, dimension_value=v.dimension, state="resolved")
        alert_repo.add(session, alert)
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

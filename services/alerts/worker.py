"""`sre-backoffice worker`: evaluate due rules, deliver the outbox, receive Azure Monitor alerts."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from services.alerts import actions, outbox
from services.alerts import service as alerts
from services.alerts.models import AlertRule
from services.db import session_scope
from services.errors import ServiceError
from services.telemetry.source import TelemetrySource

log = logging.getLogger("sre_backoffice.worker")


def evaluate_due(source: TelemetrySource, *, now: datetime) -> list[alerts.Change]:
    """Evaluate every due rule, each in its own transaction (its alerts and outbox rows commit together)."""
    with session_scope() as s:
        due = [r.id for r in alerts.due_rules(s, now=now)]
    changes: list[alerts.Change] = []
    cache: dict[object, object] = {}
    for rule_id in due:
        try:
            with session_scope() as s:
                rule = s.get(AlertRule, rule_id)
                if rule is not None:
                    changes += alerts.evaluate_rule(s, source, rule, at=now, cache=cache)
        except ServiceError as exc:  # one broken rule (bad KQL, source down) must not stop the others
            log.warning("rule %s not evaluated: %s", rule_id, exc)
            with session_scope() as s:
                rule = s.get(AlertRule, rule_id)
                if rule is not None:
                    from datetime import timedelta

                    rule.next_due_at = now + timedelta(minutes=rule.frequency_min)
    return changes


def deliver(notifiers: dict[str, Any], *, now: datetime) -> list[tuple[int, bool]]:
    """Send what the outbox has due."""
    return outbox.deliver_due(session_scope, lambda s, m: actions.send(s, m, notifiers, now), now=now)


def run_once(source: TelemetrySource, notifiers: dict[str, Any], *, now: datetime | None = None) -> dict[str, int]:
    """One cycle: rules, then deliveries."""
    now = now or datetime.now(UTC)
    changes = evaluate_due(source, now=now)
    sent = deliver(notifiers, now=now)
    return {"changes": len(changes), "delivered": sum(ok for _, ok in sent), "failed": sum(not ok for _, ok in sent)}


def run(source: TelemetrySource, notifiers: dict[str, Any], *, stop: threading.Event, interval_s: float = 10.0) -> None:
    """Cycle until `stop` is set."""
    while not stop.is_set():
        try:
            stats = run_once(source, notifiers)
            if stats["changes"] or stats["delivered"] or stats["failed"]:
                log.info("worker cycle: %s", stats)
        except Exception:
            log.exception("worker cycle failed; trying again next cycle")
        stop.wait(interval_s)

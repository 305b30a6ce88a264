"""`sre-backoffice worker`: evaluate due rules, deliver the outbox, receive Azure Monitor alerts."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.alerts import actions, firing, outbox
from services.alerts import repository as alert_repo
from services.db import session_scope
from services.errors import ServiceError
from services.telemetry.source import TelemetrySource

log = logging.getLogger("sre_backoffice.worker")


@dataclass(frozen=True)
class Evaluated:
    """What evaluating the due rules did: how many rules were evaluated, and the alerts that fired or resolved."""

    rules: int
    changes: list[firing.Change]


def evaluate_due(source: TelemetrySource, *, now: datetime) -> Evaluated:
    """Evaluate every due rule, each in its own transaction (its alerts and outbox rows commit together)."""
    with session_scope() as s:
        due = [r.id for r in alert_repo.due_rules(s, now=now)]
    changes: list[firing.Change] = []
    evaluated = 0
    cache: dict[object, object] = {}
    for rule_id in due:
        try:
            with session_scope() as s:
                rule = alert_repo.get_rule(s, rule_id)
                if rule is not None:  # deleted since it was found due
                    changes += firing.evaluate_rule(s, source, rule, at=now, cache=cache)
                    evaluated += 1
        except ServiceError as exc:  # one broken rule (bad KQL, source down) must not stop the others
            log.warning("rule %s not evaluated: %s", rule_id, exc)
            with session_scope() as s:
                rule = alert_repo.get_rule(s, rule_id)
                if rule is not None:
                    rule.next_due_at = now + timedelta(minutes=rule.frequency_min)
    return Evaluated(evaluated, changes)


def deliver(notifiers: dict[str, Any], *, now: datetime) -> list[tuple[int, bool]]:
    """Send what the outbox has due."""
    return outbox.deliver_due(session_scope, lambda s, m: actions.send(s, m, notifiers, now), now=now)


def run_once(source: TelemetrySource, notifiers: dict[str, Any], *, now: datetime | None = None) -> dict[str, int]:
    """One cycle: rules, then deliveries; what it did in numbers."""
    now = now or datetime.now(UTC)
    evaluated = evaluate_due(source, now=now)
    sent = deliver(notifiers, now=now)
    return {
        "rules": evaluated.rules,
        "fired": sum(c.state == "fired" for c in evaluated.changes),
        "resolved": sum(c.state == "resolved" for c in evaluated.changes),
        "delivered": sum(ok for _, ok in sent),
        "failed": sum(not ok for _, ok in sent),
    }


def run(source: TelemetrySource, notifiers: dict[str, Any], *, stop: threading.Event, interval_s: float = 10.0) -> None:
    """Cycle until `stop` is set."""
    while not stop.is_set():
        try:
            stats = run_once(source, notifiers)
            if any(stats[k] for k in ("fired", "resolved", "delivered", "failed")):
                log.info("worker cycle: %s", stats)
        except Exception:
            log.exception("worker cycle failed; trying again next cycle")
        stop.wait(interval_s)

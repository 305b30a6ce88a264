"""`sre-backoffice worker`: evaluate due rules, deliver the outbox, receive Azure Monitor alerts, and every
SRE_WORKER_MAINTENANCE_MIN minutes tend the local telemetry store (small files merged, SRE_RETENTION_DAYS applied) on a
thread of its own, so a long merge never holds up a rule."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.alerts import actions, firing, outbox
from services.alerts import repository as alert_repo
from services.config import get_settings
from services.db import session_scope, utcnow
from services.errors import InvalidInput, ServiceError
from services.ingest.spool import unconfirmed_files
from services.telemetry.maintenance import Maintenance, maintain_store
from services.telemetry.retention import RetentionPolicy, parse_policy
from services.telemetry.source import TelemetrySource

log = logging.getLogger("sre_backoffice.worker")


@dataclass(frozen=True)
class Evaluated:
    """What evaluating the due rules did: how many rules were evaluated, how many were skipped because another
    worker held them (or had evaluated them meanwhile), and the alerts that fired or resolved."""

    rules: int
    changes: list[firing.Change]
    skipped: int = 0


def evaluate_due(source: TelemetrySource, *, now: datetime) -> Evaluated:
    """Evaluate every due rule, each in its own transaction holding the rule's row lock (its alerts and outbox rows
    commit together); a rule another worker holds is skipped, so no two workers evaluate one rule at once."""
    with session_scope() as s:
        due = [r.id for r in alert_repo.due_rules(s, now=now)]
    changes: list[firing.Change] = []
    evaluated = skipped = 0
    cache: dict[object, object] = {}
    for rule_id in due:
        try:
            with session_scope() as s:
                rule = alert_repo.lock_due_rule(s, rule_id, now=now)
                found = [] if rule is None else firing.evaluate_rule(s, source, rule, at=now, cache=cache)
        except (StaleDataError, IntegrityError) as exc:  # a race the lock does not cover (e.g. SQLite): next cycle
            log.info("rule %s skipped: changed by another worker meanwhile (%s)", rule_id, type(exc).__name__)
            skipped += 1
            continue
        except ServiceError as exc:  # one broken rule (bad KQL, source down) must not stop the others
            log.warning("rule %s not evaluated: %s", rule_id, exc)
            with session_scope() as s:
                rule = alert_repo.lock_due_rule(s, rule_id, now=now)
                if rule is not None:
                    rule.next_due_at = now + timedelta(minutes=rule.frequency_min)
            continue
        if rule is None:  # held by another worker, evaluated by it meanwhile, or disabled or deleted
            skipped += 1
        else:
            changes += found
            evaluated += 1
    return Evaluated(evaluated, changes, skipped)


def deliver(notifiers: dict[str, Any], *, now: datetime | None = None) -> list[tuple[int, bool]]:
    """Send what the outbox has due, one row at a time under this worker's lease (SRE_WORKER_LEASE_S); `now` fixes
    the clock (tests), else each claim and outcome reads the real one."""
    return outbox.deliver_due(
        session_scope,
        lambda s, m: actions.send(s, m, notifiers, now or utcnow()),
        worker=outbox.worker_id(),
        lease=timedelta(seconds=get_settings().worker.lease_s),
        clock=(lambda: now) if now is not None else utcnow,
    )


def check_lease() -> None:
    """Refuse a lease that one delivery can outlive: a board delivery makes two calls of up to its timeout each."""
    settings = get_settings()
    longest = 2 * max(settings.notify.timeout_s, settings.board.timeout_s)
    if settings.worker.lease_s <= longest:
        raise InvalidInput(
            f"SRE_WORKER_LEASE_S={settings.worker.lease_s:g} is too short: a delivery may take {longest:g} s "
            "(twice the longer of SRE_NOTIFY_TIMEOUT_S and SRE_BOARD_TIMEOUT_S); set it above that (default 60)."
        )


def run_once(source: TelemetrySource, notifiers: dict[str, Any], *, now: datetime | None = None) -> dict[str, int]:
    """One cycle: rules, then deliveries; what it did in numbers."""
    evaluated = evaluate_due(source, now=now or utcnow())
    sent = deliver(notifiers, now=now)
    return {
        "rules": evaluated.rules,
        "skipped": evaluated.skipped,
        "fired": sum(c.state == "fired" for c in evaluated.changes),
        "resolved": sum(c.state == "resolved" for c in evaluated.changes),
        "delivered": sum(ok for _, ok in sent),
        "failed": sum(not ok for _, ok in sent),
    }


def retention_policy() -> RetentionPolicy:
    """SRE_RETENTION_DAYS as a policy; InvalidInput (the worker does not start) when it cannot be read."""
    return parse_policy(get_settings().telemetry.retention_days)


def maintain(*, now: datetime | None = None) -> Maintenance | None:
    """One pass over the local store as the worker, audited when it changed something (None on the azure source)."""
    settings = get_settings()
    if settings.telemetry.source != "local":
        return None
    with session_scope() as s:
        return maintain_store(
            s,
            actor=actions.SYSTEM,
            root=settings.telemetry.dir,
            policy=retention_policy(),
            now=now or utcnow(),
            skip=unconfirmed_files(settings.ingest.spool_dir),
        )


def _maintenance_loop(stop: threading.Event, every_s: float) -> None:
    while not stop.wait(every_s):
        try:
            done = maintain()
            if done is not None and done.changed:
                removed = sum(r.rows_removed for r in done.retention)
                log.info("store maintenance: %s files merged, %s old rows removed", done.files_merged, removed)
        except Exception:
            log.exception("store maintenance failed; trying again in %g min", every_s / 60)


def start_maintenance(stop: threading.Event) -> threading.Thread | None:
    """The maintenance thread (None when SRE_WORKER_MAINTENANCE_MIN is 0 or the source is azure)."""
    settings = get_settings()
    every_s = settings.worker.maintenance_min * 60
    if every_s <= 0 or settings.telemetry.source != "local":
        return None
    thread = threading.Thread(target=_maintenance_loop, args=(stop, every_s), name="store-maintenance", daemon=True)
    thread.start()
    return thread


def run(source: TelemetrySource, notifiers: dict[str, Any], *, stop: threading.Event, interval_s: float = 10.0) -> None:
    """Cycle until `stop` is set, with the store's maintenance on its own thread."""
    check_lease()
    retention_policy()  # refused at start, not on the first pass minutes later
    keeper = start_maintenance(stop)
    while not stop.is_set():
        try:
            stats = run_once(source, notifiers)
            if any(stats[k] for k in ("skipped", "fired", "resolved", "delivered", "failed")):
                log.info("worker cycle: %s", stats)
        except Exception:
            log.exception("worker cycle failed; trying again next cycle")
        stop.wait(interval_s)
    if keeper is not None:
        keeper.join(timeout=5)  # a pass in progress finishes its file; a killed one leaves no half-written file

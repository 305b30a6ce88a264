"""Two workers evaluating rules on one PostgreSQL database: a rule is evaluated by one of them at a time (a row
lock, SKIP LOCKED), the other skips it for this cycle and counts it, and no lost race aborts a cycle."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from services.alerts import repository as alert_repo
from services.alerts import service as alert_service
from services.alerts import worker
from services.alerts.models import Alert, AlertEvent, OutboxMessage
from services.config import get_settings
from services.db import get_engine, session_scope
from services.telemetry.local import LocalTelemetrySource
from tests.services.alerts.test_service import LEAD, RULE
from tests.telemetry_fixtures import AT

pytestmark = pytest.mark.postgres

FIRE_AT = AT - timedelta(minutes=10)


class SlowSource:
    """The fixture telemetry, each query taking `delay_s` longer: two workers' evaluations overlap."""

    def __init__(self, inner: LocalTelemetrySource, delay_s: float) -> None:
        self.inner, self.delay_s, self.queries = inner, delay_s, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def query(self, *args: Any, **kwargs: Any) -> Any:
        self.queries += 1
        time.sleep(self.delay_s)
        return self.inner.query(*args, **kwargs)


@pytest.fixture
def on_postgresql(pg_engine: Engine, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The worker's own engine on the test's PostgreSQL database (pg_engine empties it afterwards)."""
    monkeypatch.setenv("SRE_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield get_engine()
    get_engine().dispose()
    get_engine.cache_clear()


def _rules(n: int) -> list[int]:
    with session_scope() as s:
        return [alert_service.create_rule(s, actor=LEAD, data={**RULE, "name": f"logins {i}"}).id for i in range(n)]


def test_a_rule_another_worker_holds_is_skipped_and_counted(
    on_postgresql: Engine, logins_source: LocalTelemetrySource
) -> None:
    held, free = _rules(2)
    with session_scope() as other:  # another worker is evaluating `held` right now
        assert alert_repo.lock_due_rule(other, held, now=FIRE_AT) is not None
        cycle = worker.evaluate_due(logins_source, now=FIRE_AT)
    assert (cycle.rules, cycle.skipped) == (1, 1)
    assert [(c.rule, c.state) for c in cycle.changes] == [("logins 1", "fired")]
    # the other worker let go without evaluating it: it is still due, and the next cycle evaluates it
    cycle = worker.evaluate_due(logins_source, now=FIRE_AT + timedelta(seconds=10))
    assert (cycle.rules, cycle.skipped, [c.rule for c in cycle.changes]) == (1, 0, ["logins 0"])
    with session_scope() as s:  # `free` was evaluated in the first cycle: due again 5 minutes later
        assert alert_repo.get_rule(s, free).next_due_at == FIRE_AT + timedelta(minutes=5)  # type: ignore[union-attr]


def test_two_workers_at_once_evaluate_each_rule_once(
    on_postgresql: Engine, logins_source: LocalTelemetrySource
) -> None:
    """On main this aborted cycles with StaleDataError or a UniqueViolation and sent a rule's firing twice."""
    rules = _rules(4)
    source = SlowSource(logins_source, delay_s=0.3)
    cycles: list[worker.Evaluated] = []
    errors: list[BaseException] = []

    def one_worker() -> None:
        try:
            cycles.append(worker.evaluate_due(source, now=FIRE_AT))  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one_worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    # each worker found the 4 rules due; each rule was evaluated by one and skipped by the other
    assert len(cycles) == 2 and sum(c.rules for c in cycles) == len(rules)
    assert sum(c.skipped for c in cycles) == len(rules)
    assert source.queries == len(rules)  # no rule's query ran twice: the loser skipped it, not evaluated it again
    with session_scope() as s:
        assert len(s.scalars(select(Alert)).all()) == len(rules)  # somchai's alert, once per rule
        assert len(s.scalars(select(AlertEvent)).all()) == len(rules)  # fired once
        assert len(s.scalars(select(OutboxMessage)).all()) == 2 * len(rules)  # an email and a webhook per firing

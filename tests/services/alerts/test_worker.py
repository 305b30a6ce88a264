"""The worker: due rules, the outbox delivered exactly once across a restart, backoff on failure, incidents opened
by the incident action, and the account lock followed by its unlock an hour later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.engine import Engine
from werkzeug import Response

from services.alerts import service as alert_service
from services.alerts import worker
from services.alerts.models import OutboxMessage
from services.auth import Actor
from services.db import session_scope
from services.incidents import service as incidents
from services.notify.base import DeliveryResult
from services.notify.webhook import WebhookNotifier, verify_signature
from services.telemetry.local import LocalTelemetrySource
from tests.services.alerts.fakes import FakeNotifier
from tests.services.alerts.test_service import RULE
from tests.telemetry_fixtures import AT

LEAD = Actor("lena", "lead")
FIRE_AT = AT - timedelta(minutes=10)


@pytest.fixture
def source(logins_source: LocalTelemetrySource) -> LocalTelemetrySource:
    return logins_source


def _rule(**extra: object) -> int:
    with session_scope() as s:
        return alert_service.create_rule(s, actor=LEAD, data={**RULE, **extra}).id


def test_a_restart_between_deciding_and_sending_delivers_exactly_once(sqlite_engine: Engine, source) -> None:  # type: ignore[no-untyped-def]
    _rule()
    assert [c.state for c in worker.evaluate_due(source, now=FIRE_AT).changes] == ["fired"]
    # the worker dies here: the decision and its outbox rows are committed, nothing was sent
    email, hook = FakeNotifier("email"), FakeNotifier("webhook")
    notifiers = {"email": email, "webhook": hook}
    worker.deliver(notifiers, now=FIRE_AT + timedelta(seconds=30))  # the restarted worker
    worker.deliver(notifiers, now=FIRE_AT + timedelta(minutes=1))  # and its next cycle
    assert [s for _, s, _ in email.sent] == ["[Sev3] FIRED: failed logins per account > 5 in 15 min (account=somchai)"]
    assert len(hook.sent) == 1
    with session_scope() as s:
        assert {m.status for m in s.scalars(select(OutboxMessage))} == {"sent"}


def test_failures_back_off_and_permanent_ones_stop(sqlite_engine: Engine, source) -> None:  # type: ignore[no-untyped-def]
    _rule(actions=[{"channel": "email", "target": "ops@mana.example"}])
    worker.evaluate_due(source, now=FIRE_AT)
    email = FakeNotifier(
        "email",
        fail=[DeliveryResult(False, "421 try later"), DeliveryResult(False, "550 no such mailbox", permanent=True)],
    )
    worker.deliver({"email": email}, now=FIRE_AT)
    with session_scope() as s:
        (m,) = s.scalars(select(OutboxMessage)).all()
        assert (m.status, m.attempts, m.last_error) == ("pending", 1, "421 try later")
        assert m.next_attempt_at == FIRE_AT + timedelta(seconds=30)
    worker.deliver({"email": email}, now=FIRE_AT + timedelta(seconds=10))  # not due yet
    worker.deliver({"email": email}, now=FIRE_AT + timedelta(seconds=31))
    with session_scope() as s:
        (m,) = s.scalars(select(OutboxMessage)).all()
        assert (m.status, m.attempts, m.last_error) == ("failed", 2, "550 no such mailbox")
    assert email.sent == []


def test_the_incident_action_opens_one_incident_and_notes_the_resolution(sqlite_engine: Engine, source) -> None:  # type: ignore[no-untyped-def]
    _rule(actions=[{"channel": "incident", "params": {"severity": "Sev2"}}], mute_min=0)
    worker.evaluate_due(source, now=FIRE_AT)
    worker.deliver({}, now=FIRE_AT)
    worker.deliver({}, now=FIRE_AT + timedelta(minutes=1))
    with session_scope() as s:
        (inc,) = incidents.list_incidents(s, actor=LEAD)
        assert (inc.severity, inc.source, inc.title) == (
            "Sev2",
            "alert-rule",
            "failed logins per account > 5 in 15 min (account=somchai)",
        )
    later = AT + timedelta(minutes=20)
    with session_scope() as s:
        for rule in alert_service.list_rules(s, actor=LEAD):
            rule.next_due_at = later
    worker.evaluate_due(source, now=later)
    worker.deliver({}, now=later)
    with session_scope() as s:
        (inc,) = incidents.list_incidents(s, actor=LEAD)
        notes = [e.message for e in incidents.timeline(s, actor=LEAD, incident_id=inc.id) if e.kind == "note"]
        assert notes and notes[0].startswith("Alert resolved at")


def test_the_account_lock_is_followed_by_an_unlock_an_hour_later(sqlite_engine: Engine, source) -> None:  # type: ignore[no-untyped-def]
    _rule(
        threshold=5,
        actions=[
            {"channel": "webhook", "target": "http://127.0.0.1:9/lock", "on": "fired", "params": {"lock_minutes": 60}}
        ],
    )
    worker.evaluate_due(source, now=FIRE_AT)
    hook = FakeNotifier("webhook")
    worker.deliver({"webhook": hook}, now=FIRE_AT)
    worker.deliver({"webhook": hook}, now=FIRE_AT + timedelta(minutes=59))
    assert len(hook.sent) == 1
    worker.deliver({"webhook": hook}, now=FIRE_AT + timedelta(minutes=60))
    assert [s.split(":")[0] for _, s, _ in hook.sent] == ["[Sev3] FIRED", "[Sev3] UNLOCK"]
    assert hook.sent[1][0].endswith("-unlock")


def test_exactly_one_signed_webhook_across_a_restart(sqlite_engine: Engine, source, httpserver) -> None:  # type: ignore[no-untyped-def]
    """The real webhook transport against a local HTTP server: one POST, signed, with the idempotency key."""
    received = []

    def handler(request):  # type: ignore[no-untyped-def]
        received.append((dict(request.headers), request.get_data()))
        return Response("ok", status=200)

    httpserver.expect_request("/lock", method="POST").respond_with_handler(handler)
    _rule(actions=[{"channel": "webhook", "target": httpserver.url_for("/lock"), "on": "fired"}])
    worker.evaluate_due(source, now=FIRE_AT)  # decided and written; the worker stops here
    notifiers = {"webhook": WebhookNotifier(secret=SecretStr("hook-secret"), timeout_s=2)}
    for k in range(3):  # the restarted worker's cycles
        worker.deliver(notifiers, now=FIRE_AT + timedelta(minutes=k))
    assert len(received) == 1
    headers, body = received[0]
    assert verify_signature(
        "hook-secret", headers["X-Sre-Timestamp"], body, headers["X-Sre-Signature"], max_age_s=10**9
    )
    assert headers["X-Sre-Idempotency-Key"].startswith("alert-1-fired-")
    with session_scope() as s:
        (m,) = s.scalars(select(OutboxMessage)).all()
        assert (m.status, m.attempts) == ("sent", 1)

"""Rules fire and resolve once per dimension value, write their notifications to the outbox, and honour mutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from services.alerts import firing
from services.alerts import service as alert_service
from services.alerts.models import Alert, AlertEvent, OutboxMessage
from services.db import session_scope
from services.telemetry.local import LocalTelemetrySource
from tests.services.alerts.test_service import LEAD, RULE
from tests.telemetry_fixtures import AT


@pytest.fixture
def source(logins_source: LocalTelemetrySource) -> LocalTelemetrySource:
    return logins_source


def test_fire_once_notify_then_resolve(sqlite_engine: Engine, source: LocalTelemetrySource) -> None:
    with session_scope() as s:
        rule_id = alert_service.create_rule(s, actor=LEAD, data=RULE).id
    fired_at = AT - timedelta(minutes=10)
    for at in (fired_at, fired_at + timedelta(minutes=5)):  # the second evaluation still fires: no new alert
        with session_scope() as s:
            changes = firing.evaluate_rule(s, source, alert_service.get_rule(s, actor=LEAD, rule_id=rule_id), at=at)
            assert [(c.dimension, c.state, c.notified) for c in changes] == (
                [("somchai", "fired", 2)] if at == fired_at else []
            )
    with session_scope() as s:
        out = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.channel, m.target, m.status) for m in out] == [
            ("email", "ops@mana.example", "pending"),
            ("webhook", "http://127.0.0.1:9/lock", "pending"),
        ]
        assert out[0].payload["subject"] == "[Sev3] FIRED: failed logins per account > 5 in 15 min (account=somchai)"
        assert out[0].payload["value"] == "8"
    with session_scope() as s:  # 30 minutes later the burst is out of the window
        changes = firing.evaluate_rule(
            s, source, alert_service.get_rule(s, actor=LEAD, rule_id=rule_id), at=AT + timedelta(minutes=20)
        )
        assert [(c.dimension, c.state, c.notified) for c in changes] == [("somchai", "resolved", 1)]  # email only
    with session_scope() as s:
        (alert,) = s.scalars(select(Alert)).all()
        assert (alert.state, alert.fired_at, alert.resolved_at) == ("resolved", fired_at, AT + timedelta(minutes=20))
        assert [e.state for e in s.scalars(select(AlertEvent).order_by(AlertEvent.id))] == ["fired", "resolved"]


def test_a_mute_suppresses_notifications_of_a_refire(sqlite_engine: Engine, source: LocalTelemetrySource) -> None:
    with session_scope() as s:
        rule = alert_service.create_rule(s, actor=LEAD, data=RULE)
        alert_at = AT - timedelta(minutes=10)
        firing.evaluate_rule(s, source, rule, at=alert_at)
        firing.evaluate_rule(s, source, rule, at=AT + timedelta(minutes=20))  # resolved
        firing.evaluate_rule(s, source, rule, at=AT - timedelta(minutes=5))  # fires again within the hour's mute
        assert len(s.scalars(select(OutboxMessage)).all()) == 3  # 2 on the first fire + 1 resolved, none now

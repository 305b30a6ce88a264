"""Rules fire and resolve once per dimension value, write their notifications to the outbox, honour mutes, and
refuse bad definitions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from services.alerts import rules as alert_rules
from services.alerts import service as alerts
from services.alerts.models import Alert, AlertEvent, OutboxMessage
from services.auth import Actor
from services.db import session_scope
from services.errors import Conflict, InvalidInput, PermissionDenied
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT

LEAD = Actor("lena", "lead")
RULE = {
    "name": "failed logins per account > 5 in 15 min",
    "query": 'AppEvents | where Name == "LoginFailed" | extend account = tostring(Properties.account)',
    "aggregation": "Count",
    "dimension": "account",
    "operator": "GreaterThan",
    "threshold": "5",
    "frequency_min": 5,
    "window_min": 15,
    "severity": "Sev3",
    "mute_min": 60,
    "actions": [
        {"channel": "email", "target": "ops@mana.example"},
        {"channel": "webhook", "target": "http://127.0.0.1:9/lock", "on": "fired"},
    ],
}


@pytest.fixture
def source(logins_source: LocalTelemetrySource) -> LocalTelemetrySource:
    return logins_source


def test_fire_once_notify_then_resolve(sqlite_engine: Engine, source: LocalTelemetrySource) -> None:
    with session_scope() as s:
        rule_id = alert_rules.create_rule(s, actor=LEAD, data=RULE).id
    fired_at = AT - timedelta(minutes=10)
    for at in (fired_at, fired_at + timedelta(minutes=5)):  # the second evaluation still fires: no new alert
        with session_scope() as s:
            changes = alerts.evaluate_rule(s, source, alert_rules.get_rule(s, actor=LEAD, rule_id=rule_id), at=at)
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
        changes = alerts.evaluate_rule(
            s, source, alert_rules.get_rule(s, actor=LEAD, rule_id=rule_id), at=AT + timedelta(minutes=20)
        )
        assert [(c.dimension, c.state, c.notified) for c in changes] == [("somchai", "resolved", 1)]  # email only
    with session_scope() as s:
        (alert,) = s.scalars(select(Alert)).all()
        assert (alert.state, alert.fired_at, alert.resolved_at) == ("resolved", fired_at, AT + timedelta(minutes=20))
        assert [e.state for e in s.scalars(select(AlertEvent).order_by(AlertEvent.id))] == ["fired", "resolved"]


def test_a_mute_suppresses_notifications_of_a_refire(sqlite_engine: Engine, source: LocalTelemetrySource) -> None:
    with session_scope() as s:
        rule = alert_rules.create_rule(s, actor=LEAD, data=RULE)
        alert_at = AT - timedelta(minutes=10)
        alerts.evaluate_rule(s, source, rule, at=alert_at)
        alerts.evaluate_rule(s, source, rule, at=AT + timedelta(minutes=20))  # resolved
        alerts.evaluate_rule(s, source, rule, at=AT - timedelta(minutes=5))  # fires again within the hour's mute
        assert len(s.scalars(select(OutboxMessage)).all()) == 3  # 2 on the first fire + 1 resolved, none now


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"threshold": "five"}, "is not a number"),
        ({"query": "AppEvents | wherex"}, "KQL syntax error"),
        ({"window_min": 7}, "whole multiple"),
        ({"actions": [{"channel": "pager", "target": "x"}]}, "Unknown action"),
        ({"actions": [{"channel": "email", "target": " "}]}, "needs a target"),
    ],
)
def test_bad_rules_are_refused(sqlite_engine: Engine, change: dict, message: str) -> None:
    with session_scope() as s, pytest.raises(InvalidInput, match=message):
        alert_rules.create_rule(s, actor=LEAD, data={**RULE, **change})
    with session_scope() as s:
        assert alert_rules.list_rules(s, actor=LEAD) == []


def test_only_leads_edit_rules(sqlite_engine: Engine) -> None:
    with session_scope() as s, pytest.raises(PermissionDenied):
        alert_rules.create_rule(s, actor=Actor("o", "operator"), data=RULE)


def test_edit_and_delete_rules(sqlite_engine: Engine) -> None:
    from services import audit

    with session_scope() as s:
        rule = alert_rules.create_rule(s, actor=LEAD, data=RULE)
        rid, v = rule.id, rule.version
    with session_scope() as s:
        alert_rules.update_rule(s, actor=LEAD, rule_id=rid, data={"threshold": 9}, expected_version=v)
    with session_scope() as s, pytest.raises(Conflict, match="changed by someone else"):
        alert_rules.update_rule(s, actor=LEAD, rule_id=rid, data={"threshold": 3}, expected_version=v)
    with session_scope() as s, pytest.raises(InvalidInput, match="not a number"):
        alert_rules.update_rule(s, actor=LEAD, rule_id=rid, data={"threshold": "x"})
    with session_scope() as s:
        assert alert_rules.get_rule(s, actor=LEAD, rule_id=rid).threshold == 9
        alert_rules.delete_rule(s, actor=LEAD, rule_id=rid)
    with session_scope() as s:
        assert alert_rules.list_rules(s, actor=LEAD) == []
        actions = [r.action for r in audit.list_records(s, actor=LEAD, entity="alert_rule")]
        assert actions == ["alert_rule.delete", "alert_rule.update", "alert_rule.create"]

"""Alert rules are created, edited and deleted by leads only, audited, and bad definitions are refused."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from services import audit
from services.alerts import service as alert_service
from services.auth import Actor
from services.db import session_scope
from services.errors import Conflict, InvalidInput, PermissionDenied

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
        alert_service.create_rule(s, actor=LEAD, data={**RULE, **change})
    with session_scope() as s:
        assert alert_service.list_rules(s, actor=LEAD) == []


def test_only_leads_edit_rules(sqlite_engine: Engine) -> None:
    with session_scope() as s, pytest.raises(PermissionDenied):
        alert_service.create_rule(s, actor=Actor("o", "operator"), data=RULE)


def test_edit_and_delete_rules(sqlite_engine: Engine) -> None:
    with session_scope() as s:
        rule = alert_service.create_rule(s, actor=LEAD, data=RULE)
        rid, v = rule.id, rule.version
    with session_scope() as s:
        alert_service.update_rule(s, actor=LEAD, rule_id=rid, data={"threshold": 9}, expected_version=v)
    with session_scope() as s, pytest.raises(Conflict, match="changed by someone else"):
        alert_service.update_rule(s, actor=LEAD, rule_id=rid, data={"threshold": 3}, expected_version=v)
    with session_scope() as s, pytest.raises(InvalidInput, match="not a number"):
        alert_service.update_rule(s, actor=LEAD, rule_id=rid, data={"threshold": "x"})
    with session_scope() as s:
        assert alert_service.get_rule(s, actor=LEAD, rule_id=rid).threshold == 9
        alert_service.delete_rule(s, actor=LEAD, rule_id=rid)
    with session_scope() as s:
        assert alert_service.list_rules(s, actor=LEAD) == []
        actions = [r.action for r in audit.list_records(s, actor=LEAD, entity="alert_rule")]
        assert actions == ["alert_rule.delete", "alert_rule.update", "alert_rule.create"]

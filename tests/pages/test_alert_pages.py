"""Alert rules and notification log pages through AppTest: backtest before saving, invalid thresholds, the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.alerts import service as alert_service
from services.alerts import worker
from services.auth import Actor
from services.db import session_scope
from services.telemetry.factory import build_source
from services.telemetry.writer import to_table, write_table
from tests.pages.conftest import MAIN

LEAD = Actor("lead", "lead")


def _page(name: str, user: str = "lead") -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth.user"] = user
    at.run()
    at.switch_page(f"../pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def _fill(at: AppTest, **values: str) -> None:
    for key, value in values.items():
        at.text_input(key=f"alerts.form.new.{key}").input(value) if key != "query" else at.text_area(
            key="alerts.form.new.query"
        ).input(value)


def test_backtest_then_save(app_env: Engine) -> None:
    at = _page("alert_rules")
    _fill(at, name="shops failures", query="AppRequests | where Success == false", threshold="3")
    at.number_input(key="alerts.form.new.window").set_value(15)
    at.button(key="alerts.form.new.backtest").click().run()
    assert not at.exception, at.exception
    # app_env: one request a minute for 200 minutes, every 10th failed -> 1 or 2 failures per 15 minutes: never > 3
    assert any("would not have fired in the last 7 days" in i.value for i in at.info)
    at.text_input(key="alerts.form.new.threshold").input("1").run()
    at.button(key="alerts.form.new.backtest").click().run()
    table = at.dataframe[-1].value
    assert set(table["state"]) <= {"fired", "resolved"} and (table["state"] == "fired").sum() >= 1
    at.checkbox(key="alerts.form.new.no_action").check().run()  # the form has no action: confirmed first
    at.button(key="alerts.form.new.save").click().run()
    assert any("Rule 'shops failures' saved" in x.value for x in at.success)
    with session_scope() as s:
        (rule,) = [r for r in alert_service.list_rules(s, actor=LEAD) if r.kind == "query"]  # beside the SLOs' own
        assert (rule.threshold, rule.window_min) == (1.0, 15)


def test_a_threshold_that_is_not_a_number(app_env: Engine) -> None:
    at = _page("alert_rules")
    _fill(at, name="x", query="AppRequests", threshold="lots")
    at.checkbox(key="alerts.form.new.no_action").check().run()
    at.button(key="alerts.form.new.save").click().run()
    assert any("The threshold 'lots' is not a number" in e.value for e in at.error)
    at.text_input(key="alerts.form.new.threshold").input("2").run()
    at.text_area(key="alerts.form.new.query").input("AppRequests | wherex").run()
    at.button(key="alerts.form.new.backtest").click().run()
    assert any("KQL syntax error" in e.value for e in at.error)
    with session_scope() as s:
        assert [r for r in alert_service.list_rules(s, actor=LEAD) if r.kind == "query"] == []


def test_notification_log_shows_deliveries_and_firings(app_env: Engine, isolated_settings) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC).replace(microsecond=0)
    write_table(
        isolated_settings / "telemetry",
        "AppEvents",
        to_table(
            "AppEvents",
            [
                {
                    "TimeGenerated": now - timedelta(minutes=m),
                    "Name": "LoginFailed",
                    "Properties": '{"account": "somchai"}',
                    "ItemCount": 1,
                }
                for m in range(8)
            ],
        ),
    )
    with session_scope() as s:
        for r in alert_service.list_rules(s, actor=LEAD):  # the team SLOs' burn-rate rules burn too: not this test's
            alert_service.update_rule(s, actor=LEAD, rule_id=r.id, data={"enabled": False})
        alert_service.create_rule(
            s,
            actor=LEAD,
            data={
                "name": "logins",
                "query": "AppEvents | extend account = tostring(Properties.account)",
                "aggregation": "Count",
                "dimension": "account",
                "operator": "GreaterThan",
                "threshold": 5,
                "frequency_min": 5,
                "window_min": 15,
                "actions": [{"channel": "telegram", "target": "-100123"}],
            },
        )
    worker.run_once(build_source(), {}, now=now)
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not offered: operators and up
        _page("notifications", user="viewer")
    at = _page("notifications", user="operator")
    m = {x.label: x.value for x in at.metric}
    assert m == {"Notifications": "1", "Sent": "0", "Waiting to retry": "0", "Failed for good": "1"}
    log = at.dataframe[0].value
    assert log["last error"].iloc[0].startswith("no telegram channel is configured")
    fired = at.dataframe[1].value
    assert list(zip(fired["rule"], fired["dimension"], fired["state"], fired["value"], strict=True)) == [
        ("logins", "somchai", "fired", 8.0)
    ]


def test_start_from_a_known_query(app_env: Engine) -> None:
    at = _page("alert_rules")
    at.selectbox(key="alerts.form.new.starter").set_value("failed logins per account").run()
    assert at.text_area(key="alerts.form.new.query").value.startswith('AppEvents\n| where Name == "LoginFailed"')
    assert [w.value.startswith("This rule has no action") for w in at.warning] == [True]  # only the form's own


def test_editing_a_rule_keeps_its_action_parameters(app_env: Engine) -> None:
    from services.alerts.seeds import seed_team_rules

    with session_scope() as s:
        seed_team_rules(s, actor=LEAD)
        lock = next(r for r in alert_service.list_rules(s, actor=LEAD) if r.name.endswith("lock it"))
        lock_id = lock.id
    at = _page("alert_rules")
    at.selectbox(key="alerts.pick").set_value(lock_id).run()
    at.text_input(key=f"alerts.form.{lock_id}.threshold").input("12").run()
    at.button(key=f"alerts.form.{lock_id}.save").click().run()
    assert not at.exception and any("saved" in x.value for x in at.success)
    with session_scope() as s:
        rule = alert_service.get_rule(s, actor=LEAD, rule_id=lock_id)
        assert rule.threshold == 12 and rule.actions[0]["params"] == {"lock_minutes": 60}

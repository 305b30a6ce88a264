"""The SLOs page through AppTest: the header names the configured targets, every form action is confirmed with the
burn-rate rules that came or went with the SLO, and a firing ticket is never shown beside 'not burning'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from services.alerts import repository as alert_repo
from services.alerts import service as alert_service
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.slos import service as slo_service
from services.slos.schemas import SloInput
from tests.pages.conftest import MAIN
from tests.telemetry_fixtures import write

LEAD = Actor("lena", "lead")
TEAM = (
    "Targets: mana availability: 99 % of requests of mana successful over 30 days; "
    "mana latency: 99 % of requests of mana faster than 300 ms over 30 days"
)


def _app(user: str = "lead") -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["auth.user"] = user
    at.run()
    at.switch_page("../pages/slos.py").run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    return at


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def _slo_id(name: str) -> int:
    with session_scope() as s:
        return next(x.id for x in slo_service.list_slos(s, actor=LEAD) if x.name == name)


def _rules_of(slo_id: int) -> list[str]:
    with session_scope() as s:
        return [r.name for r in alert_repo.slo_rules(s, slo_id)]


def test_the_header_names_the_configured_targets_and_a_new_slo_is_confirmed_with_its_rules(app_env: Engine) -> None:
    at = _app()
    assert TEAM + "." in _captions(at)
    next(t for t in at.text_input if t.label == "Name").input("shops latency")
    next(t for t in at.text_input if t.label.startswith("Operation")).input("GET /api/shops")
    next(s for s in at.selectbox if s.label == "SLI kind").set_value("latency")
    next(s for s in at.selectbox if s.label == "Rolling window (days)").set_value(7)
    at.button(key="FormSubmitter:slos.form.new-Create SLO").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.toast] == [
        "SLO 'shops latency' created with its 3 burn-rate alert rules, evaluated from the worker's next cycle."
    ]
    assert _rules_of(_slo_id("shops latency")) == [
        "shops latency: page (fast burn)",
        "shops latency: page (slow burn)",
        "shops latency: ticket",
    ]
    assert TEAM + "; shops latency: 99 % of requests of mana GET /api/shops faster than 300 ms over 7 days." in (
        _captions(at)
    )
    at.run()  # the confirmation is shown once
    assert [t.value for t in at.toast] == []


def test_editing_and_deleting_are_confirmed_and_the_rules_follow(app_env: Engine) -> None:
    latency = _slo_id("mana latency")
    at = _app()
    objectives = [n for n in at.number_input if n.label == "Objective (%)"]  # the new form, then by SLO name
    objectives[2].set_value(99.5)
    at.button(key=f"FormSubmitter:slos.form.{latency}-Save changes").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.toast] == [
        "SLO 'mana latency' saved; its 3 burn-rate alert rules follow the change from the worker's next cycle."
    ]
    with session_scope() as s:
        fast = alert_repo.slo_rules(s, latency)[0]
        # 14.4 × (1 − 99.5 %) = 7.2 % of requests slower than 300 ms
        assert fast.description.endswith("slower than 300 ms above 7.2 % of all for the 99.5 % objective")
    assert "mana latency: 99.5 % of requests of mana faster than 300 ms over 30 days" in _captions(at)

    at.checkbox(key=f"slos.delete.confirm.{latency}").check().run()
    at.button(key=f"slos.delete.{latency}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [t.value for t in at.toast] == [
        "SLO 'mana latency' deleted with its burn-rate alert rules and their alerts."
    ]
    assert _rules_of(latency) == []
    with session_scope() as s:
        assert [r.name for r in alert_service.list_rules(s, actor=LEAD)] == [
            "mana availability: page (fast burn)",
            "mana availability: page (slow burn)",
            "mana availability: ticket",
        ]
    assert "Targets: mana availability: 99 % of requests of mana successful over 30 days." in _captions(at)


def test_a_firing_ticket_of_a_7_day_slo_is_shown_with_when_the_budget_goes_and_why(app_env: Engine) -> None:
    with session_scope() as s:
        slo_service.create_slo(
            s, actor=LEAD, data=SloInput(name="ledger availability", service="ledger", kind="availability",
                                         objective=99.0, window_days=7),
        )  # fmt: skip
    # one ledger request every 5 minutes over the last 3 days (864), three failed 2, 3 and 4 hours ago: the last hour
    # is clean (1h burn 0), 6h burns (3/72)/1 % = 4.17×, 3d (3/864)/1 % = 0.35× > 0.23×: the ticket fires
    now = datetime.now(UTC)
    rows = [
        {"TimeGenerated": now - timedelta(minutes=1 + 5 * k), "AppRoleName": "ledger", "Name": "POST /api/entries",
         "Success": k not in (24, 36, 48), "ResultCode": "200", "DurationMs": 50.0, "ItemCount": 1}
        for k in range(864)
    ]  # fmt: skip
    write(get_settings().telemetry.dir, "AppRequests", rows, name="ledger")
    at = _app("viewer")
    ledger = next(d.value for d in at.dataframe if "alert" in d.value.columns)  # SLOs by name: ledger first
    assert list(ledger["status"]) == ["ok (both must exceed the threshold)"] * 2 + ["FIRING"]
    assert ledger["threshold"].iloc[2] == "10% × 7d / 3d = 0.23×"
    gone = [m.value for m in at.metric if m.label == "Budget gone in"]
    # remaining 1 − 3 / (1 % × 864) = 65.28 %; at the 3d pace 0.3472×: 0.6528 × 7 d / 0.3472 = 13.16 d
    assert gone == ["13d 3h", "exhausted", "exhausted"]
    assert "not burning" not in gone
    assert (
        "Why a ticket can fire while the budget lasts: it fires when 10% of the budget goes in 3d, a pace that "
        "spends the whole budget in 30 days (3d / 10%); for a 7-day window that is 0.23×" in _captions(at)
    )

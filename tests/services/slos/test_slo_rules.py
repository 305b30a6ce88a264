"""An SLO owns its burn-rate rules: created, updated and removed with it in one transaction, audited, and evaluated by
the worker from its next cycle; thresholds scaled to the SLO window; the time to exhaustion beside a firing alert."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from services import audit
from services.alerts import repository as alert_repo
from services.alerts import service as alert_service
from services.alerts import worker
from services.alerts.models import Alert, AlertRule
from services.alerts.seeds import seed_team_rules
from services.alerts.slo_rules import rule_name
from services.auth import Actor
from services.db import session_scope
from services.errors import Conflict
from services.slos import budget
from services.slos import service as slo_service
from services.slos.models import Slo
from services.slos.schemas import parse_slo_input
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

LEAD = Actor("lena", "lead")
FORM = {
    "name": "checkout availability",
    "service": "mana",
    "operation": "POST /api/orders",
    "kind": "availability",
    "objective": 99.5,
    "window_days": 28,
}


def _rules(s) -> list[tuple[str, str, float, str, int]]:
    return [
        (r.name, r.slo_policy, round(r.threshold, 4), r.severity, r.frequency_min)
        for r in alert_repo.slo_rules(s, slo_service.list_slos(s, actor=LEAD)[0].id)
    ]


def test_creating_an_slo_creates_its_burn_rate_rules_in_the_same_transaction(engine: Engine) -> None:
    with session_scope(engine) as s:
        slo = slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
        # before the commit, in the creating session: one rule per policy of the SLO page, owned by the SLO
        # thresholds for 28 days: 2 % × 672 h / 1 h = 13.44; 5 % × 672 h / 6 h = 5.6; 10 % × 28 d / 3 d = 0.9333
        assert _rules(s) == [
            ("checkout availability: page (fast burn)", "page (fast burn)", 13.44, "Sev2", 5),
            ("checkout availability: page (slow burn)", "page (slow burn)", 5.6, "Sev2", 5),
            ("checkout availability: ticket", "ticket", 0.9333, "Sev4", 60),
        ]
        fast = alert_repo.slo_rules(s, slo.id)[0]
        assert fast.kind == "slo_burn" and fast.next_due_at is None  # due at the worker's next cycle
        # 13.44 × (1 − 99.5 %) = 6.72 % of requests failing
        assert fast.description == (
            "burn rate over 1h and 5m > 13.44× (2% of the 28-day budget in 1h): failed requests of mana "
            "POST /api/orders above 6.72 % of all for the 99.5 % objective"
        )
        assert [(r.action, r.entity) for r in reversed(audit.list_records(s, actor=LEAD))] == [
            ("slo.create", "slo"),
            ("alert_rule.create", "alert_rule"),
            ("alert_rule.create", "alert_rule"),
            ("alert_rule.create", "alert_rule"),
        ]
    with session_scope(engine) as s:
        assert len(_rules(s)) == 3  # committed together


def test_an_slo_that_cannot_get_its_rules_is_not_created(engine: Engine) -> None:
    with session_scope(engine) as s:
        alert_service.create_rule(s, actor=LEAD, data={
            "name": "checkout availability: ticket", "query": "AppRequests | where Success == false",
            "threshold": 5, "actions": [{"channel": "email", "target": "ops@mana.example"}]})  # fmt: skip
    with pytest.raises(Conflict, match="another alert rule has that name"), session_scope(engine) as s:  # rolled back
        slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
    with session_scope(engine) as s:
        assert slo_service.list_slos(s, actor=LEAD) == []
        assert [r.name for r in alert_service.list_rules(s, actor=LEAD)] == ["checkout availability: ticket"]


def test_editing_the_target_updates_the_thresholds_and_rearms_the_rules(engine: Engine) -> None:
    with session_scope(engine) as s:
        slo = slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
        slo_id, version = slo.id, slo.version
        for r in alert_repo.slo_rules(s, slo_id):
            r.next_due_at = AT + timedelta(minutes=r.frequency_min)  # as the worker leaves them
    edit = {**FORM, "name": "orders availability", "objective": 99.9, "window_days": 7}
    with session_scope(engine) as s:
        slo_service.update_slo(s, actor=LEAD, slo_id=slo_id, data=parse_slo_input(edit), expected_version=version)
        # 7 days: 2 % × 168 h / 1 h = 3.36; 5 % × 168 h / 6 h = 1.4; 10 % × 7 d / 3 d = 0.2333
        assert _rules(s) == [
            ("orders availability: page (fast burn)", "page (fast burn)", 3.36, "Sev2", 5),
            ("orders availability: page (slow burn)", "page (slow burn)", 1.4, "Sev2", 5),
            ("orders availability: ticket", "ticket", 0.2333, "Sev4", 60),
        ]
        rules = alert_repo.slo_rules(s, slo_id)
        assert [r.next_due_at for r in rules] == [None, None, None]  # evaluated at the worker's next cycle
        # 0.2333 × (1 − 99.9 %) = 0.0233 % of requests failing
        assert rules[2].description.endswith("above 0.0233 % of all for the 99.9 % objective")
        newest = audit.list_records(s, actor=LEAD)[:4]
        assert [r.action for r in reversed(newest)] == ["slo.update", *["alert_rule.update"] * 3]
        assert newest[0].before["threshold"] == pytest.approx(0.9333, abs=1e-4)
        assert newest[0].after["threshold"] == pytest.approx(0.2333, abs=1e-4)
    with session_scope(engine) as s:  # an edit that does not change what the rules watch leaves them alone
        slo_service.update_slo(s, actor=LEAD, slo_id=slo_id, data=parse_slo_input({**edit, "description": "orders"}))
        assert audit.list_records(s, actor=LEAD)[0].action == "slo.update"
        assert audit.list_records(s, actor=LEAD)[1].action == "alert_rule.update"  # from the edit before


def test_deleting_an_slo_removes_its_rules_and_their_alerts(engine: Engine) -> None:
    with session_scope(engine) as s:
        slo = slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
        slo_id = slo.id
        s.add(Alert(rule_id=alert_repo.slo_rules(s, slo_id)[0].id, state="fired"))
    with session_scope(engine) as s:
        slo_service.delete_slo(s, actor=LEAD, slo_id=slo_id)
        assert alert_repo.slo_rules(s, slo_id) == []
        newest = audit.list_records(s, actor=LEAD)[:4]
        assert [r.action for r in reversed(newest)] == [*["alert_rule.delete"] * 3, "slo.delete"]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(AlertRule)) == 0
        assert s.scalar(select(func.count()).select_from(Alert)) == 0
        assert s.scalar(select(func.count()).select_from(Slo)) == 0


def test_a_new_slo_fires_at_the_workers_next_cycle_and_an_edit_rearms_it(sqlite_engine: Engine, tmp_path: Path) -> None:
    # 600 orders over 10 hours, one in four of the last hour failed (15 of 60)
    rows = [req(m, name="POST /api/orders", ok=not (m < 60 and m % 4 == 0)) for m in range(600)]
    write(tmp_path / "t", "AppRequests", rows)
    src = LocalTelemetrySource(tmp_path / "t")
    with session_scope() as s:
        slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
    done = worker.evaluate_due(src, now=AT)
    # error budget 0.5 %: 1h 15/60 → 50×; 6h 15/360 → 8.33×; 3d 15/600 → 5× (short windows burn too): all fire
    assert done.rules == 3
    assert [(c.rule, c.state, round(c.value or 0, 2)) for c in done.changes] == [
        ("checkout availability: page (fast burn)", "fired", 50.0),
        ("checkout availability: page (slow burn)", "fired", 8.33),
        ("checkout availability: ticket", "fired", 5.0),
    ]
    assert worker.evaluate_due(src, now=AT + timedelta(minutes=1)).rules == 0  # next due in 5 and 60 minutes
    with session_scope() as s:
        slo = slo_service.list_slos(s, actor=LEAD)[0]
        slo_service.update_slo(s, actor=LEAD, slo_id=slo.id, data=parse_slo_input({**FORM, "objective": 90.0}))
    # the edit takes effect at the next cycle: at 90 % the budget is 10 %, 1h burns 2.5× < 13.44: resolved
    again = worker.evaluate_due(src, now=AT + timedelta(minutes=1))
    assert again.rules == 3
    assert [(c.rule, c.state) for c in again.changes] == [
        ("checkout availability: page (fast burn)", "resolved"),
        ("checkout availability: page (slow burn)", "resolved"),  # 6h 0.42× < 5.6
        ("checkout availability: ticket", "resolved"),  # 3d 0.25× < 0.9333
    ]


def test_seeding_rules_brings_an_slo_without_rules_up_to_date(sqlite_engine: Engine) -> None:
    with session_scope() as s:  # an SLO from before rules followed their SLO: its rules were never made
        slo = slo_service.create_slo(s, actor=LEAD, data=parse_slo_input(FORM))
        for r in alert_repo.slo_rules(s, slo.id):
            alert_service.delete_rule(s, actor=LEAD, rule_id=r.id)
    with session_scope() as s:
        assert seed_team_rules(s, actor=LEAD) == 9  # its 3 burn-rate rules and the 6 team rules
        assert seed_team_rules(s, actor=LEAD) == 0
        assert len(_rules(s)) == 3


def test_thresholds_scale_to_the_slo_window_as_the_workbook_does() -> None:
    # threshold = budget share × SLO window / long window: the same share of the budget spent in the long window
    # 30 d: 2 % × 720 h / 1 h = 14.4;  5 % × 720 h / 6 h = 6;   10 % × 720 h / 72 h = 1     (the workbook's table)
    # 7 d:  2 % × 168 h / 1 h = 3.36;  5 % × 168 h / 6 h = 1.4; 10 % × 168 h / 72 h = 0.2333
    expected = {30: [14.4, 6.0, 1.0], 28: [13.44, 5.6, 0.9333], 7: [3.36, 1.4, 0.2333]}
    for days, thresholds in expected.items():
        assert [round(p.threshold(days), 4) for p in budget.POLICIES] == thresholds
    # whatever the window, each threshold is the pace that spends the whole budget in long window / share:
    # 1 h / 2 % = 50 h, 6 h / 5 % = 5 days, 3 d / 10 % = 30 days: a 7-day ticket at 0.2333× spends it in 7 / 0.2333 = 30
    for p, days in zip(budget.POLICIES, (50 / 24, 5, 30), strict=True):
        assert 7 / p.threshold(7) == pytest.approx(days)


def test_a_firing_ticket_is_never_shown_beside_not_burning() -> None:
    # a 7-day 99 % SLO (budget 1 %) whose last hour was clean: 3d 67 bad of 10,000 → 0.67× > 0.2333;
    # 6h 7 of 1,000 → 0.7× > 0.2333: the ticket fires while the 1h burn rate is 0
    counts = {"5m": (10, 10), "30m": (50, 50), "1h": (100, 100), "6h": (993, 1000), "3d": (9933, 10000)}
    alerts = budget.alert_statuses(99.0, 7, counts)
    assert [a.firing for a in alerts] == [False, False, True]
    assert budget.time_to_exhaustion(0.5, 7, budget.burn_rate(99.0, *counts["1h"])) is None  # the old 'not burning'
    window, rate = budget.pace(budget.burn_rate(99.0, *counts["1h"]), alerts)
    assert (window, round(rate or 0, 2)) == ("3d", 0.67)
    # half the budget left: 0.5 × 7 d / 0.67 = 5.22 days
    assert budget.time_to_exhaustion(0.5, 7, rate) / timedelta(days=1) == pytest.approx(5.2239, abs=1e-4)
    # nothing firing: the last hour's pace, as before
    assert budget.pace(0.4, budget.alert_statuses(99.0, 7, {w: (100, 100) for w in counts})) == ("1h", 0.4)


def test_a_long_slo_name_still_fits_the_rule_name() -> None:
    name = rule_name("x" * 200, budget.POLICIES[0])
    assert len(name) == 200 and name.endswith("x…: page (fast burn)")

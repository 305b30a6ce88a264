"""Stop/start gaps on fixture telemetry (gap_fixtures.py): a steady instance that went silent while its siblings served
is a gap; a whole role going quiet, an instance never steady, a two-minute pause are not; a restart is named as such.
The same catalogue query feeds Live metrics, the application map and the seeded alert rule."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy.engine import Engine

from services.alerts import firing
from services.alerts import service as alert_service
from services.alerts.evaluation import RuleSpec, backtest
from services.alerts.seeds import seed_team_rules
from services.auth import Actor
from services.db import session_scope
from services.monitoring import appmap, gaps, live
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from tests.services.monitoring.gap_fixtures import EXPECTED, write_gaps
from tests.telemetry_fixtures import AT

VIEWER, LEAD = Actor("vera", "viewer"), Actor("lee", "lead")
START = AT - timedelta(minutes=90)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> LocalTelemetrySource:
    return LocalTelemetrySource(write_gaps(tmp_path_factory.mktemp("gaps") / "t"))


def _seen(found: list[gaps.Gap]) -> list[tuple]:
    return [
        (g.role, g.instance, g.silent_since.strftime("%H:%M"), g.silent_minutes, g.outcome, g.steady_minutes)
        for g in found
    ]


def test_the_gaps_and_only_those(source: LocalTelemetrySource) -> None:
    found = gaps.find(partial(runner.run, source), actor=VIEWER, start=START, end=AT, notes=[])
    assert _seen(found) == EXPECTED
    pod_a = found[1]
    assert pod_a.last_row == AT - timedelta(minutes=11) + timedelta(seconds=50)  # its last trace, 11:49:50
    assert pod_a.resumed is None and found[3].resumed == AT - timedelta(minutes=20)
    shown = gaps.table(found)
    assert list(shown.columns) == gaps.COLUMNS
    assert shown.loc[2, ["instance", "outcome"]].tolist() == ["bill-1", "restarted as bill-3"]


def test_a_range_without_the_steady_half_hour_finds_none(source: LocalTelemetrySource) -> None:
    # from 11:30 on, no instance has 27 of its 30 minutes before going silent inside the range
    found = gaps.find(partial(runner.run, source), actor=VIEWER, start=AT - timedelta(minutes=30), end=AT, notes=[])
    assert found == []


def test_live_metrics_reads_the_gaps_of_every_role_once_a_minute(source: LocalTelemetrySource) -> None:
    for seconds in (0, 30, 59):  # every refresh within 12:00 reads the same range
        assert live.gap_range(AT + timedelta(seconds=seconds)) == (AT - timedelta(minutes=90), AT)
    assert _seen(live.recent_gaps(source, actor=VIEWER, at=AT + timedelta(seconds=42))) == EXPECTED


def test_the_application_map_marks_the_roles_with_gaps(source: LocalTelemetrySource) -> None:
    amap = appmap.app_map(partial(runner.run, source), actor=VIEWER, start=START, end=AT)
    assert _seen(amap.gaps) == EXPECTED
    assert "3 stop/start gaps: pod-f, pod-a, pod-d" in amap.dot
    assert "1 stop/start gap: bill-1" in amap.dot
    worker_node = next(line for line in amap.dot.splitlines() if line.startswith('"role:mana-worker"'))
    assert "stop/start" not in worker_node and appmap.GREEN in worker_node
    billing_node = next(line for line in amap.dot.splitlines() if line.startswith('"role:billing"'))
    assert appmap.AMBER in billing_node


def test_the_seeded_rule_fires_once_per_silent_instance(sqlite_engine: Engine, source: LocalTelemetrySource) -> None:
    with session_scope() as s:
        seed_team_rules(s, actor=LEAD)
        rule = next(r for r in alert_service.list_rules(s, actor=LEAD) if "stop/start gap" in r.name)
        changes = firing.evaluate_rule(s, source, rule, at=AT)
    assert sorted((c.state, c.dimension, c.value) for c in changes) == [
        ("fired", "bill-1", 1.0),
        ("fired", "pod-a", 1.0),
        ("fired", "pod-d", 1.0),
        ("fired", "pod-f", 1.0),
    ]


def test_the_rule_query_reads_its_own_window_up_to_the_query_clock(source: LocalTelemetrySource) -> None:
    text = gaps.rule_query()
    assert "let range_start = datetime(2000-01-01);" in text and "let range_end = now();" in text and "{" not in text
    spec = RuleSpec(text, "Count", None, "AppRoleInstance", "GreaterThan", 0, 5, 120)
    # a backtest over the last 3 hours, one evaluation every 5 minutes: each gap fires once it is in the window
    fired = {
        t.dimension: t.at.strftime("%H:%M") for t in backtest(source, spec, end=AT, days=0.125) if t.state == "fired"
    }
    assert fired == {"pod-d": "11:35", "bill-1": "11:40", "pod-a": "11:50", "pod-f": "11:55"}


def test_a_viewer_without_telemetry_query_is_refused(source: LocalTelemetrySource, monkeypatch) -> None:
    from services import auth
    from services.errors import PermissionDenied

    monkeypatch.setitem(auth.PERMISSIONS, "telemetry.query", "admin")
    with pytest.raises(PermissionDenied):
        gaps.find(partial(runner.run, source), actor=VIEWER, start=START, end=AT, notes=[])


def test_the_definition_names_its_numbers() -> None:
    assert "at least 27 of the 30 minutes" in gaps.DEFINITION and "next 3 whole minutes" in gaps.DEFINITION

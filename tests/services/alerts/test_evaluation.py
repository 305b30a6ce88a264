"""Rule evaluation and backtests on fixture telemetry, checked against an independent count of the raw rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from services.alerts.evaluation import RuleSpec, backtest, fetch, verdicts
from services.errors import InvalidInput
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, write

LOGINS = RuleSpec(
    query='AppEvents | where Name == "LoginFailed" | extend account = tostring(Properties.account)',
    aggregation="Count",
    measure_column=None,
    dimension="account",
    operator="GreaterThan",
    threshold=5,
    frequency_min=5,
    window_min=15,
)
DOPA = RuleSpec(
    query='AppDependencies | where Target == "api.dopa.go.th" | extend failed_pct = iff(Success, 0.0, 100.0)',
    aggregation="Average",
    measure_column="failed_pct",
    dimension=None,
    operator="GreaterThan",
    threshold=5,
    frequency_min=5,
    window_min=10,
    evaluation_periods=2,
    failing_periods=2,
)
# failed logins: somchai 8 times from 20 to 13 minutes ago (a burst), anong every 7 minutes for two hours
EVENTS = [(20 - i, "somchai") for i in range(8)] + [(m, "anong") for m in range(1, 120, 7)]
# DOPA calls: one a minute for two hours; every call from 30 to 11 minutes ago fails
CALLS = [(m, not (11 <= m <= 30)) for m in range(0, 120)]


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    root = tmp_path / "t"
    write(
        root,
        "AppEvents",
        [
            {
                "TimeGenerated": AT - timedelta(minutes=m, seconds=10),
                "Name": "LoginFailed",
                "Properties": f'{{"account": "{a}"}}',
                "ItemCount": 1,
            }
            for m, a in EVENTS
        ],
    )
    write(
        root,
        "AppDependencies",
        [
            {
                "TimeGenerated": AT - timedelta(minutes=m),
                "Target": "api.dopa.go.th",
                "Success": ok,
                "DurationMs": 100.0,
                "ItemCount": 1,
            }
            for m, ok in CALLS
        ],
    )
    return LocalTelemetrySource(root)


def _count(at, account: str, window: int = 15) -> int:  # type: ignore[no-untyped-def]
    times = [AT - timedelta(minutes=m, seconds=10) for m, a in EVENTS if a == account]
    return sum(1 for t in times if at - timedelta(minutes=window) < t <= at)


def test_count_by_dimension_now(source: LocalTelemetrySource) -> None:
    at = AT - timedelta(minutes=10)
    v = verdicts(fetch(source, LOGINS, at), LOGINS)
    assert v["somchai"].value == _count(at, "somchai") == 8 and v["somchai"].firing
    assert v["anong"].value == _count(at, "anong") and not v["anong"].firing


def test_backtest_fires_and_resolves_at_the_exact_steps(source: LocalTelemetrySource) -> None:
    got = [(t.at, t.dimension, t.state) for t in backtest(source, LOGINS, end=AT, days=2 / 24)]
    expected, firing = [], False
    for i in range(int(timedelta(hours=2) / timedelta(minutes=5)) - 1, -1, -1):
        at = AT - timedelta(minutes=5 * i)
        now = _count(at, "somchai") > 5
        if now != firing:
            expected.append((at, "somchai", "fired" if now else "resolved"))
            firing = now
    assert got == expected
    assert [s for _, _, s in got] == ["fired", "resolved"]


def test_average_with_two_failing_periods_out_of_two(source: LocalTelemetrySource) -> None:
    transitions = backtest(source, DOPA, end=AT, days=2 / 24)
    df = pd.DataFrame([{"t": AT - timedelta(minutes=m), "bad": 0.0 if ok else 100.0} for m, ok in CALLS])

    def avg(at):  # type: ignore[no-untyped-def]
        w = df[(df.t > at - timedelta(minutes=10)) & (df.t <= at)]
        return w.bad.mean()

    expected, firing = [], False
    for i in range(23, -1, -1):
        at = AT - timedelta(minutes=5 * i)
        now = avg(at) > 5 and avg(at - timedelta(minutes=5)) > 5
        if now != firing:
            expected.append((at, "fired" if now else "resolved"))
            firing = now
    assert [(t.at, t.state) for t in transitions] == expected
    assert transitions[0].value == pytest.approx(avg(transitions[0].at))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"window_min": 7}, "whole multiple"),
        ({"aggregation": "Average", "measure_column": None}, "measure column"),
        ({"dimension": "account; drop"}, "must be a column name"),
        ({"failing_periods": 3}, "Failing periods"),
        ({"operator": "Bigger"}, "Unknown operator"),
        ({"query": " "}, "no query"),
    ],
)
def test_invalid_rules_are_named(change: dict, message: str) -> None:
    from dataclasses import replace

    with pytest.raises(InvalidInput, match=message):
        replace(LOGINS, **change).check()

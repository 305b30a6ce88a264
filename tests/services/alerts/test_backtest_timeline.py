"""The backtest timeline: the rule's value at every evaluation, checked against an independent count of the raw rows,
and the firing periods its transitions make."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.alerts.backtest import backtest_timeline, timeline
from services.alerts.evaluation import backtest
from services.auth import Actor
from services.errors import InvalidInput
from services.telemetry.local import LocalTelemetrySource
from tests.services.alerts.test_evaluation import DOPA, LOGINS, _count, source  # noqa: F401 (a fixture)
from tests.telemetry_fixtures import AT


def test_a_value_per_evaluation_and_dimension_and_the_period_it_fired(source: LocalTelemetrySource) -> None:  # noqa: F811
    tl = timeline(source, LOGINS, end=AT, days=2 / 24)
    assert tl.start == AT - timedelta(minutes=5 * 23) and tl.end == AT  # 24 evaluations, 5 min apart
    for dim in ("somchai", "anong"):
        mine = tl.evaluations[tl.evaluations["dimension"] == dim]
        assert list(mine["value"]) == [float(_count(at, dim)) for at in mine["at"]]
    assert tl.dimensions_seen == 2
    # somchai's burst (8 from 20 to 13 min ago) is over 5 from the evaluation 15 min ago to the one 5 min ago
    periods = tl.firing_periods()
    assert periods[["dimension", "start", "end", "minutes"]].values.tolist() == [
        ["somchai", AT - timedelta(minutes=15), AT, 15.0]
    ]
    assert tl.transitions == backtest(source, LOGINS, end=AT, days=2 / 24)


def test_an_unresolved_firing_lasts_to_the_last_evaluation(source: LocalTelemetrySource) -> None:  # noqa: F811
    tl = timeline(source, DOPA, end=AT - timedelta(minutes=20), days=1 / 24)
    (period,) = tl.firing_periods().to_dict("records")
    assert period["end"] == tl.end  # the failing calls (30 … 11 min ago) still fail 20 min ago


def test_the_form_is_checked_before_the_query(source: LocalTelemetrySource) -> None:  # noqa: F811
    with pytest.raises(InvalidInput, match="30 days"):
        backtest_timeline(
            source, actor=Actor("v", "viewer"), data={"query": "AppEvents", "threshold": 1}, days=40, end=AT
        )

"""The backtest's replay of many evaluations at once gives the verdicts the worker's one-step evaluation gives."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from services.alerts.evaluation import OPS, RuleSpec, Transition, transitions, verdicts

END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def step_by_step(partials: pd.DataFrame, rule: RuleSpec, steps: int) -> list[Transition]:
    """The replay written the plain way: `verdicts` at every step, oldest first."""
    state: dict[str, bool] = {}
    out = []
    dims = set(partials["dimension"]) if len(partials) else set()
    for step in range(steps - 1, -1, -1):
        for dim, v in sorted(verdicts(partials, rule, step=step, dimensions=dims).items()):
            if v.firing != state.get(dim, False):
                state[dim] = v.firing
                out.append(Transition(END - rule.frequency * step, dim, "fired" if v.firing else "resolved", v.value))
    return out


def random_partials(seed: int, buckets: int, dims: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for dim in dims:
        for j in range(buckets):
            if rng.random() < 0.6:  # some buckets have no rows at all
                n = int(rng.integers(1, 9))
                low = float(rng.uniform(0, 500))
                rows.append({"j": j, "dimension": dim, "n": float(n), "total": low * n + float(rng.uniform(0, 900)),
                             "low": low, "high": low + float(rng.uniform(0, 900))})  # fmt: skip
    return pd.DataFrame(rows, columns=["j", "dimension", "n", "total", "low", "high"])


@pytest.mark.parametrize("aggregation", ["Count", "Total", "Average", "Minimum", "Maximum"])
@pytest.mark.parametrize("operator", list(OPS))
@pytest.mark.parametrize(("dimension", "dims"), [(None, [""]), ("account", ["ann", "bob", "cy"])])
def test_the_replay_equals_evaluating_every_step(
    aggregation: str, operator: str, dimension: str | None, dims: list[str]
) -> None:
    threshold = {"Count": 14.0, "Total": 4000.0, "Average": 600.0, "Minimum": 120.0, "Maximum": 900.0}[aggregation]
    rule = RuleSpec("AppRequests", aggregation, None if aggregation == "Count" else "DurationMs", dimension,
                    operator, threshold, 5, 15, 4, 2)  # fmt: skip
    steps = 120
    partials = random_partials(zlib.crc32(f"{aggregation}/{operator}/{dimension}".encode()), steps + 10, dims)
    expected = step_by_step(partials, rule, steps)
    got = transitions(partials, rule, end=END, steps=steps)
    got = sorted(got, key=lambda t: (t.at, t.dimension))
    assert [(t.at, t.dimension, t.state) for t in got] == [(t.at, t.dimension, t.state) for t in expected]
    nan = float("nan")
    values = [nan if t.value is None else t.value for t in got]
    assert values == pytest.approx([nan if t.value is None else t.value for t in expected], rel=1e-12, nan_ok=True)
    assert expected or operator == "Equals"  # the random data crosses the threshold somewhere


def test_no_rows_fire_nothing_for_a_split_rule_and_count_zero_for_a_plain_one() -> None:
    empty = pd.DataFrame(columns=["j", "dimension", "n", "total", "low", "high"])
    split = RuleSpec("AppRequests", "Count", None, "account", "LessThan", 1.0, 5, 5, 1, 1)
    assert transitions(empty, split, end=END, steps=10) == []
    plain = RuleSpec("AppRequests", "Count", None, None, "LessThan", 1.0, 5, 5, 1, 1)
    assert transitions(empty, plain, end=END, steps=10) == [Transition(END - plain.frequency * 9, "", "fired", 0.0)]

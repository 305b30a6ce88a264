"""The Performance view's all-operations row: over the raw rows of every request, never from the operations' rows."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest

from services.auth import Actor
from services.monitoring import performance
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.runner import Runner
from tests.services.monitoring.fixtures import write_all
from tests.telemetry_fixtures import AT

START, END = AT - timedelta(days=1), AT
VIEWER = Actor("vera", "viewer")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    return partial(runner.run, LocalTelemetrySource(write_all(tmp_path_factory.mktemp("mon") / "t")))


def test_all_operations_take_percentiles_over_every_request(run: Runner) -> None:
    (row,) = performance.all_operations(run, actor=VIEWER, start=START, end=END).to_dict("records")
    # 50, 80, 100, 300, 900, 1200 ms (op-old, 30 h back, is outside the day); nearest rank ⌈q·6⌉
    assert row == {
        "Name": "All operations",
        "requests": 6,
        "avg_ms": pytest.approx(2630 / 6),
        "p50_ms": 100.0,
        "p95_ms": 1200.0,
        "p99_ms": 1200.0,
    }
    ops = performance.operations(run, actor=VIEWER, start=START, end=END)
    assert int(ops["requests"].sum()) == row["requests"]  # the same requests, split by operation


def test_all_operations_of_a_role_and_of_nothing(run: Runner) -> None:
    worker = performance.all_operations(run, actor=VIEWER, start=START, end=END, role="mana-worker")
    assert worker[["requests", "p95_ms"]].values.tolist() == [[1, 900.0]]
    assert performance.all_operations(run, actor=VIEWER, start=START, end=END, role="nobody").empty

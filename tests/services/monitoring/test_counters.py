"""CPU % and memory per role and role instance, recomputed from raw AppPerformanceCounters rows.

The rows are random but seeded: two roles, five role instances, the four counters the SDK sends (so a figure that
forgets the Category or Name filter averages Available Bytes or Requests/Sec in), instances that report for part of
the range only (so an average of the instances' averages differs from the average of the samples), and rows just
outside the range on both sides.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.auth import Actor
from services.monitoring import counters
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import write

AT = datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)
START, END = AT - timedelta(hours=2), AT
VIEWER = Actor("viewer", "viewer")
# role instance: (role, minutes it reported back from AT); 150 and 200 began before the range, 45 and 30 inside it
INSTANCES = {"mana-7d9-a": ("mana", 150), "mana-7d9-b": ("mana", 45), "mana-appsvc": ("mana", 90),
             "worker-0": ("mana-worker", 200), "worker-1": ("mana-worker", 30)}  # fmt: skip
KINDS = [
    ("Processor", "% Processor Time", "_Total"),
    ("Process", "Private Bytes", "Mana.Api"),
    ("Memory", "Available Bytes", ""),
    ("ASP.NET Applications", "Requests/Sec", "??APP_W3SVC_PROC??"),
]


def _raw(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for instance, (role, minutes) in INSTANCES.items():
        for m in range(minutes):
            when = AT + timedelta(seconds=13) - timedelta(minutes=m)  # at 13 s past, as the SDK's collector
            for category, name, inst in KINDS:
                value = {
                    "% Processor Time": rng.uniform(1, 100),
                    "Private Bytes": rng.uniform(200, 900) * 2**20,
                    "Available Bytes": rng.uniform(1, 4) * 2**30,
                    "Requests/Sec": rng.uniform(0, 30),
                }[name]
                rows.append(
                    {
                        "TimeGenerated": when,
                        "AppRoleName": role,
                        "AppRoleInstance": instance,
                        "Category": category,
                        "Name": name,
                        "Counter": name,
                        "Instance": inst,
                        "Value": float(value),
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, LocalTelemetrySource]:
    root: Path = tmp_path_factory.mktemp("counters")
    frame = _raw(np.random.default_rng(20261203))
    write(root, "AppPerformanceCounters", frame.to_dict("records"))
    return frame, LocalTelemetrySource(root)


def _in(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame.TimeGenerated > START) & (frame.TimeGenerated <= END)]


def _expected(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    inside = _in(frame)
    cpu = inside[(inside.Category == "Processor") & (inside.Name == "% Processor Time")]
    mem = inside[(inside.Category == "Process") & (inside.Name == "Private Bytes")]
    return pd.DataFrame(
        {
            "cpu_pct": cpu.groupby(by).Value.mean(),
            "memory_mb": mem.groupby(by).Value.mean() / 1_048_576,
            "instances": cpu.groupby(by).AppRoleInstance.nunique(),
        }
    )


def test_cpu_and_memory_per_role_are_the_averages_of_the_samples(
    raw: tuple[pd.DataFrame, LocalTelemetrySource],
) -> None:
    frame, source = raw
    got = counters.usage(runner.bound(source), actor=VIEWER, start=START, end=END)
    expected = _expected(frame, "AppRoleName")
    assert [u.role for u in got.roles] == ["mana", "mana-worker"]
    for u in got.roles:
        assert u.cpu_pct == pytest.approx(expected.loc[u.role, "cpu_pct"])
        assert u.memory_mb == pytest.approx(expected.loc[u.role, "memory_mb"])
        assert u.instances == expected.loc[u.role, "instances"]
    # the instances report for different lengths: the mean of their means is another (wrong) figure
    per_instance = _expected(frame, "AppRoleInstance")
    mana = [i for i, (r, _) in INSTANCES.items() if r == "mana"]
    assert got.role("mana").cpu_pct != pytest.approx(per_instance.loc[mana, "cpu_pct"].mean(), rel=1e-6)  # type: ignore[union-attr]


def test_cpu_and_memory_per_role_instance(raw: tuple[pd.DataFrame, LocalTelemetrySource]) -> None:
    frame, source = raw
    got = counters.usage(runner.bound(source), actor=VIEWER, start=START, end=END, role="mana-worker")
    expected = _expected(frame, "AppRoleInstance")
    assert [u.instance for u in got.instances] == ["worker-0", "worker-1"]
    assert [u.role for u in got.roles] == ["mana-worker"]
    for u in got.instances:
        assert u.cpu_pct == pytest.approx(expected.loc[u.instance, "cpu_pct"])
        assert u.memory_mb == pytest.approx(expected.loc[u.instance, "memory_mb"])
    table = got.frame()
    assert list(table.instance) == ["(all)", "worker-0", "worker-1"]


def test_a_role_without_counters_has_no_figures_and_the_message_says_why(
    raw: tuple[pd.DataFrame, LocalTelemetrySource],
) -> None:
    _, source = raw
    got = counters.usage(runner.bound(source), actor=VIEWER, start=START, end=END, role="mana-admin")
    assert got.roles == () and got.role("mana-admin") is None
    quiet = counters.usage(
        runner.bound(source), actor=VIEWER, start=AT + timedelta(hours=1), end=AT + timedelta(hours=2)
    )
    assert quiet.roles == ()
    assert counters.missing("mana-admin", "the last 5 min") == (
        "no performance counters for mana-admin in the last 5 min; the SDK sends them every minute"
    )

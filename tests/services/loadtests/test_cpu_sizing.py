"""The capacity plan's CPU sizing recomputed from raw AppPerformanceCounters and AppRequests rows.

Over a two-hour window a role runs three role instances, two of them replaced half-way (a deployment): five distinct
instance names but three reporting in any minute, so a sizing that multiplied by the distinct instances would ask for
5/3 of the replicas. Available Bytes and Requests/Sec samples sit beside the CPU ones, the worker role has its own
samples and requests, and rows just outside the window are on both sides.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.auth import Actor
from services.errors import InvalidInput
from services.loadtests import capacity, cpu
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import write

END = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
START = END - timedelta(hours=2)
VIEWER = Actor("viewer", "viewer")


def _counters(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for m in range(-5, 125):  # minutes after START: five before it and five after END
        at = START + timedelta(minutes=m, seconds=13)
        generation = "old" if m < 60 else "new"
        instances = [(f"mana-{generation}-{i}", "mana") for i in range(2)] + [("mana-steady", "mana")]
        instances += [("worker-0", "mana-worker")]
        for instance, role in instances:
            for category, name, value in (
                ("Processor", "% Processor Time", rng.uniform(5, 95)),
                ("Process", "Private Bytes", rng.uniform(300, 700) * 2**20),
                ("Memory", "Available Bytes", rng.uniform(1, 3) * 2**30),
                ("ASP.NET Applications", "Requests/Sec", rng.uniform(0, 50)),
            ):
                rows.append(
                    {
                        "TimeGenerated": at,
                        "AppRoleName": role,
                        "AppRoleInstance": instance,
                        "Category": category,
                        "Name": name,
                        "Counter": name,
                        "Value": float(value),
                    }
                )
    return pd.DataFrame(rows)


def _requests(rng: np.random.Generator) -> pd.DataFrame:
    n = 5000
    offset = rng.uniform(-600, 7800, n)  # seconds after START: some outside the window
    return pd.DataFrame(
        {
            "TimeGenerated": [START + timedelta(seconds=float(s)) for s in offset],
            "AppRoleName": rng.choice(["mana", "mana-worker"], n, p=[0.9, 0.1]),
            "Name": "GET /api/shops",
            "Success": True,
            "DurationMs": 80.0,
            "ItemCount": rng.choice([1, 2, 5], n),  # sampled: a request row may stand for several
        }
    )


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame, LocalTelemetrySource]:
    root: Path = tmp_path_factory.mktemp("cpu-sizing")
    rng = np.random.default_rng(20261203)
    pcs, reqs = _counters(rng), _requests(rng)
    write(root, "AppPerformanceCounters", pcs.to_dict("records"))
    write(root, "AppRequests", reqs.to_dict("records"))
    return pcs, reqs, LocalTelemetrySource(root)


def _expected(pcs: pd.DataFrame, reqs: pd.DataFrame) -> tuple[float, float, float]:
    inside = pcs[(pcs.TimeGenerated > START) & (pcs.TimeGenerated <= END) & (pcs.AppRoleName == "mana")]
    samples = inside[(inside.Category == "Processor") & (inside.Name == "% Processor Time")]
    average_cpu = samples.Value.mean()
    per_minute = samples.groupby(samples.TimeGenerated.dt.floor("1min")).size().mean()  # instances in a minute
    r = reqs[(reqs.TimeGenerated > START) & (reqs.TimeGenerated <= END) & (reqs.AppRoleName == "mana")]
    rps = r.ItemCount.sum() / 7200
    return average_cpu, per_minute, rps


def test_cpu_per_request_is_average_cpu_times_instances_over_rps(
    raw: tuple[pd.DataFrame, pd.DataFrame, LocalTelemetrySource],
) -> None:
    pcs, reqs, source = raw
    got = cpu.cpu_per_request(
        runner.bound(source), actor=VIEWER, role="mana", start=START, end=END, source="production"
    )
    average_cpu, instances, rps = _expected(pcs, reqs)
    assert instances == pytest.approx(3.0)  # five names over the window, three at a time
    assert (got.cpu_pct, got.instances, got.rps) == (pytest.approx(average_cpu), pytest.approx(3.0), pytest.approx(rps))
    assert got.value == pytest.approx(average_cpu * 3.0 / rps)


def test_replicas_from_cpu_per_request_and_which_sizing_binds(
    raw: tuple[pd.DataFrame, pd.DataFrame, LocalTelemetrySource],
) -> None:
    pcs, reqs, source = raw
    average_cpu, instances, rps = _expected(pcs, reqs)
    production = cpu.cpu_per_request(
        runner.bound(source), actor=VIEWER, role="mana", start=START, end=END, source="production"
    )
    lighter = cpu.CpuPerRequest("load-test run #1", "mana", START, END, 10.0, 1.0, 100.0)  # 0.1 % per request/s
    p = capacity.plan(sustained_rps=rps * 2, measured_replicas=1, peak_rps=rps * 4, headroom=0.3)
    sized = cpu.sizing(target_rps=p.target_rps, measured=[lighter, production], utilisation_pct=60)
    assert sized.used is production  # the higher CPU per request: the conservative one
    expected = math.ceil(rps * 4 * 1.3 * (average_cpu * instances / rps) / 60)
    assert sized.replicas == expected
    assert p.replicas == 3  # ceil(4 rps × 1.3 / 2 rps) = ceil(2.6)
    # average CPU about 48.9 % × 3 instances at 1.45 rps: ceil(5.78 rps × 101.5 / 60) = 10 or more, above 3
    assert expected >= 10
    assert cpu.binding(rps_replicas=p.replicas, cpu_replicas=sized.replicas) == "CPU"
    assert cpu.replicas_needed(rps_replicas=p.replicas, cpu_replicas=sized.replicas) == expected
    assert cpu.replicas_needed(rps_replicas=4, cpu_replicas=None) == 4
    assert cpu.binding(rps_replicas=4, cpu_replicas=2) == "RPS"
    assert cpu.binding(rps_replicas=4, cpu_replicas=4) == "both"
    assert cpu.binding(rps_replicas=4, cpu_replicas=None) == "RPS"
    with pytest.raises(InvalidInput, match="1 to 100"):
        cpu.sizing(target_rps=1.0, measured=[production], utilisation_pct=0)


def test_a_window_without_counters_says_so_instead_of_a_zero(
    raw: tuple[pd.DataFrame, pd.DataFrame, LocalTelemetrySource],
) -> None:
    _, _, source = raw
    later = END + timedelta(days=1)
    with pytest.raises(cpu.NoCounters) as caught:
        cpu.cpu_per_request(
            runner.bound(source), actor=VIEWER, role="mana", start=later, end=later + timedelta(hours=1), source="x"
        )
    assert str(caught.value) == (
        "no performance counters for mana in 2026-11-29 12:00 – 2026-11-29 13:00 UTC; the SDK sends them every minute"
    )


def test_the_hpa_targets_the_chosen_utilisation() -> None:
    text = capacity.hpa_yaml(name="mana", namespace="prod", min_replicas=5, max_replicas=10, cpu_utilization=60)
    assert "          averageUtilization: 60\n" in text


def test_a_run_the_store_did_not_see_is_left_out_of_the_cpu_sizing(
    raw: tuple[pd.DataFrame, pd.DataFrame, LocalTelemetrySource],
) -> None:
    pcs, reqs, source = raw
    _, _, rps = _expected(pcs, reqs)  # about 1.45 requests/s of mana in the window
    window = {"actor": VIEWER, "role": "mana", "start": START, "end": END, "source": "load-test run #2"}
    seen = cpu.run_cpu_per_request(runner.bound(source), run_rps=rps / cpu.MATCHED, **window)  # exactly the share
    assert seen.rps == pytest.approx(rps)
    with pytest.raises(cpu.OtherEnvironment) as caught:  # k6 sent 100 requests/s: not to what this store watches
        cpu.run_cpu_per_request(runner.bound(source), run_rps=100.0, **window)
    assert str(caught.value).startswith(
        f"the store's telemetry of mana in the run's window has {rps:,.3f} requests/s against the run's "
        "100.00: the run loaded an environment whose telemetry is not in this store"
    )
    assert cpu.run_cpu_per_request(runner.bound(source), run_rps=None, **window).rps == pytest.approx(rps)

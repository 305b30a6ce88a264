"""Capacity plan, run comparison and SLO verdicts: the formulas, recomputed by hand."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from services.auth import Actor
from services.errors import InvalidInput
from services.loadtests import capacity, compare, storage, verdict
from services.loadtests.report import RunReport
from services.slos.evaluation import SloDefinition
from services.telemetry.local import LocalTelemetrySource
from tests.services.loadtests.conftest import import_files
from tests.telemetry_fixtures import req, write


def _curve() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bucket": pd.date_range("2026-11-28", periods=5, freq="30s", tz="UTC"),
            "requests": [300, 900, 1500, 2100, 600],
            "rps": [10.0, 30.0, 50.0, 70.0, 20.0],
            "p95_ms": [80.0, 120.0, 250.0, 900.0, 60.0],
            "full": [True, True, True, True, False],
        }
    )


def test_sustained_rps_is_the_busiest_whole_bucket_within_the_slo() -> None:
    c = capacity.curve(_curve(), threshold_ms=300)
    assert list(c["sustained"]) == [True, True, True, False, False]  # 900 ms misses; the last bucket is partial
    assert capacity.sustained_rps(c) == 50.0
    assert capacity.sustained_rps(capacity.curve(_curve(), threshold_ms=50)) is None


def test_replicas_formula() -> None:
    p = capacity.plan(sustained_rps=50.0, measured_replicas=2, peak_rps=120.0, headroom=0.3)
    assert p.per_replica_rps == 25.0
    assert p.replicas == 7  # ceil(120 × 1.3 / 25) = ceil(6.24)
    assert p.headroom_now == pytest.approx(50 / 120 - 1)
    assert capacity.plan(sustained_rps=25.0, measured_replicas=1, peak_rps=100.0, headroom=0.0).replicas == 4
    with pytest.raises(InvalidInput):
        capacity.plan(sustained_rps=10.0, measured_replicas=0, peak_rps=1.0, headroom=0.1)


def test_hpa_yaml() -> None:
    text = capacity.hpa_yaml(name="mana", namespace="prod", min_replicas=7, max_replicas=14, comment="why\nhow")
    assert text.startswith("# why\n# how\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n")
    assert "  minReplicas: 7\n  maxReplicas: 14\n" in text and "averageUtilization: 70" in text


def test_production_peak_from_the_catalogue(isolated_settings: Path) -> None:
    end = datetime(2026, 11, 28, 12, tzinfo=UTC)
    rows = [{**req(0), "TimeGenerated": end - timedelta(minutes=90) + timedelta(seconds=s)} for s in range(1, 60, 2)]
    rows += [{**req(0), "TimeGenerated": end - timedelta(days=40)} for _ in range(500)]  # outside 30 days
    write(isolated_settings / "telemetry", "AppRequests", rows)
    source = LocalTelemetrySource(isolated_settings / "telemetry")
    assert capacity.production_peak_rps(
        source, actor=Actor("vera", "viewer"), service="mana", end=end
    ) == pytest.approx(30 / 60)


def _report(i: int, p95: float, fr: float, peak: float) -> RunReport:
    return RunReport(
        id=i,
        service="mana",
        label="",
        git_ref="",
        files=[],
        started_at=None,
        ended_at=None,
        duration_s=None,
        requests=100,
        failed_requests=None,
        failure_rate=fr,
        rps=None,
        peak_rps=peak,
        duration_ms={"p95": p95},
        iterations=None,
        vus_max=None,
        points=0,
        points_file=None,
        imported_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=i),
        imported_by="dev",
    )


def test_trend_flags_regressions_against_the_median_of_earlier_runs() -> None:
    runs = [
        _report(1, 100, 0.010, 50),
        _report(2, 104, 0.010, 52),
        _report(3, 120, 0.0105, 40),
        _report(4, 100, 0.05, 51),
    ]
    t = compare.trend(runs).set_index("run")
    assert not t.loc[1, "regression"] and not t.loc[2, "regression"]
    # run 3: p95 120 > 1.1 × median(100, 104) = 112.2; failure 1.05 % is < 10 % above 1 %; peak 40 < 0.9 × 51
    assert t.loc[3, "p95 regression"] and not t.loc[3, "failure-rate regression"] and t.loc[3, "peak-RPS regression"]
    assert t.loc[4, "failure-rate regression"] and not t.loc[4, "p95 regression"]


def test_deltas() -> None:
    d = compare.deltas(_report(1, 100, 0.01, 50), _report(2, 150, 0.02, 50)).set_index("figure")
    assert d.loc["http_req_duration p95 (ms)", "B − A"] == 50 and d.loc["http_req_duration p95 (ms)", "change"] == 0.5
    assert pd.isna(d.loc["http_req_duration p99 (ms)", "B − A"])


SLOS = [
    SloDefinition(1, "avail", "mana", None, "availability", 99.0, None, 30),
    SloDefinition(2, "latency 10ms", "mana", None, "latency", 90.0, 10.0, 30),
    SloDefinition(3, "orders avail", "mana", "GET /api/orders", "availability", 80.0, None, 30),
    SloDefinition(4, "other service", "else", None, "availability", 99.0, None, 30),
]


def test_verdicts_from_raw_points(engine: Engine, loadtest_dir: Path) -> None:
    r = import_files(engine, "out.ndjson")
    v = {x.slo.name: x for x in verdict.verdicts(r, SLOS, root=loadtest_dir)}
    assert set(v) == {"avail", "latency 10ms", "orders avail"}
    assert (v["avail"].good, v["avail"].total, v["avail"].met) == (55, 60, False)
    good, total = storage.latency_counts(storage.points_path(loadtest_dir, r.points_file), threshold_ms=10.0)
    assert (v["latency 10ms"].good, v["latency 10ms"].total) == (good, total) and total == 60
    assert v["latency 10ms"].met == (good / total * 100 >= 90)
    assert (v["orders avail"].good, v["orders avail"].total, v["orders avail"].met) == (15, 20, False)
    assert "= 15 / 20 = 75.000 % vs objective 80 %" in v["orders avail"].formula


def test_verdicts_from_a_summary_alone(engine: Engine, loadtest_dir: Path) -> None:
    r = import_files(engine, "summary.json")
    v = {x.slo.name: x for x in verdict.verdicts(r, SLOS, root=loadtest_dir)}
    assert (v["avail"].good, v["avail"].total) == (55, 60)
    assert v["latency 10ms"].met is None and "needs raw points" in v["latency 10ms"].formula
    assert v["orders avail"].met is None
    assert dataclasses.replace(r, points_file=None).has_points is False


@pytest.mark.parametrize(
    ("duration_s", "bucket_s"),
    [(None, 60), (3600, 60), (360, 60), (359, 30), (180, 30), (179, 15), (60, 10), (30, 5), (29.9, 1), (4, 1)],
)
def test_a_run_is_first_planned_with_the_longest_bucket_that_gives_it_six(
    duration_s: float | None, bucket_s: int
) -> None:
    assert capacity.default_bucket_s(duration_s) == bucket_s
    if duration_s is not None and bucket_s > 1:
        assert duration_s / bucket_s >= capacity.MIN_BUCKETS  # six of them
        longer = [b for b in capacity.BUCKETS_S if b > bucket_s]
        assert all(duration_s / b < capacity.MIN_BUCKETS for b in longer)  # and no longer bucket gives six

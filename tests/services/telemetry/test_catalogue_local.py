"""Every catalogue query, run on the local engine over small fixture tables, with exact expected results."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from services.auth import Actor
from services.telemetry import catalogue, runner
from services.telemetry.kql import KqlValue
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

START, END = AT - timedelta(days=1), AT
VIEWER = Actor("vera", "viewer")


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    root = tmp_path / "t"
    write(
        root,
        "AppRequests",
        [
            req(10, ms=100, version="1.0"),
            req(20, ms=200, version="1.0"),
            req(30, ms=300, ok=False, version="1.0"),
            req(40, ms=400, name="POST /api/auth/login", ok=False, code="401", version="1.1"),
            req(41, ms=50, name="POST /api/auth/login", version="1.1"),
            req(60 * 30, ms=10, version="0.9"),  # 30 hours ago: outside the day
            req(5, ms=999, role="other"),
        ],
    )
    write(
        root,
        "AppExceptions",
        [
            {"TimeGenerated": AT - timedelta(minutes=m), "AppRoleName": "mana", "ExceptionType": t, "ItemCount": 1}
            for m, t in [(1, "TimeoutException"), (2, "TimeoutException"), (3, "SqlException"), (60 * 30, "Old")]
        ],
    )
    write(
        root,
        "AppEvents",
        [
            {
                "TimeGenerated": AT - timedelta(minutes=m),
                "AppRoleName": "mana",
                "Name": n,
                "Properties": f'{{"account": "{a}"}}',
                "ItemCount": 1,
            }
            for m, n, a in [
                (1, "LoginFailed", "somchai"),
                (2, "LoginFailed", "somchai"),
                (3, "LoginFailed", "anong"),
                (4, "DopaVerification", "somchai"),
            ]
        ],
    )
    write(
        root,
        "AppDependencies",
        [
            {
                "TimeGenerated": AT - timedelta(minutes=m),
                "AppRoleName": "mana",
                "Target": t,
                "DependencyType": "HTTP",
                "Success": ok,
                "DurationMs": d,
                "ItemCount": 1,
            }
            for m, t, ok, d in [
                (1, "api.dopa.go.th", False, 30000.0),
                (2, "api.dopa.go.th", True, 200.0),
                (3, "mana-sql", True, 10.0),
            ]
        ],
    )
    return LocalTelemetrySource(root)


def run(source: LocalTelemetrySource, name: str, **params: KqlValue):
    return runner.run(source, name, actor=VIEWER, start=START, end=END, **params).frame


def test_catalogue_files_have_titles_and_parse() -> None:
    assert len(catalogue.catalogue()) >= 8
    for q in catalogue.catalogue().values():
        assert q.title and q.title != q.name and q.description, q.name


def test_service_health(source: LocalTelemetrySource) -> None:
    row = run(source, "service_health", service="mana").iloc[0]
    assert (row.requests, row.failed) == (5, 2)
    assert row.failure_rate == pytest.approx(0.4)
    assert row.p95_ms == 400  # nearest rank of [50, 100, 200, 300, 400]


def test_failures_by_operation(source: LocalTelemetrySource) -> None:
    f = run(source, "failures_by_operation", service="mana").set_index("Name")
    assert f.loc["GET /api/shops", "requests"] == 3 and f.loc["GET /api/shops", "failed"] == 1
    assert f.loc["POST /api/auth/login", "failure_rate"] == pytest.approx(0.5)


def test_releases(source: LocalTelemetrySource) -> None:
    f = run(source, "releases", service="mana")
    assert list(f.AppVersion) == ["1.1", "1.0"]  # ordered by first seen
    assert list(f.requests) == [2, 3]
    assert f.first_seen.iloc[0] == AT - timedelta(minutes=41)


def test_peak_rps(source: LocalTelemetrySource) -> None:
    row = run(source, "peak_rps", service="mana").iloc[0]
    assert row.peak_rps == pytest.approx(1 / 60) and row.per_minute == 1


def test_exceptions_by_type(source: LocalTelemetrySource) -> None:
    f = run(source, "exceptions_by_type", service="mana")
    assert list(zip(f.ExceptionType, f.exceptions, strict=True)) == [("TimeoutException", 2), ("SqlException", 1)]


def test_failed_logins_total(source: LocalTelemetrySource) -> None:
    row = run(source, "failed_logins_total", service="mana").iloc[0]
    assert (row.failed_logins, row.accounts) == (3, 2)


def test_dependency_health(source: LocalTelemetrySource) -> None:
    f = run(source, "dependency_health").set_index("Target")
    assert f.loc["api.dopa.go.th", "calls"] == 2 and f.loc["api.dopa.go.th", "failed"] == 1
    assert f.loc["api.dopa.go.th", "avg_ms"] == pytest.approx(15100.0)
    assert f.loc["mana-sql", "failure_rate"] == 0


def _hourly(source: LocalTelemetrySource, operation: str = "", days: int = 1):
    from services.slos.evaluation import EPOCH, HOUR, US

    return runner.run(
        source,
        "slo_hourly",
        actor=VIEWER,
        start=END - timedelta(days=days),
        end=END,
        service="mana",
        operation=operation,
        threshold_ms=250.0,
        offset=(END - EPOCH) % HOUR + US,
        start_5m=END - timedelta(minutes=5),
        start_30m=END - timedelta(minutes=30),
    ).frame


def test_slo_hourly(source: LocalTelemetrySource) -> None:
    f = _hourly(source)
    # minutes 10, 20, 30, 40, 41 ago share the bucket (END − 1h, END]; the 30-hour-old row is outside the day
    assert len(f) == 1
    row = f.iloc[0]
    assert (row.total, row.good_availability, row.good_latency) == (5, 3, 3)  # 100, 200, 50 ms are < 250 ms
    # minute 30 is not inside (END − 30m, END]
    assert (row.total_5m, row.total_30m, row.good_availability_30m, row.good_latency_30m) == (0, 2, 2, 2)


def test_slo_hourly_buckets_end_at_the_instant(source: LocalTelemetrySource) -> None:
    from services.slos.series import hours_ago

    f = _hourly(source, operation="GET /api/shops", days=2)
    f = f.assign(hours_ago=hours_ago(f, END))
    assert list(zip(f.hours_ago, f.total, f.good_availability, strict=True)) == [(30, 1, 1), (0, 3, 2)]


def test_a_missing_parameter_is_named() -> None:
    from services.errors import InvalidInput

    with pytest.raises(InvalidInput, match="needs values for: service"):
        catalogue.render("service_health", start=START, end=END)

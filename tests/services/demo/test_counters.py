"""The demo's performance counters follow each instance's load, and its availability tests fail during the DOPA
outage; both read through the classic names too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.demo import DOPA_TIMEOUTS, incident_windows, seed
from services.telemetry.local import LocalTelemetrySource

END = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WEEK = (END - timedelta(days=7), END)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> LocalTelemetrySource:
    root = tmp_path_factory.mktemp("week")
    seed(root, days=7, seed=7, end=END, rate_per_minute=20.0)
    return LocalTelemetrySource(root)


def rows(source: LocalTelemetrySource, kql: str) -> list[list[object]]:
    return source.query(kql, timespan=WEEK).frame.values.tolist()  # type: ignore[no-any-return]


def test_every_instance_reports_its_counters_every_minute_it_serves(source: LocalTelemetrySource) -> None:
    counters = rows(
        source,
        "AppPerformanceCounters | summarize n = dcount(Name) by AppRoleName, AppRoleInstance, bin(TimeGenerated, 1m) "
        "| summarize low = min(n), high = max(n) by AppRoleName | order by AppRoleName asc",
    )
    # four counters on the web role (with Requests/Sec), three on the worker
    assert counters == [["mana", 4, 4], ["mana-worker", 3, 3]]
    names = rows(source, "AppPerformanceCounters | distinct Category, Name, Instance")
    assert sorted(map(tuple, names)) == [
        ("ASP.NET Applications", "Requests/Sec", "??APP_W3SVC_PROC??"),
        ("Memory", "Available Bytes", ""),
        ("Process", "Private Bytes", "Mana.Api"),
        ("Process", "Private Bytes", "Mana.Worker"),
        ("Processor", "% Processor Time", "_Total"),
    ]


def test_requests_per_second_is_the_instances_requests_that_minute(source: LocalTelemetrySource) -> None:
    q = """
    let counted = AppPerformanceCounters | where Name == "Requests/Sec"
        | project AppRoleInstance, minute = bin(TimeGenerated, 1m), rps = Value;
    AppRequests | summarize n = count() by AppRoleInstance, minute = bin(TimeGenerated, 1m)
    | join kind=inner (counted) on AppRoleInstance, minute
    | summarize pairs = count(), off = countif(abs(rps * 60 - n) > 0.06)"""
    pairs, off = rows(source, q)[0]
    assert pairs > 10_000 and off == 0


def test_cpu_follows_the_load(source: LocalTelemetrySource) -> None:
    q = """
    AppPerformanceCounters | where AppRoleName == "mana"
    | summarize cpu = avgif(Value, Name == "% Processor Time"), rps = avgif(Value, Name == "Requests/Sec")
        by bin(TimeGenerated, 1h)
    | summarize busiest_rps = max(rps), quietest_rps = min(rps), cpu_at_busiest = arg_max(rps, cpu),
        cpu_at_quietest = arg_min(rps, cpu)"""
    frame = source.query(q, timespan=WEEK).frame
    busy, quiet = float(frame["cpu"].iloc[0]), float(frame["cpu1"].iloc[0])
    assert float(frame["busiest_rps"].iloc[0]) > 5 * float(frame["quietest_rps"].iloc[0])
    assert busy > 2 * quiet and quiet >= 3.0, (busy, quiet)


def test_the_app_service_instance_runs_hot_at_the_daily_peak(source: LocalTelemetrySource) -> None:
    q = """
    AppPerformanceCounters | where Name == "% Processor Time"
    | summarize cpu = avg(Value) by AppRoleInstance, bin(TimeGenerated, 10m)
    | summarize hot = countif(cpu > 80) by AppRoleInstance | order by hot desc"""
    hot = rows(source, q)
    # the smaller plan is above 80 % for ten minutes at every daily peak; an AKS pod only now and then
    assert hot[0][0] == "RD00155D8A4F21" and hot[0][1] >= 7 * 3
    assert all(n * 5 < hot[0][1] for _, n in hot[1:]), hot


def test_memory_counters_are_plausible(source: LocalTelemetrySource) -> None:
    q = """
    AppPerformanceCounters | where Name in ("Private Bytes", "Available Bytes")
    | summarize low = min(Value) / 1048576, high = max(Value) / 1048576 by Name, AppRoleName"""
    for name, role, low, high in rows(source, q):
        assert 100 < low < high < 8192, (name, role, low, high)


def test_availability_tests_run_every_five_minutes_and_fail_in_the_dopa_outage(source: LocalTelemetrySource) -> None:
    runs = rows(source, "availabilityResults | summarize n = count() by name, location | summarize min(n), max(n)")
    assert runs == [[2016, 2016]]  # 7 days x 288 runs of each test from each region
    (outage,) = [i for i in incident_windows(END, 7) if i.name == DOPA_TIMEOUTS]
    q = f"""
    AppAvailabilityResults
    | extend inside = TimeGenerated >= datetime({outage.start:%Y-%m-%dT%H:%M:%SZ})
        and TimeGenerated < datetime({outage.end:%Y-%m-%dT%H:%M:%SZ})
    | summarize runs = count(), failed = countif(Success == false) by Name, inside | order by Name asc, inside asc"""
    by = {(name, inside): (n, failed) for name, inside, n, failed in rows(source, q)}
    n, failed = by[("mana-api health", True)]
    assert failed > 0.7 * n
    # outside the outage, and the shops test throughout, a failure is a rare connection reset
    n, failed = (sum(x) for x in zip(by[("mana-api shops", False)], by[("mana-api shops", True)], strict=True))
    assert failed < 0.01 * n
    n, failed = by[("mana-api health", False)]
    assert failed < 0.01 * n

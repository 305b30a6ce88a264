"""Live metrics over small fixture tables: every figure, the sparkline buckets and the quiet-window fallback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from services.auth import Actor
from services.errors import PermissionDenied
from services.monitoring import live
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

ADMIN = Actor("admin", "admin")


def _dep(minutes_ago: float, ok: bool, role: str = "mana") -> dict:
    return {
        "TimeGenerated": AT - timedelta(minutes=minutes_ago),
        "AppRoleName": role,
        "Target": "api.dopa.go.th",
        "DependencyType": "HTTP",
        "Success": ok,
        "DurationMs": 200.0,
        "ItemCount": 1,
    }


def _exc(minutes_ago: float, kind: str) -> dict:
    return {
        "TimeGenerated": AT - timedelta(minutes=minutes_ago),
        "AppRoleName": "mana",
        "ExceptionType": kind,
        "Message": f"{kind} happened",
        "OperationName": "GET /api/shops",
        "ItemCount": 1,
    }


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    root = tmp_path / "t"
    write(
        root,
        "AppRequests",
        [
            req(0.5, ms=100),
            req(1.5, ms=300, ok=False),
            req(2.5, ms=200),
            req(4.5, ms=400, count=2),  # sampled: counts twice
            req(10, ms=50),  # in the sparkline only
            req(20, ms=50),  # outside both windows
            req(1, ms=999, role="other"),  # another service
        ],
    )
    write(root, "AppDependencies", [_dep(1, True), _dep(2, False), _dep(7, False), _dep(1, False, role="other")])
    write(root, "AppExceptions", [_exc(1, "TimeoutException"), _exc(3, "SqlException"), _exc(8, "Old")])
    return LocalTelemetrySource(root)


def test_snapshot_figures(source: LocalTelemetrySource) -> None:
    snap = live.snapshot(source, actor=ADMIN, service="mana", at=AT)
    assert (snap.requests, snap.failed) == (5, 1)
    assert snap.p95_ms == 400.0  # nearest rank over the four rows of the window
    assert snap.request_rate == pytest.approx(5 / 300)
    assert snap.failed_rate == pytest.approx(1 / 300)
    assert snap.failure_ratio == pytest.approx(0.2)
    assert (snap.calls, snap.calls_failed) == (2, 1)  # the call 7 minutes ago is outside the 5-minute window
    assert snap.newest == AT - timedelta(seconds=30)
    assert snap.lag == timedelta(seconds=30)
    assert list(snap.exceptions["ExceptionType"]) == ["TimeoutException", "SqlException"]
    assert snap.notes == ()


def test_sparkline_has_one_row_per_minute(source: LocalTelemetrySource) -> None:
    s = live.snapshot(source, actor=ADMIN, service="mana", at=AT).series
    assert len(s) == 16  # 11:45 … 12:00
    assert s["bucket"].iloc[0] == pd.Timestamp("2026-11-01T11:45:00Z")
    by = s.set_index(s["bucket"].dt.strftime("%H:%M"))
    nonzero = by[(by["requests"] > 0) | (by["calls"] > 0)]
    assert nonzero[["requests", "failed", "calls", "calls_failed"]].to_dict("index") == {
        "11:50": {"requests": 1, "failed": 0, "calls": 0, "calls_failed": 0},
        "11:53": {"requests": 0, "failed": 0, "calls": 1, "calls_failed": 1},
        "11:55": {"requests": 2, "failed": 0, "calls": 0, "calls_failed": 0},
        "11:57": {"requests": 1, "failed": 0, "calls": 0, "calls_failed": 0},
        "11:58": {"requests": 1, "failed": 1, "calls": 1, "calls_failed": 1},
        "11:59": {"requests": 1, "failed": 0, "calls": 1, "calls_failed": 0},
    }
    assert by.loc["11:58", "p95_ms"] == 300.0
    assert pd.isna(by.loc["11:56", "p95_ms"])


def test_a_quiet_window_reports_the_newest_row_seen(source: LocalTelemetrySource) -> None:
    later = AT + timedelta(hours=2)
    snap = live.snapshot(source, actor=ADMIN, service="mana", at=later)
    assert (snap.requests, snap.failed, snap.p95_ms, snap.calls) == (0, 0, None, 0)
    assert snap.exceptions.empty
    assert snap.series[["requests", "calls"]].sum().tolist() == [0, 0]
    assert snap.newest == AT - timedelta(seconds=30)


def test_no_telemetry_at_all(tmp_path: Path) -> None:
    snap = live.snapshot(LocalTelemetrySource(tmp_path / "empty"), actor=ADMIN, service="mana", at=AT)
    assert (snap.requests, snap.newest, snap.failure_ratio) == (0, None, None)


def test_the_queries_go_out_as_one_batch(source: LocalTelemetrySource) -> None:
    specs = live.specs(service="mana", at=AT)
    assert [s.name for s in specs] == [
        "live_requests",
        "live_requests_series",
        "live_dependencies_series",
        "live_exceptions",
        "counters_by_instance",
    ]
    assert specs[0].timespan == (AT - timedelta(minutes=5), AT)
    assert 'AppRoleName == "mana"' in specs[0].text


def test_a_role_without_telemetry_query_is_refused(source: LocalTelemetrySource, monkeypatch) -> None:
    from services import auth

    monkeypatch.setitem(auth.PERMISSIONS, "telemetry.query", "admin")
    with pytest.raises(PermissionDenied):
        live.snapshot(source, actor=Actor("v", "viewer"), service="mana", at=AT)


def test_the_window_ends_with_the_refresh_slot() -> None:
    # a row stamped at 12:00:03.2 (ingested a moment ago) is inside the window of the refresh that runs at 12:00:03.9
    assert live.slot_end(AT + timedelta(seconds=3.9)) == AT + timedelta(seconds=5)
    assert live.slot_end(AT + timedelta(seconds=5)) == AT + timedelta(seconds=10)

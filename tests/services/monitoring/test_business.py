"""Business metrics over small fixture tables: failed logins, DOPA outcome shares and an AppMetrics series, exactly."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pandas as pd
import pytest

from services.auth import Actor
from services.monitoring import business
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, write

ADMIN = Actor("admin", "admin")
START, END = AT - timedelta(days=1), AT


def _event(minutes_ago: float, name: str, props: str, count: int = 1, role: str = "mana") -> dict:
    return {
        "TimeGenerated": AT - timedelta(minutes=minutes_ago),
        "AppRoleName": role,
        "Name": name,
        "Properties": props,
        "ItemCount": count,
    }


def _metric(minutes_ago: float, name: str, total: float, count: int, lo: float, hi: float) -> dict:
    return {
        "TimeGenerated": AT - timedelta(minutes=minutes_ago),
        "AppRoleName": "mana",
        "Name": name,
        "Sum": total,
        "Min": lo,
        "Max": hi,
        "ItemCount": count,
    }


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    root = tmp_path / "t"
    write(
        root,
        "AppEvents",
        [
            _event(5, "LoginFailed", '{"account": "somchai", "reason": "InvalidPassword"}'),
            _event(6, "LoginFailed", '{"account": "somchai", "reason": "InvalidPassword"}', count=2),
            _event(40, "LoginFailed", '{"account": "anong", "reason": "InvalidPassword"}'),
            _event(41, "LoginFailed", '{"account": "somchai"}', role="other"),  # another service
            _event(60 * 30, "LoginFailed", '{"account": "old"}'),  # outside the day
            _event(5, "DopaVerification", '{"outcome": "verified"}'),
            _event(6, "DopaVerification", '{"outcome": "verified"}'),
            _event(7, "DopaVerification", '{"outcome": "timeout"}'),
            _event(40, "DopaVerification", '{"outcome": "verified"}'),
            _event(5, "OrderPlaced", '{"orderId": 1}'),
        ],
    )
    write(
        root,
        "AppMetrics",
        [
            _metric(5, "orders.value", 1500.0, 2, 500.0, 1000.0),
            _metric(6, "orders.value", 250.5, 1, 250.5, 250.5),
            _metric(40, "orders.value", 99.5, 1, 99.5, 99.5),
            _metric(5, "dopa.latency", 420.0, 2, 200.0, 220.0),
        ],
    )
    return LocalTelemetrySource(root)


def test_business_metrics(source: LocalTelemetrySource) -> None:
    bm = business.business_metrics(partial(runner.run, source), actor=ADMIN, service="mana", start=START, end=END)
    assert bm.bucket == timedelta(minutes=15)
    assert bm.top_accounts[["account", "failed_logins"]].to_dict("records") == [
        {"account": "somchai", "failed_logins": 3},
        {"account": "anong", "failed_logins": 1},
    ]
    assert bm.top_accounts["last_seen"].iloc[0] == pd.Timestamp(AT - timedelta(minutes=5))
    assert bm.failed_login_total == 4
    logins = bm.failed_logins.assign(at=bm.failed_logins["bucket"].dt.strftime("%H:%M"))
    assert logins[["at", "failed_logins", "accounts"]].to_dict("records") == [
        {"at": "11:15", "failed_logins": 1, "accounts": 1},
        {"at": "11:45", "failed_logins": 3, "accounts": 1},
    ]
    assert bm.verifications == 4
    assert bm.verified_share == pytest.approx(0.75)
    assert bm.dopa_totals.to_dict("records") == [
        {"outcome": "verified", "verifications": 3, "share": 0.75},
        {"outcome": "timeout", "verifications": 1, "share": 0.25},
    ]
    dopa = bm.dopa.assign(at=bm.dopa["bucket"].dt.strftime("%H:%M"))
    assert dopa[["at", "outcome", "verifications", "share"]].to_dict("records") == [
        {"at": "11:15", "outcome": "verified", "verifications": 1, "share": 1.0},
        {"at": "11:45", "outcome": "timeout", "verifications": 1, "share": pytest.approx(1 / 3)},
        {"at": "11:45", "outcome": "verified", "verifications": 2, "share": pytest.approx(2 / 3)},
    ]
    assert bm.metric_names == ["dopa.latency", "orders.value"]
    assert bm.metric == "orders.value"
    series = bm.metric_series.assign(at=bm.metric_series["bucket"].dt.strftime("%H:%M"))
    assert series[["at", "total", "samples", "low", "high"]].to_dict("records") == [
        {"at": "11:15", "total": 99.5, "samples": 1, "low": 99.5, "high": 99.5},
        {"at": "11:45", "total": 1750.5, "samples": 3, "low": 250.5, "high": 1000.0},
    ]
    assert (bm.metric_total, bm.metric_samples) == (1850.0, 4)


def test_another_metric_can_be_picked(source: LocalTelemetrySource) -> None:
    bm = business.business_metrics(
        partial(runner.run, source), actor=ADMIN, service="mana", start=START, end=END, metric="dopa.latency"
    )
    assert (bm.metric, bm.metric_total, bm.metric_samples) == ("dopa.latency", 420.0, 2)


def test_a_range_without_data(source: LocalTelemetrySource) -> None:
    bm = business.business_metrics(
        partial(runner.run, source),
        actor=ADMIN,
        service="mana",
        start=AT + timedelta(days=1),
        end=AT + timedelta(days=2),
    )
    assert bm.top_accounts.empty and bm.failed_logins.empty and bm.dopa.empty
    assert (bm.failed_login_total, bm.verifications, bm.verified_share) == (0, 0, None)
    assert (bm.metric_names, bm.metric, bm.metric_total) == ([], "", 0.0)

"""The monitoring services over the fixture transactions: shaped frames, shares, bands, search and details."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest

from services.auth import Actor
from services.errors import InvalidInput, NotFound, PermissionDenied
from services.monitoring import appmap, failures, performance, transactions
from services.monitoring.common import grain_for, with_share
from services.telemetry import runner
from services.telemetry.local import LocalTelemetrySource
from services.telemetry.runner import Runner
from tests.services.monitoring.fixtures import write_all
from tests.telemetry_fixtures import AT

START, END = AT - timedelta(days=1), AT
VIEWER = Actor("vera", "viewer")
SHOPS = "GET /api/shops"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    return partial(runner.run, LocalTelemetrySource(write_all(tmp_path_factory.mktemp("mon") / "t")))


def test_grain_keeps_at_most_120_bins() -> None:
    assert grain_for(END - timedelta(minutes=30), END) == timedelta(minutes=1)
    assert grain_for(END - timedelta(hours=4), END) == timedelta(minutes=5)
    assert grain_for(END - timedelta(days=1), END) == timedelta(minutes=15)
    assert grain_for(END - timedelta(days=7), END) == timedelta(hours=3)
    assert grain_for(END - timedelta(days=30), END) == timedelta(hours=6)


def test_with_share_of_the_column_or_a_total() -> None:
    import pandas as pd

    f = pd.DataFrame({"n": [3, 1]})
    assert list(with_share(f, "n").share) == [0.75, 0.25]
    assert list(with_share(f, "n", 8).share) == [0.375, 0.125]
    assert list(with_share(f, "n", 0).share) == [0.0, 0.0]


def test_failures_overview_totals(run: Runner) -> None:
    ov = failures.overview(run, actor=VIEWER, start=START, end=END)
    assert (ov.requests, ov.failed, ov.grain) == (6, 3, timedelta(minutes=15))
    assert ov.failure_rate == pytest.approx(0.5)
    assert list(ov.operations.failed) == [2, 1, 0] and ov.operations.failed.dtype == "int64"
    worker = failures.overview(run, actor=VIEWER, start=START, end=END, role="mana-worker")
    assert (worker.requests, worker.failed) == (1, 0)
    assert failures.roles(run, actor=VIEWER, start=START, end=END) == ["mana", "mana-worker"]


def test_failures_breakdown_shares(run: Runner) -> None:
    bd = failures.breakdown(run, actor=VIEWER, start=START, end=END, operation=SHOPS)
    assert bd.failed == 2
    assert list(zip(bd.codes.ResultCode, bd.codes.failed, bd.codes.share, strict=True)) == [
        ("500", 1, 0.5),
        ("503", 1, 0.5),
    ]
    assert list(bd.exceptions.share) == [0.5, 0.5]
    everything = failures.breakdown(run, actor=VIEWER, start=START, end=END)
    assert list(everything.codes.share) == pytest.approx([2 / 3, 1 / 3])
    assert list(everything.dependencies.share) == pytest.approx([1 / 3] * 3)


def test_an_empty_range_gives_zeros_not_errors(run: Runner) -> None:
    far = (START - timedelta(days=30), START - timedelta(days=29))
    ov = failures.overview(run, actor=VIEWER, start=far[0], end=far[1])
    assert (ov.requests, ov.failed, ov.failure_rate) == (0, 0, None)
    bd = failures.breakdown(run, actor=VIEWER, start=far[0], end=far[1])
    assert bd.failed == 0 and bd.codes.empty
    assert performance.distribution(run, actor=VIEWER, start=far[0], end=far[1], operation=SHOPS).empty
    assert appmap.app_map(run, actor=VIEWER, start=far[0], end=far[1]).roles == []


def test_transaction_params_link_a_sample() -> None:
    import pandas as pd

    assert failures.transaction_params("op-b", pd.Timestamp("2026-11-01T11:40:00Z")) == {
        "operation_id": "op-b",
        "at": "2026-11-01T11:40:00+00:00",
    }


def test_performance_bands_and_samples(run: Runner) -> None:
    dist = performance.distribution(run, actor=VIEWER, start=START, end=END, operation=SHOPS)
    assert list(dist.band) == ["39.8–50.1 ms", "100–126 ms", "251–316 ms"]
    assert list(dist.requests) == [1, 1, 1]
    assert dist.low_ms.iloc[1] == pytest.approx(100.0) and dist.high_ms.iloc[1] == pytest.approx(125.8925, abs=1e-3)
    slow = performance.samples(run, actor=VIEWER, start=START, end=END, operation=SHOPS, bucket=dist.bucket.iloc[2])
    assert list(slow.OperationId) == ["op-b"]
    assert performance.band_label(0) == "< 1.26 ms"
    assert performance.band(0) == (0.0, pytest.approx(1.2589, abs=1e-4))


def test_performance_operations_and_dependencies(run: Runner) -> None:
    ops = performance.operations(run, actor=VIEWER, start=START, end=END).set_index("Name")
    assert ops.loc[SHOPS, ["avg_ms", "p50_ms", "p95_ms", "p99_ms"]].tolist() == [150.0, 100.0, 300.0, 300.0]
    deps = performance.dependencies(run, actor=VIEWER, start=START, end=END, operation=SHOPS)
    assert list(deps.avg_ms) == [130.0, 20.5] and list(deps.calls) == [2, 2]


def test_property_key_validation() -> None:
    assert transactions.property_key(" shop.id-2_x ") == "shop.id-2_x"
    for bad in ["acc\nount", 'acc"ount', "a'b", "a]b", "", "a b", "x" * 129, 'a"] or true //']:
        with pytest.raises(InvalidInput, match="letters, digits"):
            transactions.property_key(bad)


def test_search_by_property_key_and_value_is_injection_safe(run: Runner) -> None:
    def search(**kw: str) -> list[str]:
        c = transactions.Criteria(**kw)
        return list(transactions.search(run, actor=VIEWER, start=START, end=END, criteria=c).OperationId)

    assert search(prop_key="account", prop_value="somchai") == ["op-e"]
    assert search(prop_key="account", prop_value='x" or 1 == 1 or "') == []
    with pytest.raises(InvalidInput, match="not allowed"):
        search(prop_key='account"] == "" or true or Properties["x', prop_value="y")
    with pytest.raises(InvalidInput, match="without a property name"):
        search(prop_value="somchai")
    assert search(operation="POST /api/orders", result_code="500") == ["op-d"]


def test_details_of_one_transaction(run: Runner) -> None:
    tx = transactions.details(
        run, actor=VIEWER, operation_id=" op-d ", start=START, end=END, at=AT - timedelta(minutes=40)
    )
    assert (tx.start, tx.end) == (AT - timedelta(minutes=100), AT + timedelta(minutes=20))
    assert list(zip(tx.items.item_type, tx.items.depth, strict=True)) == [
        ("request", 0),
        ("dependency", 1),
        ("dependency", 2),
        ("exception", 2),
        ("exception", 1),
    ]
    assert tx.root is not None and tx.root["id"] == "r-d"
    assert all(tx.items.failed[[0, 1, 3, 4]]) and not tx.items.failed[2]


def test_an_unknown_operation_id_is_not_found(run: Runner) -> None:
    with pytest.raises(NotFound, match="No telemetry with OperationId 'nope'"):
        transactions.details(run, actor=VIEWER, operation_id="nope", start=START, end=END)
    with pytest.raises(InvalidInput, match="Enter an OperationId"):
        transactions.details(run, actor=VIEWER, operation_id="  ", start=START, end=END)


def test_parse_at_from_a_link() -> None:
    assert transactions.parse_at("2026-11-01T11:20:00+00:00") == AT - timedelta(minutes=40)
    assert transactions.parse_at("2026-11-01T11:20:00") == AT - timedelta(minutes=40)
    assert transactions.parse_at("yesterday") is None and transactions.parse_at(None) is None


def test_reading_telemetry_needs_the_permission(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    from services import auth

    monkeypatch.setitem(auth.PERMISSIONS, "telemetry.query", "developer")
    with pytest.raises(PermissionDenied, match="Querying telemetry needs the developer role; you are viewer"):
        failures.overview(run, actor=VIEWER, start=START, end=END)
    with pytest.raises(PermissionDenied):
        transactions.details(run, actor=VIEWER, operation_id="op-a", start=START, end=END)
    with pytest.raises(PermissionDenied):
        appmap.app_map(run, actor=VIEWER, start=START, end=END)


def test_search_reads_the_last_hour_first_and_widens_only_when_it_must(run: Runner) -> None:
    import pandas as pd

    from services.telemetry.source import QueryResult

    asked: list[tuple[str, timedelta]] = []

    def counting(name: str, *, start, end, **params):  # type: ignore[no-untyped-def]
        asked.append((name, end - start))
        return run(name, start=start, end=end, **params)

    week = AT - timedelta(days=7)
    found = transactions.search(counting, actor=VIEWER, start=week, end=END, criteria=transactions.Criteria())
    assert found.OperationId.iloc[-1] == "op-old" and len(found) == 7  # 30 hours old: only the week finds it
    assert [span for _, span in asked] == [timedelta(hours=1), timedelta(days=1), timedelta(days=7)]

    def full(name: str, *, start, end, **params):  # type: ignore[no-untyped-def]
        asked.append((name, end - start))
        return QueryResult(name, pd.DataFrame({"OperationId": [f"op{i}" for i in range(100)]}))

    asked.clear()
    transactions.search(full, actor=VIEWER, start=week, end=END, criteria=transactions.Criteria(operation="x"))
    assert asked == [("transaction_search", timedelta(hours=1))]

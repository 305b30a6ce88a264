"""SLO evaluation on the local store equals an independent computation from the same raw rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from services.auth import Actor
from services.slos.evaluation import SloDefinition, evaluate, scan_keys
from services.slos.series import series
from services.telemetry.local import LocalTelemetrySource
from tests.telemetry_fixtures import AT, req, write

VIEWER = Actor("vera", "viewer")
AVAIL = SloDefinition(1, "avail", "mana", None, "availability", 99.0, None, 30)
LATENCY = SloDefinition(2, "lat", "mana", None, "latency", 99.0, 300.0, 30)
LOGIN = SloDefinition(3, "login", "mana", "POST /api/auth/login", "availability", 99.5, None, 7)
STRICT = SloDefinition(4, "strict", "mana", None, "latency", 99.9, 120.0, 28)


def _rows() -> list[dict]:
    rows = []
    # spread over 40 days, so some rows are outside the 30- and 7-day windows
    for i in range(0, 40 * 24 * 60, 37):
        rows.append(
            req(i, ok=i % 11 != 0, ms=50 + (i % 500), name="GET /api/shops" if i % 3 else "POST /api/auth/login")
        )
    # a failure burst in the last 4 minutes, one sampled row counting 5 requests
    rows += [req(m, ok=False, ms=900) for m in (0.5, 1, 2, 3, 4)]
    rows.append(req(2.5, ok=True, ms=120, count=5))
    rows.append(req(1, ok=False, role="other-service"))  # another service: never counted
    rows.append(req(-5, ok=False))  # after AT: never counted
    return rows


@pytest.fixture
def source(tmp_path: Path) -> LocalTelemetrySource:
    rows = _rows()
    write(tmp_path / "t", "AppRequests", rows[: len(rows) // 2])
    write(tmp_path / "t", "AppRequests", rows[len(rows) // 2 :])
    return LocalTelemetrySource(tmp_path / "t")


def _expected(slo: SloDefinition, window: timedelta) -> tuple[int, int]:
    df = pd.DataFrame(_rows())
    df = df[(df.TimeGenerated > AT - window) & (df.TimeGenerated <= AT) & (df.AppRoleName == slo.service)]
    if slo.operation:
        df = df[df.Name == slo.operation]
    good = df.Success if slo.kind == "availability" else df.DurationMs < slo.threshold_ms
    return int(df.ItemCount[good].sum()), int(df.ItemCount.sum())


@pytest.mark.parametrize("slo", [AVAIL, LATENCY, LOGIN, STRICT], ids=lambda s: s.name)
@pytest.mark.parametrize("together", [False, True], ids=["alone", "with-the-others"])
def test_every_figure_equals_an_independent_computation(
    source: LocalTelemetrySource, slo: SloDefinition, together: bool
) -> None:
    slos = [AVAIL, LATENCY, LOGIN, STRICT] if together else [slo]
    st = next(x for x in evaluate(source, slos, actor=VIEWER, at=AT) if x.slo == slo)
    good, total = _expected(slo, timedelta(days=slo.window_days))
    assert (st.good, st.total) == (good, total)
    assert st.sli == pytest.approx(good / total)
    budget = 1 - slo.objective / 100
    assert st.remaining == pytest.approx(1 - (total - good) / (budget * total))
    for w, span in {
        "5m": timedelta(minutes=5),
        "30m": timedelta(minutes=30),
        "1h": timedelta(hours=1),
        "6h": timedelta(hours=6),
        "3d": timedelta(days=3),
    }.items():
        g, t = _expected(slo, span)
        assert st.window_counts[w] == (g, t), w
        expected_burn = None if t == 0 else ((t - g) / t) / budget
        assert st.burn_rate(w) == pytest.approx(expected_burn)


def test_slos_of_one_service_share_a_scan() -> None:
    keys = scan_keys([AVAIL, LATENCY, LOGIN, STRICT])
    assert keys[AVAIL.id] == keys[LATENCY.id]  # the team's two SLOs: one scan
    assert len(set(keys.values())) == 3  # + the login operation, + the 120 ms threshold


def test_the_failure_burst_fires_the_fast_page(source: LocalTelemetrySource) -> None:
    (st,) = evaluate(source, [AVAIL], actor=VIEWER, at=AT)
    fast = st.alerts[0]
    # 5m window: 5 failures + 5 sampled good (+ maybe one regular row): burn far above 14.4
    assert fast.short_burn is not None and fast.short_burn > 14.4
    assert st.as_json()["burn_rates"]["5m"] == pytest.approx(fast.short_burn)


def test_an_slo_with_no_traffic(source: LocalTelemetrySource) -> None:
    ghost = SloDefinition(9, "ghost", "nobody", None, "availability", 99.0, None, 30)
    (st,) = evaluate(source, [ghost], actor=VIEWER, at=AT)
    assert (st.good, st.total, st.sli, st.remaining) == (0, 0, None, 1.0)
    assert all(b is None for b in st.burn_rates.values())
    assert not any(a.firing for a in st.alerts)
    assert st.exhaustion is None
    assert series(st).empty


def test_series_sums_to_the_window_counts(source: LocalTelemetrySource) -> None:
    (st,) = evaluate(source, [AVAIL], actor=VIEWER, at=AT)
    frame = series(st)
    good, total = _expected(AVAIL, timedelta(days=30))
    assert len(frame) == 30 * 24  # every hour of the window, quiet hours as zero
    assert frame["good"].sum() == good and frame["total"].sum() == total
    assert frame["TimeGenerated"].iloc[-1] == AT and frame["TimeGenerated"].dt.tz is not None
    # each hourly point equals the rows in (t - 1h, t]
    df = pd.DataFrame(_rows())
    for _, point in frame.iloc[[-1, -2, -100, 0]].iterrows():
        t = point["TimeGenerated"]
        part = df[(df.TimeGenerated > t - timedelta(hours=1)) & (df.TimeGenerated <= t) & (df.AppRoleName == "mana")]
        assert (point["good"], point["total"]) == (part.ItemCount[part.Success].sum(), part.ItemCount.sum())
    # the burn-down starts near 100 % and ends at the budget remaining now
    assert frame["budget_remaining"].iloc[-1] == pytest.approx(st.remaining)
    first_bad = frame["total"].iloc[0] - frame["good"].iloc[0]
    assert frame["budget_remaining"].iloc[0] == pytest.approx(1 - first_bad / (0.01 * total))
    # three-hour points hold the same requests, and the same hourly rows, three at a time
    coarse = series(st, hours_per_point=3)
    assert len(coarse) == 240 and coarse["TimeGenerated"].iloc[-1] == AT
    assert coarse["total"].iloc[-1] == frame["total"].iloc[-3:].sum()
    assert coarse["good"].sum() == good and coarse["budget_remaining"].iloc[-1] == pytest.approx(st.remaining)


def test_as_of_an_earlier_instant_ignores_later_rows(source: LocalTelemetrySource) -> None:
    earlier = AT - timedelta(days=2)
    (st,) = evaluate(source, [AVAIL], actor=VIEWER, at=earlier)
    df = pd.DataFrame(_rows())
    df = df[
        (df.TimeGenerated > earlier - timedelta(days=30)) & (df.TimeGenerated <= earlier) & (df.AppRoleName == "mana")
    ]
    assert st.total == int(df.ItemCount.sum())

"""SLI, error budget and burn-rate math against hand-computed cases."""

from datetime import timedelta

import pytest

from services.slos import budget


def test_sli_and_budget_for_a_99_percent_objective() -> None:
    # 10,000 requests, 9,950 good: SLI 99.5 %, budget 1 % = 100 bad allowed, 50 bad spent -> half left
    assert budget.sli(9_950, 10_000) == pytest.approx(0.995)
    assert budget.error_budget(99.0) == pytest.approx(0.01)
    assert budget.allowed_bad(99.0, 10_000) == pytest.approx(100.0)
    assert budget.budget_remaining(99.0, 9_950, 10_000) == pytest.approx(0.5)


def test_overspent_budget_goes_negative() -> None:
    # 300 bad of 10,000 against 100 allowed: 1 - 3 = -2
    assert budget.budget_remaining(99.0, 9_700, 10_000) == pytest.approx(-2.0)


def test_zero_traffic_has_no_sli_and_spends_nothing() -> None:
    assert budget.sli(0, 0) is None
    assert budget.budget_remaining(99.0, 0, 0) == 1.0
    assert budget.burn_rate(99.0, 0, 0) is None


def test_burn_rate_is_error_rate_over_budget() -> None:
    # 2 % errors against a 1 % budget burns at 2x; 0.1 % errors at 99.9 % objective burns at 1x
    assert budget.burn_rate(99.0, 980, 1_000) == pytest.approx(2.0)
    assert budget.burn_rate(99.9, 999, 1_000) == pytest.approx(1.0)


def test_thresholds_are_the_workbook_values_for_30_days_and_scale_with_the_window() -> None:
    fast, slow, ticket = budget.POLICIES
    assert fast.threshold(30) == pytest.approx(14.4)
    assert slow.threshold(30) == pytest.approx(6.0)
    assert ticket.threshold(30) == pytest.approx(1.0)
    # 28 days: 0.02 * 672 h / 1 h = 13.44 ; 7 days: 0.05 * 168 h / 6 h = 1.4
    assert fast.threshold(28) == pytest.approx(13.44)
    assert slow.threshold(7) == pytest.approx(1.4)
    assert ticket.threshold(7) == pytest.approx(0.1 * 168 / 72)


def _counts(**bad_total: tuple[int, int]) -> dict[str, tuple[float, float]]:
    return {w: (t - b, t) for w, (b, t) in bad_total.items()}


def test_fast_burn_page_needs_both_windows_over_the_threshold() -> None:
    # 1h: 200 bad / 1,000 = 20 % -> 20x ; 5m: 20 / 100 -> 20x ; both > 14.4 -> firing
    counts = _counts(**{"5m": (20, 100), "30m": (60, 500), "1h": (200, 1000), "6h": (220, 6000), "3d": (300, 72000)})
    fast = budget.alert_statuses(99.0, 30, counts)[0]
    assert fast.long_burn == pytest.approx(20.0) and fast.short_burn == pytest.approx(20.0)
    assert fast.firing
    # the short window has recovered: 1 / 100 -> 1x, so the page stops
    counts["5m"] = (99, 100)
    assert not budget.alert_statuses(99.0, 30, counts)[0].firing


def test_low_traffic_is_flagged_when_one_failure_would_trip_the_alert() -> None:
    # threshold 14.4 at 1 % budget: one bad request in n trips it while 1/(n*0.01) > 14.4 -> n < 6.94 -> need 7
    fast = budget.POLICIES[0]
    assert budget.min_requests_for(fast, 99.0, 30) == 7
    counts = _counts(**{"5m": (0, 3), "30m": (0, 30), "1h": (0, 60), "6h": (0, 400), "3d": (0, 5000)})
    statuses = budget.alert_statuses(99.0, 30, counts)
    assert statuses[0].low_traffic and not statuses[1].low_traffic


def test_empty_windows_never_fire() -> None:
    counts = {w: (0.0, 0.0) for w in budget.BURN_WINDOWS}
    assert not any(a.firing for a in budget.alert_statuses(99.0, 30, counts))


def test_time_to_exhaustion() -> None:
    # half the budget left, burning at 2x over a 30-day window: 0.5 * 30 d / 2 = 7.5 days
    assert budget.time_to_exhaustion(0.5, 30, 2.0) == timedelta(days=7.5)
    assert budget.time_to_exhaustion(0.5, 30, 0.0) is None
    assert budget.time_to_exhaustion(-0.1, 30, 2.0) == timedelta(0)

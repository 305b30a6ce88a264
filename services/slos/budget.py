"""SLI, error budget and multi-window multi-burn-rate math: pure functions over good/total counts.

Formulas (shown on the SLO page):
  SLI                 = good / total
  error budget        = 1 − objective                      (as a fraction of requests)
  allowed bad         = error budget × total
  budget remaining    = 1 − bad / allowed bad              (negative once overspent)
  burn rate (window)  = (bad_w / total_w) / error budget   (1 = spending exactly the budget over the SLO window)
  alert threshold     = budget share × SLO window / long window   (the workbook's 14.4, 6 and 1 for 30 days)
  time to exhaustion  = budget remaining × SLO window / pace      (pace: the 1h burn rate, or a firing alert's
                                                                    long-window burn rate where that is higher)

A window shorter than 30 days keeps the workbook's budget shares, so its thresholds are lower: a 7-day SLO's ticket
fires at 10 % × 7 d / 3 d = 0.23×, a pace that would spend the budget in 30 days; the ticket can fire while the
budget lasts past the window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

BURN_WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "3d": timedelta(days=3),
}


@dataclass(frozen=True)
class AlertPolicy:
    """One multi-window burn-rate alert: both windows must burn faster than the threshold."""

    name: str
    severity: str  # "page" or "ticket"
    long_window: str
    short_window: str
    budget_share: float  # the fraction of the whole budget spent in the long window that triggers it

    def threshold(self, window_days: int) -> float:
        """Burn-rate threshold, scaled to the SLO window: share × window / long window."""
        return self.budget_share * timedelta(days=window_days) / BURN_WINDOWS[self.long_window]


# The SRE workbook's defaults for a 30-day window: 14.4 (2 % in 1h), 6 (5 % in 6h), 1 (10 % in 3d).
POLICIES: tuple[AlertPolicy, ...] = (
    AlertPolicy("page (fast burn)", "page", "1h", "5m", 0.02),
    AlertPolicy("page (slow burn)", "page", "6h", "30m", 0.05),
    AlertPolicy("ticket", "ticket", "3d", "6h", 0.10),
)


def sli(good: float, total: float) -> float | None:
    """good / total as a fraction, or None when there were no requests."""
    return None if total <= 0 else good / total


def error_budget(objective_percent: float) -> float:
    """The error budget as a fraction of requests: 1 − objective."""
    return 1.0 - objective_percent / 100.0


def allowed_bad(objective_percent: float, total: float) -> float:
    """How many bad requests the budget allows for `total` requests."""
    return error_budget(objective_percent) * total


def budget_remaining(objective_percent: float, good: float, total: float) -> float:
    """Fraction of the error budget left: 1 − bad / allowed bad; 1.0 when there was no traffic."""
    allowed = allowed_bad(objective_percent, total)
    if allowed <= 0:
        return 1.0
    return 1.0 - (total - good) / allowed


def burn_rate(objective_percent: float, good: float, total: float) -> float | None:
    """(bad / total) / error budget, or None when the window had no requests."""
    if total <= 0:
        return None
    return ((total - good) / total) / error_budget(objective_percent)


def min_requests_for(policy: AlertPolicy, objective_percent: float, window_days: int) -> int:
    """Fewest requests in the short window for one bad request not to trip the alert by itself."""
    return math.ceil(1.0 / (policy.threshold(window_days) * error_budget(objective_percent)))


@dataclass(frozen=True)
class AlertStatus:
    """A burn-rate alert's state with the numbers behind it."""

    policy: AlertPolicy
    threshold: float
    long_burn: float | None
    short_burn: float | None
    firing: bool
    low_traffic: bool
    min_requests: int
    short_total: float


def alert_statuses(
    objective_percent: float, window_days: int, counts: Mapping[str, tuple[float, float]]
) -> list[AlertStatus]:
    """Every policy's state from per-window (good, total) counts."""
    out = []
    for p in POLICIES:
        thr = p.threshold(window_days)
        long_b = burn_rate(objective_percent, *counts[p.long_window])
        short_b = burn_rate(objective_percent, *counts[p.short_window])
        firing = long_b is not None and short_b is not None and long_b > thr and short_b > thr
        need = min_requests_for(p, objective_percent, window_days)
        short_total = counts[p.short_window][1]
        out.append(AlertStatus(p, thr, long_b, short_b, firing, short_total < need, need, short_total))
    return out


def pace(burn_1h: float | None, alerts: Sequence[AlertStatus]) -> tuple[str, float | None]:
    """The window and burn rate the time to exhaustion extrapolates: the last hour's, or a firing alert's long window
    where that burns faster (a firing alert burns above zero, so it is never shown beside 'not burning')."""
    window, rate = "1h", burn_1h
    for a in alerts:
        if a.firing and a.long_burn is not None and (rate is None or a.long_burn > rate):
            window, rate = a.policy.long_window, a.long_burn
    return window, rate


def time_to_exhaustion(remaining: float, window_days: int, current_burn: float | None) -> timedelta | None:
    """How long until the budget is gone at the current burn; None when not burning; zero when already gone."""
    if remaining <= 0:
        return timedelta(0)
    if current_burn is None or current_burn <= 0:
        return None
    return timedelta(days=window_days) * remaining / current_burn

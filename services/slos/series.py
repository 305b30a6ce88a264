"""An evaluated SLO as chart series (pandas, for the pages): good/total per point, the budget burn-down and the burn
rate per bin; and the scan's hour buckets of a frame."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from services.slos import budget
from services.slos.evaluation import SloStatus, bucket_hours_ago


def hours_ago(frame: pd.DataFrame, at: datetime) -> pd.Series:
    """Each bucket's distance from `at` in whole hours (evaluation.bucket_hours_ago for every row of a frame)."""
    return pd.to_datetime(frame["bucket"], utc=True).map(lambda b: bucket_hours_ago(b.to_pydatetime(), at)).astype(int)


def series(status: SloStatus, *, hours_per_point: int = 1) -> pd.DataFrame:
    """Good/total per point of `hours_per_point` hours (quiet hours as zero), oldest first, with budget columns."""
    slo, at = status.slo, status.at
    hours = slo.window_days * 24
    h = pd.DataFrame(status.hourly, columns=["hours_ago", "good", "total"])
    if hours_per_point > 1 and len(h):
        h = h.assign(hours_ago=(h["hours_ago"] // hours_per_point) * hours_per_point)
        h = h.groupby("hours_ago", as_index=False)[["good", "total"]].sum()
    base = pd.DataFrame({"hours_ago": range(hours - hours_per_point, -1, -hours_per_point)})
    if len(h):
        base = base.merge(h[["hours_ago", "good", "total"]], on="hours_ago", how="left")
    else:
        base["good"] = 0.0
        base["total"] = 0.0
    base = base.fillna({"good": 0.0, "total": 0.0})
    # the point hours_ago = k holds (at − (k+n)h, at − k h]; it is charted at its end
    base["TimeGenerated"] = [at - timedelta(hours=int(k)) for k in base["hours_ago"]]
    if status.total == 0:
        return add_budget_columns(base.iloc[0:0], slo.objective)
    return add_budget_columns(base, slo.objective)


def add_budget_columns(frame: pd.DataFrame, objective: float) -> pd.DataFrame:
    """Add sli, burn_rate per bin and the burn-down: budget_remaining = 1 − cumulative bad / (budget × window total)."""
    columns = ["TimeGenerated", "good", "total", "sli", "cum_bad", "budget_remaining", "burn_rate"]
    f = frame.copy()
    if f.empty:
        return pd.DataFrame(columns=columns)
    f["good"] = f["good"].astype(float)
    f["total"] = f["total"].astype(float)
    eb = budget.error_budget(objective)
    f["sli"] = (f["good"] / f["total"]).where(f["total"] > 0)
    f["cum_bad"] = (f["total"] - f["good"]).cumsum()
    allowed = eb * f["total"].sum()
    f["budget_remaining"] = 1 - f["cum_bad"] / allowed if allowed > 0 else 1.0
    f["burn_rate"] = ((f["total"] - f["good"]) / f["total"] / eb).where(f["total"] > 0)
    return f[columns]

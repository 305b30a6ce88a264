"""Business metrics from custom telemetry: failed logins per account, DOPA verification outcomes, AppMetrics series.

Counts are sums of ItemCount (sampling-aware). A DOPA outcome's share in a bucket is its verifications divided by
all verifications of that bucket; over the range, by all verifications of the range.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from services.auth import Actor
from services.monitoring import figures
from services.monitoring.common import fetch, grain_for, to_int, with_share
from services.telemetry.runner import Runner, may_read

ORDERS_METRIC = "orders.value"
VERIFIED = "verified"


@dataclass(frozen=True)
class BusinessMetrics:
    """The Business metrics page's numbers over [start, end]."""

    service: str
    start: datetime
    end: datetime
    bucket: timedelta
    top_accounts: pd.DataFrame
    failed_logins: pd.DataFrame  # bucket, failed_logins, accounts
    dopa: pd.DataFrame  # bucket, outcome, verifications, share (of the bucket)
    dopa_totals: pd.DataFrame  # outcome, verifications, share (of the range)
    metric_names: list[str]
    metric: str
    metric_series: pd.DataFrame  # bucket, total, samples, low, high
    logins: figures.FailedLogins  # the Home tile's figure, the same definition
    notes: list[str] = field(default_factory=list)

    @property
    def failed_login_total(self) -> int:
        """LoginFailed events of the service in the range, every account's (services.monitoring.figures)."""
        return self.logins.total

    @property
    def verifications(self) -> int:
        """DopaVerification events in the range."""
        return int(self.dopa_totals["verifications"].sum()) if len(self.dopa_totals) else 0

    @property
    def verified_share(self) -> float | None:
        """verified / all verifications over the range (None without verifications)."""
        if not self.verifications:
            return None
        ok = self.dopa_totals.loc[self.dopa_totals["outcome"] == VERIFIED, "verifications"].sum()
        return float(ok) / self.verifications

    @property
    def metric_total(self) -> float:
        """Sum of the chosen metric over the range (e.g. THB of orders)."""
        return float(self.metric_series["total"].sum()) if len(self.metric_series) else 0.0

    @property
    def metric_samples(self) -> int:
        """Samples of the chosen metric over the range (e.g. orders placed)."""
        return int(self.metric_series["samples"].sum()) if len(self.metric_series) else 0


def dopa_shares(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per bucket and outcome the share of the bucket's verifications; per outcome the share of the range's."""
    if frame.empty:
        empty = pd.DataFrame(columns=["outcome", "verifications", "share"])
        return pd.DataFrame(columns=["bucket", "outcome", "verifications", "share"]), empty
    f = to_int(frame.copy(), "verifications")
    per_bucket = f.groupby("bucket")["verifications"].transform("sum")
    f["share"] = f["verifications"] / per_bucket
    totals = pd.DataFrame(f.groupby("outcome", as_index=False)["verifications"].sum())
    totals = with_share(totals, "verifications").sort_values(["verifications", "outcome"], ascending=[False, True])
    return f[["bucket", "outcome", "verifications", "share"]], totals.reset_index(drop=True)


def business_metrics(
    run: Runner,
    *,
    actor: Actor,
    service: str,
    start: datetime,
    end: datetime,
    metric: str | None = None,
    top: int = 10,
) -> BusinessMetrics:
    """Failed logins (top accounts and over time), DOPA outcomes and one AppMetrics series over [start, end]."""
    may_read(actor)
    bucket = grain_for(start, end)
    notes: list[str] = []
    top_accounts = to_int(
        fetch(run, "business_failed_logins_top", start, end, notes, actor=actor, service=service, limit=top),
        "failed_logins",
    )
    logins = to_int(
        fetch(run, "business_failed_logins_series", start, end, notes, actor=actor, service=service, bucket=bucket),
        "failed_logins",
        "accounts",
    )
    dopa, dopa_totals = dopa_shares(
        fetch(run, "business_dopa_outcomes", start, end, notes, actor=actor, service=service, bucket=bucket)
    )
    names_frame = fetch(run, "business_metric_names", start, end, notes, actor=actor, service=service)
    names = [str(n) for n in names_frame["Name"]] if len(names_frame) else []
    chosen = metric if metric in names else (ORDERS_METRIC if ORDERS_METRIC in names else (names[0] if names else ""))
    series = pd.DataFrame(columns=["bucket", "total", "samples", "low", "high"])
    if chosen:
        series = to_int(
            fetch(
                run,
                "business_metric_series",
                start,
                end,
                notes,
                actor=actor,
                service=service,
                metric=chosen,
                bucket=bucket,
            ),
            "samples",
        )
    return BusinessMetrics(
        service=service,
        start=start,
        end=end,
        bucket=bucket,
        top_accounts=top_accounts,
        failed_logins=logins,
        dopa=dopa,
        dopa_totals=dopa_totals,
        metric_names=names,
        metric=chosen,
        metric_series=series,
        logins=figures.failed_logins(run, actor=actor, service=service, start=start, end=end),
        notes=notes,
    )

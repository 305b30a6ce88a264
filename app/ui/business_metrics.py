"""Business metrics as the page shows them: the headline figures, failed logins, DOPA verification outcomes and one
custom metric over the chosen range."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from app.ui import format as fmt
from app.ui.kql_chart import count_bars, line_chart, share_chart
from services.monitoring.business import BusinessMetrics

OUTCOME_COLORS = {
    "verified": "#2e7d32",
    "mismatch": "#f9a825",
    "invalid": "#ef6c00",
    "timeout": "#c62828",
    "error": "#8e0000",
}


def _every(step: timedelta) -> str:
    mins = int(step.total_seconds() // 60)
    return f"{mins} min" if mins < 60 else (f"{mins // 60} h" if mins < 1440 else f"{mins // 1440} d")


def _between(bm: BusinessMetrics) -> str:
    return f"between {fmt.when(bm.start)} and {fmt.when(bm.end)}"


def business_figures(bm: BusinessMetrics) -> None:
    """Failed logins, DOPA verifications, the verified share and the chosen custom metric's total."""
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Failed logins", fmt.num(bm.failed_login_total), border=True)
    c2.metric("DOPA verifications", fmt.num(bm.verifications), border=True)
    c3.metric(
        "DOPA verified",
        fmt.pct(bm.verified_share, 1),
        help="verified / all DopaVerification events in the range",
        border=True,
    )
    c4.metric(
        bm.metric or "custom metric",
        fmt.num(bm.metric_total, 0 if bm.metric_total >= 100 else 2),
        help=f"sum of Sum over the range, from {bm.metric_samples:,} samples (sum of ItemCount)",
        border=True,
    )


def failed_logins(bm: BusinessMetrics) -> None:
    """The accounts with the most failed logins and failed logins per bucket."""
    st.subheader("Failed logins", divider="gray")
    if bm.top_accounts.empty:
        st.info(f"No failed logins {_between(bm)}.")
        return
    left, right = st.columns([1, 2])
    left.caption("Accounts with the most failed logins")
    left.dataframe(bm.top_accounts, hide_index=True, width="stretch")
    right.altair_chart(count_bars(bm.failed_logins, time_col="bucket", value_col="failed_logins"), width="stretch")
    right.caption(f"Failed logins per {_every(bm.bucket)} (the tooltip adds the distinct accounts).")


def dopa_outcomes(bm: BusinessMetrics) -> None:
    """Verification outcomes over the range and each outcome's share per bucket."""
    st.subheader("DOPA verification outcomes", divider="gray")
    if bm.dopa.empty:
        st.info(f"No DOPA verifications {_between(bm)}.")
        return
    left, right = st.columns([1, 2])
    left.dataframe(
        bm.dopa_totals,
        hide_index=True,
        width="stretch",
        column_config={"share": st.column_config.NumberColumn("share", format="percent")},
    )
    outcomes = set(bm.dopa["outcome"])
    colors = {o: c for o, c in OUTCOME_COLORS.items() if o in outcomes}
    colors.update({o: "#7a7a7a" for o in sorted(outcomes - set(colors))})  # an outcome the page does not know
    right.altair_chart(share_chart(bm.dopa, time_col="bucket", series="outcome", colors=colors), width="stretch")
    right.caption(f"Share of each outcome among the verifications of each {_every(bm.bucket)} bucket.")


def custom_metric(bm: BusinessMetrics) -> None:
    """A picker of the custom metrics seen and the chosen one's total and samples per bucket."""
    st.subheader("Custom metrics", divider="gray")
    if not bm.metric_names:
        st.info(f"No custom metrics (AppMetrics) {_between(bm)}.")
        return
    st.selectbox("Metric", bm.metric_names, index=bm.metric_names.index(bm.metric), key="business.metric")
    chart = line_chart(bm.metric_series[["bucket", "total", "samples"]])
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    st.caption(
        f"{bm.metric}: total (sum of Sum) and samples (sum of ItemCount) per {_every(bm.bucket)}; "
        f"over the range {fmt.num(bm.metric_total, 2)} from {bm.metric_samples:,} samples."
    )

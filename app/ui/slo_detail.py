"""One SLO's status as the SLOs page shows it: the summary table, and per SLO its budget arithmetic, burn rates and
charts, each figure with the formula behind it."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.safe import inert
from app.ui.slo_charts import burndown_chart, sli_chart
from services.slos.budget import BURN_WINDOWS
from services.slos.evaluation import SloStatus
from services.slos.series import series


def summary_table(statuses: list[SloStatus]) -> pd.DataFrame:
    """One row per SLO: SLI, objective, budget remaining, 1 h burn rate and the alerts firing."""
    rows = []
    for s in statuses:
        firing = [a.policy.name for a in s.alerts if a.firing]
        rows.append(
            {
                "SLO": s.slo.name,
                "SLI": fmt.pct(s.sli),
                "objective": f"{s.slo.objective:g} %",
                "window": f"{s.slo.window_days} d",
                "budget remaining": fmt.pct(s.remaining, 1),
                "burn 1h": fmt.rate(s.burn_rate("1h")),
                "alerts": ", ".join(firing) if firing else "none firing",
            }
        )
    return pd.DataFrame(rows)


def slo_detail(s: SloStatus) -> None:
    """The SLI and error budget with their arithmetic, the burn-rate windows and alerts, and the charts."""
    _budget(s)
    _burn_rates(s)
    _charts(s)


def _budget(s: SloStatus) -> None:
    slo = s.slo
    st.markdown(f"**SLI** = {inert(slo.describe_sli())}, over a rolling {slo.window_days}-day window.")
    for which, text in (slo.ratio_queries() if slo.kind == "ratio" else {}).items():
        st.caption(f"{which.capitalize()} query (its rows are counted in every window):")
        st.code(text, language="kql")
    if s.total == 0:
        where = "the queries" if slo.kind == "ratio" else "the service name"
        st.warning(
            f"No {slo.events} in the window: the SLI is undefined and no budget is being spent. "
            f"Check {where} and that telemetry is arriving."
        )
    c = st.columns(6)
    c[0].metric("SLI", fmt.pct(s.sli), help=f"good / total = {s.good:,} / {s.total:,}")
    c[1].metric("Objective", f"{slo.objective:g} %", delta=None)
    c[5].metric(
        "Error budget", fmt.num(s.allowed_bad), help=f"allowed bad {slo.events} = {s.error_budget:.4g} × {s.total:,}"
    )
    c[2].metric("Budget remaining", fmt.pct(s.remaining, 1), help="1 − bad / (error budget × total)")
    left = f"allowed bad {s.allowed_bad:,.1f} − bad {s.bad:,}"
    c[3].metric(f"Bad {slo.events} left", fmt.num(s.remaining_bad), help=left)
    window, rate = s.pace
    c[4].metric(
        "Budget gone in",
        fmt.duration(s.exhaustion),
        help=f"budget remaining × {slo.window_days} d / burn rate({window}) = {fmt.pct(s.remaining, 1)} × "
        f"{slo.window_days} d / {fmt.rate(rate)}; the {window} rate is used "
        + ("because a burn-rate alert fires over it" if window != "1h" else "as the current pace"),
    )
    eb = s.error_budget
    st.markdown(
        f"Error budget = 1 − {slo.objective:g} % = **{eb * 100:.3g} %** of {slo.events} → allowed bad = "
        f"{eb:.4g} × {s.total:,} = **{s.allowed_bad:,.1f}**; bad = {s.total:,} − {s.good:,} = **{s.bad:,}**; "
        f"remaining = 1 − {s.bad:,} / {s.allowed_bad:,.1f} = **{fmt.pct(s.remaining, 2)}**."
    )


def _burn_rates(s: SloStatus) -> None:
    slo = s.slo
    st.subheader("Burn rates", divider="gray")
    st.caption(
        "burn rate = (bad / total in the window) / error budget; 1× spends exactly the budget over "
        f"{slo.window_days} days. Threshold = budget share × {slo.window_days} d / long window."
    )
    windows = pd.DataFrame(
        [
            {
                "window": w,
                "good": f"{s.window_counts[w][0]:,}",
                "total": f"{s.window_counts[w][1]:,}",
                "bad": f"{s.window_counts[w][1] - s.window_counts[w][0]:,}",
                "burn rate": fmt.rate(s.burn_rate(w)),
            }
            for w in BURN_WINDOWS
        ]
    )
    st.dataframe(windows, hide_index=True, width="stretch")
    alerts = pd.DataFrame(
        [
            {
                "alert": a.policy.name,
                "threshold": f"{a.policy.budget_share:.0%} × {slo.window_days}d / {a.policy.long_window} = "
                f"{a.threshold:.2f}×",
                "long window": f"{a.policy.long_window}: {fmt.rate(a.long_burn)}",
                "short window": f"{a.policy.short_window}: {fmt.rate(a.short_burn)}",
                "status": "FIRING" if a.firing else "ok (both must exceed the threshold)",
                "traffic": f"low: {a.short_total:,.0f} < {a.min_requests} req in {a.policy.short_window}"
                if a.low_traffic
                else "enough",
            }
            for a in s.alerts
        ]
    )
    st.dataframe(alerts, hide_index=True, width="stretch")
    if note := _ticket_note(s):
        st.caption(note)
    low = [a for a in s.alerts if a.low_traffic]
    if low:
        st.warning(
            "Traffic is too low for some burn-rate alerts to mean anything: a single failed request "
            "would exceed the threshold ("
            + "; ".join(
                f"{a.policy.name}: {a.short_total:,.0f} requests in {a.policy.short_window}, needs ≥ {a.min_requests}"
                for a in low
            )
            + ")."
        )


def _ticket_note(s: SloStatus) -> str | None:
    """Why a ticket can fire while the budget lasts, for windows shorter than 30 days (threshold below 1×)."""
    ticket = next((a for a in s.alerts if a.policy.severity == "ticket" and a.threshold < 1), None)
    if ticket is None:
        return None
    p = ticket.policy
    days = BURN_WINDOWS[p.long_window] / p.budget_share / timedelta(days=1)
    return (
        f"Why a ticket can fire while the budget lasts: it fires when {p.budget_share:.0%} of the budget goes in "
        f"{p.long_window}, a pace that spends the whole budget in {days:g} days ({p.long_window} / "
        f"{p.budget_share:.0%}); for a {s.slo.window_days}-day window that is {ticket.threshold:.2f}×, below the 1× "
        f"that would spend it by the window's end, so a firing ticket means a slow burn to look at, not a budget "
        "about to run out."
    )


def _charts(s: SloStatus) -> None:
    slo = s.slo
    hours = 1 if slo.window_days <= 7 else 3
    with shown_errors("loading the SLO charts"):
        frame = series(s, hours_per_point=hours)
        if frame.empty:
            st.info(f"No {slo.events} in the window, so there is nothing to chart.")
        else:
            left, right = st.columns(2)
            left.markdown(f"**SLI over time** (per {hours} h; red: objective)")
            left.altair_chart(sli_chart(frame, slo.objective), width="stretch")
            right.markdown(
                f"**Error budget burn-down**: 1 − bad so far / allowed bad ({s.allowed_bad:,.1f}) for the window"
            )
            right.altair_chart(burndown_chart(frame), width="stretch")

"""One refresh of Live metrics as the page shows it: five figures with sparklines, every role's CPU % and memory,
what an empty window means, the latest exceptions and how fresh the newest row is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.ui import format as fmt
from app.ui.safe import inert
from services.monitoring import counters, live

WINDOW_MIN = int(live.WINDOW.total_seconds() // 60)


def _ago(snap: live.LiveSnapshot) -> str:
    # seconds while it is fresh: the page says how far behind a 5-second refresh the newest row is
    secs = max(0, int(snap.lag.total_seconds())) if snap.lag is not None else 0
    return f"{secs} s" if secs < 120 else (f"{secs // 60} min" if secs < 7200 else f"{secs / 3600:.1f} h")


def _per_s(value: float) -> str:
    return f"{value:,.2f}" if value >= 1 else f"{value:.3f}"


def _spark(values: pd.Series) -> list[float]:
    return [float(v) for v in values.fillna(0.0)]  # NaN (a quiet minute) -> 0


def live_figures(snap: live.LiveSnapshot) -> None:
    """Request and failure rates, p95 and dependency calls, each with the arithmetic in its help."""
    s = snap.series
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric(
        "Incoming requests/s",
        _per_s(snap.request_rate),
        help=f"{snap.requests:,} requests in {WINDOW_MIN} min ÷ {snap.window.total_seconds():.0f} s",
        chart_data=_spark(s["requests"] / 60),
        border=True,
    )
    c2.metric(
        "Failed requests/s",
        _per_s(snap.failed_rate),
        help=f"{snap.failed:,} failed requests in {WINDOW_MIN} min; failure rate "
        f"{fmt.pct(snap.failure_ratio, 2)} = failed / requests",
        chart_data=_spark(s["failed"] / 60),
        chart_type="bar",
        border=True,
    )
    c3.metric(
        "p95 duration",
        "—" if snap.p95_ms is None else f"{snap.p95_ms:,.0f} ms",
        help=f"95th percentile of DurationMs over the last {WINDOW_MIN} min; the sparkline is p95 per minute",
        chart_data=_spark(s["p95_ms"]),
        border=True,
    )
    c4.metric(
        "Dependency calls/s",
        _per_s(snap.call_rate),
        help=f"{snap.calls:,} dependency calls in {WINDOW_MIN} min",
        chart_data=_spark(s["calls"] / 60),
        border=True,
    )
    c5.metric(
        "Failed dependency calls",
        fmt.num(snap.calls_failed),
        help=f"failed dependency calls in the last {WINDOW_MIN} min (Success == false)",
        chart_data=_spark(s["calls_failed"]),
        chart_type="bar",
        border=True,
    )


def live_usage(snap: live.LiveSnapshot) -> None:
    """CPU % and memory of every role over the window, two figures a role; the notice when the service sent none."""
    usage = snap.usage
    if usage is None:
        return
    for role in usage.silent([snap.service]):
        st.info(inert(counters.missing(role, f"the last {WINDOW_MIN} minutes")))
    for u in usage.roles:
        c1, c2 = st.columns(2)
        c1.metric(
            f"CPU · {u.role}",
            "—" if u.cpu_pct is None else f"{u.cpu_pct:.1f} %",
            help=f"average of {u.cpu_samples:,} % Processor Time samples from {u.instances} role instance(s) in "
            f"the last {WINDOW_MIN} min",
            border=True,
        )
        c2.metric(
            f"Memory · {u.role}",
            "—" if u.memory_mb is None else f"{u.memory_mb:,.0f} MB",
            help=f"average of {u.memory_samples:,} Private Bytes samples in the last {WINDOW_MIN} min; "
            "1 MB = 1,048,576 bytes",
            border=True,
        )


def live_freshness(snap: live.LiveSnapshot) -> None:
    """Why the window is empty (if it is), the latest exceptions, and the newest timestamp seen."""
    if snap.newest is None:
        st.info(
            f"No telemetry from {snap.service} in the last {live.LOOKBACK.days * 24} hours. "
            "Is the service running, and is the telemetry source the right one?"
        )
    elif snap.requests == 0 and snap.calls == 0:
        st.info(
            f"No requests from {snap.service} in the last {WINDOW_MIN} minutes; the newest one seen is from "
            f"{fmt.when(snap.newest)} ({_ago(snap)} ago)."
        )
    st.subheader(f"Latest exceptions (last {WINDOW_MIN} min)", divider="gray")
    if snap.exceptions.empty:
        st.caption("No exceptions in the window.")
    else:
        st.dataframe(snap.exceptions, hide_index=True, width="stretch")
    newest = "none" if snap.newest is None else f"{fmt.when(snap.newest)} ({_ago(snap)} before now)"
    st.caption(
        f"Newest timestamp seen: {newest} · refreshed {fmt.when(snap.at)} · "
        f"{snap.elapsed_s * 1000:,.0f} ms for the queries"
    )

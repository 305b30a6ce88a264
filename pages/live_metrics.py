"""Live metrics: request and failure rates, p95, dependency calls and the latest exceptions, refreshed every 5 s."""

import streamlit as st

from app.auth import current_actor
from app.data import live_snapshot, now_floor, service_name
from app.ui import format as fmt
from app.ui.errors import shown_errors
from services.monitoring import live

actor = current_actor()
service = service_name()
window_min = int(live.WINDOW.total_seconds() // 60)
spark_min = int(live.SPARK.total_seconds() // 60)
st.title("Live metrics")
st.caption(
    f"Polls the stored telemetry of **{service}** every 5 seconds: the figures cover the last {window_min} minutes, "
    f"the sparklines the last {spark_min} minutes per minute. This is not a live stream: on Azure, ingestion delay "
    "applies (rows usually arrive one to a few minutes after they happen), so check the newest timestamp below."
)


def _ago(snap: live.LiveSnapshot) -> str:
    secs = max(0, int(snap.lag.total_seconds())) if snap.lag is not None else 0
    return f"{secs} s" if secs < 120 else (f"{secs // 60} min" if secs < 7200 else f"{secs / 3600:.1f} h")


def _per_s(value: float) -> str:
    return f"{value:,.2f}" if value >= 1 else f"{value:.3f}"


def _spark(values: object) -> list[float]:
    return [0.0 if v != v else float(v) for v in values]  # type: ignore[attr-defined]  # NaN (quiet minute) -> 0


@st.fragment(run_every="5s")
def live_panel() -> None:
    """One refresh: the live queries and their figures."""
    with shown_errors("refreshing live metrics"):
        snap = live_snapshot(actor, actor.role, service, now_floor(5))
        for note in snap.notes:
            st.warning(note)
        s = snap.series
        c1, c2, c3, c4, c5 = st.columns(5)
        c1.metric(
            "Incoming requests/s",
            _per_s(snap.request_rate),
            help=f"{snap.requests:,} requests in {window_min} min ÷ {snap.window.total_seconds():.0f} s",
            chart_data=_spark(s["requests"] / 60),
            border=True,
        )
        c2.metric(
            "Failed requests/s",
            _per_s(snap.failed_rate),
            help=f"{snap.failed:,} failed requests in {window_min} min; failure rate "
            f"{fmt.pct(snap.failure_ratio, 2)} = failed / requests",
            chart_data=_spark(s["failed"] / 60),
            chart_type="bar",
            border=True,
        )
        c3.metric(
            "p95 duration",
            "—" if snap.p95_ms is None else f"{snap.p95_ms:,.0f} ms",
            help=f"95th percentile of DurationMs over the last {window_min} min; the sparkline is p95 per minute",
            chart_data=_spark(s["p95_ms"]),
            border=True,
        )
        c4.metric(
            "Dependency calls/s",
            _per_s(snap.call_rate),
            help=f"{snap.calls:,} dependency calls in {window_min} min",
            chart_data=_spark(s["calls"] / 60),
            border=True,
        )
        c5.metric(
            "Failed dependency calls",
            fmt.num(snap.calls_failed),
            help=f"failed dependency calls in the last {window_min} min (Success == false)",
            chart_data=_spark(s["calls_failed"]),
            chart_type="bar",
            border=True,
        )
        if snap.newest is None:
            st.info(
                f"No telemetry from {service} in the last {live.LOOKBACK.days * 24} hours. "
                "Is the service running, and is the telemetry source the right one?"
            )
        elif snap.requests == 0 and snap.calls == 0:
            st.info(
                f"No requests from {service} in the last {window_min} minutes; the newest one seen is from "
                f"{fmt.when(snap.newest)} ({_ago(snap)} ago)."
            )
        st.subheader(f"Latest exceptions (last {window_min} min)", divider="gray")
        if snap.exceptions.empty:
            st.caption("No exceptions in the window.")
        else:
            st.dataframe(snap.exceptions, hide_index=True, width="stretch")
        newest = "none" if snap.newest is None else f"{fmt.when(snap.newest)} ({_ago(snap)} before now)"
        st.caption(
            f"Newest timestamp seen: {newest} · refreshed {fmt.when(snap.at)} · "
            f"{snap.elapsed_s * 1000:,.0f} ms for the queries"
        )


live_panel()

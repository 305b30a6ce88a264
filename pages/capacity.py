"""Capacity plan: throughput versus latency from a ramping run, sustained RPS within the latency SLO, headroom
against production's peak, the replicas needed from RPS and from CPU per request, and an HPA to copy."""

import streamlit as st

from app.auth import current_actor
from app.loadtest_data import run_reports, run_series
from app.ui.capacity_plan import hpa_manifest, latency_threshold, peak_and_headroom, plan_figures, production_window
from app.ui.cpu_sizing import cpu_sizing
from app.ui.errors import shown_errors
from app.ui.loadtest_charts import throughput_latency
from services.loadtests import capacity

actor = current_actor()
st.title("Capacity plan")
st.caption(
    "A bucket is **sustained** when the run covers all of it and its p95 is at or under the latency SLO's "
    "threshold; the sustained RPS is the highest RPS of such buckets. replicas = ceil(peak × (1 + headroom) / "
    "per-replica sustained RPS), per-replica = sustained RPS / replicas the run measured."
)

with shown_errors("planning capacity"):
    runs = [r for r in run_reports(actor, actor.name) if r.has_points]
    if not runs:
        st.info(
            "Capacity planning needs a ramping run with raw points (its `--out json` or `--out csv`); import one "
            "on the Load tests page first."
        )
        st.stop()
    by_id = {r.id: r for r in runs}
    c1, c2 = st.columns(2)
    run = by_id[c1.selectbox("Ramping run", list(by_id), key="capacity.run", format_func=lambda i: by_id[i].title)]
    if st.session_state.get("capacity.bucket_run") != run.id:  # a newly chosen run starts at its own default
        st.session_state["capacity.bucket"] = capacity.default_bucket_s(run.duration_s)
        st.session_state["capacity.bucket_run"] = run.id
    bucket = c2.number_input(
        "Bucket (s)",
        min_value=1,
        max_value=600,
        step=5,
        key="capacity.bucket",
        help=f"By default the longest of {', '.join(map(str, capacity.BUCKETS_S))} s that gives the run at least "
        f"{capacity.MIN_BUCKETS} buckets (60 s makes the sustained RPS a 1-minute average, like production's peak).",
    )
    with c1:
        threshold = latency_threshold(actor, run)
    replicas_measured = int(c2.number_input("Replicas the run measured", min_value=1, value=1, key="capacity.replicas"))
    curve = capacity.curve(run_series(run.points_file or "", int(bucket)), threshold_ms=threshold)
    st.altair_chart(throughput_latency(curve, threshold), width="stretch")
    sustained = capacity.sustained_rps(curve)
    if sustained is None:
        st.warning(
            f"No whole {bucket}-s bucket had p95 ≤ {threshold:g} ms: the run never sustained load within the SLO "
            "(or it is shorter than one bucket; try a smaller bucket)."
        )
        st.stop()
    window = production_window()
    peak_rps, headroom = peak_and_headroom(actor, run, window)
    p = capacity.plan(
        sustained_rps=sustained, measured_replicas=replicas_measured, peak_rps=peak_rps, headroom=headroom
    )
    plan_figures(p, replicas_measured)
    replicas, utilisation, binds = cpu_sizing(actor, run, p, window)
    hpa_manifest(p, run, threshold, replicas=replicas, utilisation_pct=utilisation, binds=binds)

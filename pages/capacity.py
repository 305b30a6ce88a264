"""Capacity plan: throughput versus latency from a ramping run, sustained RPS within the latency SLO, headroom
against production's peak, the replicas needed and an HPA to copy."""

import streamlit as st

from app.auth import current_actor
from app.data import now_floor, slo_definitions
from app.loadtest_data import production_peak, run_reports, run_series
from app.ui.errors import shown_errors
from app.ui.loadtest_charts import throughput_latency
from app.ui.safe import inert
from services.errors import ServiceError
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
    bucket = c2.number_input("Bucket (s)", min_value=1, max_value=600, value=30, step=5, key="capacity.bucket")
    latency = [s for s in slo_definitions(actor, actor.name) if s.service == run.service and s.kind == "latency"]
    default_thr = float(latency[0].threshold_ms or 300.0) if latency else 300.0
    threshold = c1.number_input(
        "Latency SLO threshold (ms)",
        min_value=1.0,
        value=default_thr,
        key="capacity.threshold",
        help=inert(f"From the SLO {latency[0].name!r}")
        if latency
        else "No latency SLO for this service; the team target.",
    )
    replicas_measured = c2.number_input("Replicas the run measured", min_value=1, value=1, key="capacity.replicas")
    curve = capacity.curve(run_series(run.points_file or "", int(bucket)), threshold_ms=float(threshold))
    st.altair_chart(throughput_latency(curve, float(threshold)), width="stretch")
    sustained = capacity.sustained_rps(curve)
    if sustained is None:
        st.warning(
            f"No whole {bucket}-s bucket had p95 ≤ {threshold:g} ms: the run never sustained load within the SLO "
            "(or it is shorter than one bucket; try a smaller bucket)."
        )
        st.stop()
    peak = None
    try:
        peak = production_peak(actor, actor.role, run.service, now_floor(300))
    except ServiceError as exc:
        st.warning(inert(f"Production peak unavailable ({exc}); enter it below."))
    c3, c4 = st.columns(2)
    peak_rps = c3.number_input(
        "Production peak RPS (30 days)",
        min_value=0.0,
        value=float(peak or 0.0),
        key=f"capacity.peak.{peak}",
        help="Busiest minute of the last 30 days from the configured telemetry source (catalogue query peak_rps).",
    )
    headroom_pct = c4.number_input("Headroom (%)", min_value=0, max_value=1000, value=30, key="capacity.headroom")
    p = capacity.plan(
        sustained_rps=sustained,
        measured_replicas=int(replicas_measured),
        peak_rps=float(peak_rps),
        headroom=headroom_pct / 100,
    )
    m = st.columns(4)
    m[0].metric("Sustained RPS", f"{p.sustained_rps:,.2f}", help=f"{int(replicas_measured)} replica(s) in the run")
    m[1].metric("Per replica", f"{p.per_replica_rps:,.2f} RPS")
    m[2].metric(
        "Headroom now", "—" if p.headroom_now is None else f"{p.headroom_now:+.0%}", help="sustained / peak − 1"
    )
    m[3].metric("Replicas needed", f"{p.replicas}")
    st.markdown(
        f"replicas = ceil({p.peak_rps:,.2f} × (1 + {p.headroom:.0%}) / {p.per_replica_rps:,.2f}) = "
        f"ceil({p.target_rps / p.per_replica_rps:,.3f}) = **{p.replicas}**"
    )
    c5, c6 = st.columns(2)
    deployment = c5.text_input("Deployment", value=run.service, key="capacity.deployment")
    namespace = c6.text_input("Namespace", value="default", key="capacity.namespace")
    st.code(
        capacity.hpa_yaml(
            name=deployment,
            namespace=namespace,
            min_replicas=p.replicas,
            max_replicas=p.replicas * 2,
            comment=f"From load-test run #{run.id}: {p.per_replica_rps:,.2f} RPS per replica within p95 <= "
            f"{threshold:g} ms;\nminReplicas covers the 30-day peak {p.peak_rps:,.2f} RPS + {p.headroom:.0%} "
            "headroom; maxReplicas doubles it.",
        ),
        language="yaml",
    )

"""The capacity plan as the page shows it: the inputs the plan takes beyond the run, its figures with the replica
arithmetic, and an HPA manifest to copy (the CPU sizing beside it: app.ui.cpu_sizing)."""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from app.data import now_floor, slo_definitions
from app.loadtest_data import production_peak
from app.ui import format as fmt
from app.ui.linked import linked_range_or_warn
from app.ui.safe import inert
from services.auth import Actor
from services.errors import ServiceError
from services.loadtests import capacity
from services.loadtests.report import RunReport


def latency_threshold(actor: Actor, run: RunReport) -> float:
    """The p95 limit a bucket must stay under: the run's service's latency SLO, or the team target of 300 ms."""
    latency = [s for s in slo_definitions(actor, actor.name) if s.service == run.service and s.kind == "latency"]
    default_thr = float(latency[0].threshold_ms or 300.0) if latency else 300.0
    source = (
        inert(f"From the SLO {latency[0].name!r}") if latency else "No latency SLO for this service; the team target."
    )
    return float(
        st.number_input(
            "Latency SLO threshold (ms)",
            min_value=1.0,
            value=default_thr,
            key="capacity.threshold",
            help=source,
        )
    )


def production_window() -> tuple[datetime, datetime, str]:
    """The window production is read over: the 30 days before now, or the range a link carries; and its name."""
    pinned = linked_range_or_warn()
    if pinned is None:
        end = now_floor(300)
        return end - timedelta(days=30), end, "30 days"
    return pinned[0], pinned[1], f"{fmt.when(pinned[0])} – {fmt.when(pinned[1])}, as linked"


def peak_and_headroom(actor: Actor, run: RunReport, window: tuple[datetime, datetime, str]) -> tuple[float, float]:
    """Production's peak RPS (busiest 1-minute average over the production window), measured when the source
    answers and editable, and the headroom wanted (a share)."""
    start, end, span = window
    peak = None
    try:
        peak = production_peak(actor, actor.role, run.service, end, start)
    except ServiceError as exc:
        st.warning(inert(f"Production peak unavailable ({exc}); enter it below."))
    c3, c4 = st.columns(2)
    peak_rps = c3.number_input(
        f"Production peak RPS ({span})",
        min_value=0.0,
        value=float(peak or 0.0),
        key=f"capacity.peak.{peak}",
        help=f"Peak RPS of {run.service}: its busiest minute's requests / 60 (a 1-minute average, per second), from "
        "the configured telemetry source (catalogue query peak_rps), the same figure as the Home tile's.",
    )
    headroom_pct = c4.number_input("Headroom (%)", min_value=0, max_value=1000, value=30, key="capacity.headroom")
    return float(peak_rps), headroom_pct / 100


def plan_figures(p: capacity.CapacityPlan, measured_replicas: int) -> None:
    """Sustained and per-replica RPS, headroom now, and the replicas needed with their arithmetic."""
    m = st.columns(4)
    m[0].metric("Sustained RPS", f"{p.sustained_rps:,.2f}", help=f"{measured_replicas} replica(s) in the run")
    m[1].metric("Per replica", f"{p.per_replica_rps:,.2f} RPS")
    m[2].metric(
        "Headroom now", "—" if p.headroom_now is None else f"{p.headroom_now:+.0%}", help="sustained / peak − 1"
    )
    m[3].metric("Replicas by RPS", f"{p.replicas}")
    st.markdown(
        f"replicas by RPS = ceil({p.peak_rps:,.2f} × (1 + {p.headroom:.0%}) / {p.per_replica_rps:,.2f}) = "
        f"ceil({p.target_rps / p.per_replica_rps:,.3f}) = **{p.replicas}**"
    )


def hpa_manifest(
    p: capacity.CapacityPlan, run: RunReport, threshold: float, *, replicas: int, utilisation_pct: int, binds: str
) -> None:
    """A HorizontalPodAutoscaler for the plan: minReplicas the binding sizing's replicas, averageUtilization the
    target utilisation the CPU sizing assumed; where its numbers come from in a comment."""
    c5, c6 = st.columns(2)
    deployment = c5.text_input("Deployment", value=run.service, key="capacity.deployment")
    namespace = c6.text_input("Namespace", value="default", key="capacity.namespace")
    st.code(
        capacity.hpa_yaml(
            name=deployment,
            namespace=namespace,
            min_replicas=replicas,
            max_replicas=replicas * 2,
            cpu_utilization=utilisation_pct,
            comment=f"From load-test run #{run.id}: {p.per_replica_rps:,.2f} RPS per replica within p95 <= "
            f"{threshold:g} ms;\nminReplicas covers the peak {p.peak_rps:,.2f} RPS + {p.headroom:.0%} "
            f"headroom ({binds} sizing binds); maxReplicas doubles it;\naverageUtilization is the target "
            f"utilisation the CPU sizing assumed ({utilisation_pct} %).",
        ),
        language="yaml",
    )

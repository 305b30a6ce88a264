"""The capacity plan's CPU sizing as the page shows it: the target utilisation, CPU per request from production and
from the load-test run's window, the replicas it asks for beside the replicas from RPS, and which one binds."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from app.data import catalogue_query
from app.ui import format as fmt
from app.ui.safe import inert
from services.auth import Actor
from services.errors import ServiceError
from services.loadtests import capacity, cpu
from services.loadtests.report import RunReport
from services.monitoring import counters


def measured(actor: Actor, run: RunReport, production: tuple[datetime, datetime, str]) -> list[cpu.CpuPerRequest]:
    """CPU per request of the run's role over production's window and the run's, each that has telemetry (the run's
    only when the store saw its load); a notice for each that has not (instead of zeros)."""
    windows: list[tuple[str, datetime, datetime, float | None]] = [("production", production[0], production[1], None)]
    if run.started_at is not None and run.ended_at is not None:
        windows.append((f"load-test run #{run.id}", run.started_at, run.ended_at, run.rps))
    out: list[cpu.CpuPerRequest] = []
    for source, start, end, run_rps in windows:
        try:
            out.append(
                cpu.run_cpu_per_request(
                    catalogue_query, actor=actor, role=run.service, start=start, end=end, source=source, run_rps=run_rps
                )
            )
        except cpu.NoCounters:
            window = f"the {source} window ({fmt.when(start)} – {fmt.when(end)})"
            st.info(inert(counters.missing(run.service, window)))
        except ServiceError as exc:
            st.info(inert(f"CPU per request from {source}: {exc}"))
    return out


def _table(found: list[cpu.CpuPerRequest]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "from": m.source,
                "window": f"{fmt.when(m.start)} – {fmt.when(m.end)}",
                "average CPU %": m.cpu_pct,
                "instances": m.instances,
                "requests/s": m.rps,
                "CPU per request": m.value,
            }
            for m in found
        ]
    )


def cpu_sizing(
    actor: Actor, run: RunReport, p: capacity.CapacityPlan, production: tuple[datetime, datetime, str]
) -> tuple[int, int, str]:
    """The CPU sizing beside the RPS one; returns (replicas needed, target utilisation %, which sizing binds)."""
    st.subheader("Sizing from CPU per request", divider="gray")
    utilisation = int(
        st.number_input(
            "Target CPU utilisation (%)",
            min_value=1,
            max_value=100,
            value=cpu.DEFAULT_UTILISATION,
            key="capacity.utilisation",
            help="The CPU each replica may use at the target load; the HorizontalPodAutoscaler below keeps replicas "
            "at this averageUtilization.",
        )
    )
    st.caption(cpu.FORMULA + " " + counters.FORMULA)
    found = measured(actor, run, production)
    sized = cpu.sizing(target_rps=p.target_rps, measured=found, utilisation_pct=utilisation) if found else None
    by_cpu = sized.replicas if sized else None
    binds = cpu.binding(rps_replicas=p.replicas, cpu_replicas=by_cpu)
    needed = cpu.replicas_needed(rps_replicas=p.replicas, cpu_replicas=by_cpu)
    m = st.columns(3)
    m[0].metric("Replicas by CPU", "—" if by_cpu is None else f"{by_cpu}", help=f"beside {p.replicas} by RPS")
    m[1].metric("Binds", binds, help="the sizing that asks for more replicas")
    m[2].metric("Replicas needed", f"{needed}", help=f"{p.replicas} by RPS, {by_cpu or '—'} by CPU: the larger")
    if sized is None:
        st.caption("Without CPU per request the plan sizes from RPS only.")
        return needed, utilisation, binds
    st.dataframe(_table(found), hide_index=True, width="stretch", key="capacity.cpu")
    u = sized.used
    st.markdown(
        inert(
            f"CPU per request ({u.source}) = ({u.cpu_pct:.2f} % × {u.instances:.2f}) / {u.rps:,.3f} = "
            f"{u.value:,.3f} (the highest measured); replicas by CPU = ceil({p.target_rps:,.2f} × {u.value:,.3f} / "
            f"{utilisation} %) = ceil({sized.cpu_needed_pct / utilisation:,.3f}) = {sized.replicas}"
        )
    )
    return needed, utilisation, binds

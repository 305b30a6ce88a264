"""One run on the Load tests page: figures, thresholds, checks, series, endpoints and the SLO verdict."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.loadtest_data import clear_loadtest_caches, run_series, run_verdicts
from app.resources import settings
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.loadtest_charts import over_time
from app.ui.safe import inert
from services.auth import Actor, can
from services.db import session_scope
from services.loadtests import service as loadtest_service
from services.loadtests.report import RunReport
from services.slos.evaluation import SloDefinition

OK = {True: "pass", False: "FAIL", None: "not judged"}


def _ms(v: float | None) -> str:
    return fmt.num(v, 2) + " ms" if v is not None else "—"


def figures(r: RunReport) -> None:
    """Headline metrics and the http_req_duration statistics."""
    c = st.columns(5)
    c[0].metric("Requests", fmt.num(r.requests), help="http_reqs count")
    c[1].metric("Request rate", "—" if r.rps is None else f"{r.rps:,.2f}/s", help="k6: requests / test duration")
    c[2].metric("Failure rate", fmt.pct(r.failure_rate, 2), help=f"http_req_failed: {r.failed_requests} failed")
    c[3].metric("p95", _ms(r.duration_ms["p95"]), help="http_req_duration, linear interpolation as k6")
    c[4].metric("Thresholds", {True: "all passed", False: "FAILED", None: "—"}[r.thresholds_ok])
    d = r.duration_ms
    st.dataframe(
        pd.DataFrame([{k: _ms(v) for k, v in d.items()}]), hide_index=True, width="stretch", key="loadtests.duration"
    )
    if d["p99"] is None:
        st.caption("p99 needs raw points (k6's default summary holds avg, min, med, max, p90 and p95).")


def thresholds_and_checks(r: RunReport) -> None:
    """Thresholds with expression, observed value and verdict; checks with pass rates."""
    left, right = st.columns(2)
    left.markdown("**Thresholds**")
    if r.thresholds:
        left.dataframe(
            pd.DataFrame(
                [
                    {
                        "metric": t["metric"],
                        "expression": t["expression"],
                        "observed": None if t["observed"] is None else round(t["observed"], 4),
                        "result": OK[t["ok"]],
                        "judged by": "k6" if t["source"] == "k6" else "recomputed from points",
                    }
                    for t in r.thresholds
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        left.caption("No thresholds (a CSV holds none; import the summary for k6's verdicts).")
    right.markdown("**Checks**")
    if r.checks:
        right.dataframe(
            pd.DataFrame(
                [
                    {
                        "check": c["name"],
                        "passes": c["passes"],
                        "fails": c["fails"],
                        "pass rate": fmt.pct(c["passes"] / (c["passes"] + c["fails"] or 1), 2),
                    }
                    for c in r.checks
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        right.caption("No checks in this run.")


def series_and_endpoints(r: RunReport) -> None:
    """VUs, RPS, p95 and errors over time, and the per-endpoint table (raw points only)."""
    if not r.has_points:
        st.info("Only a summary was imported: over-time and per-endpoint views need the run's NDJSON or CSV.")
        return
    options = [1, 5, 10, 30, 60]
    # about 60 points over the run by default
    default = next((o for o in options if o >= (r.duration_s or 0) / 60), options[-1])
    bucket = st.select_slider(
        "Bucket", options=options, value=default, key="loadtests.bucket", format_func=lambda s: f"{s} s"
    )

    frame = run_series(r.points_file or "", bucket)
    cols = st.columns(2)
    for i, (field, color) in enumerate(
        (("vus", "#7f7f7f"), ("rps", "#1f77b4"), ("p95_ms", "#ff7f0e"), ("failures", "#d62728"))
    ):
        cols[i % 2].altair_chart(over_time(frame, field, color=color), width="stretch")
    st.markdown("**Per endpoint** (the k6 `name` tag)")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "endpoint": e["name"] or "(no name tag)",
                    "requests": e["requests"],
                    "failed": e["failures"],
                    "failure rate": fmt.pct(e["failure_rate"], 2),
                    "avg": _ms(e["avg_ms"]),
                    "p95": _ms(e["p95_ms"]),
                }
                for e in r.endpoints
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def slo_verdict(r: RunReport, slos: list[SloDefinition]) -> None:
    """The run against the service's SLOs, with the numbers and formula."""
    mine = tuple(s for s in slos if s.service == r.service)
    if not mine:
        st.info(inert(f"No SLOs for {r.service!r}; create them on the SLO page to get a verdict."))
        return
    rows = []
    for v in run_verdicts(r, mine):
        rows.append(
            {
                "SLO": v.slo.name,
                "objective": f"{v.slo.objective:g} %",
                "SLI in the run": fmt.pct(v.sli),
                "verdict": {True: "meets", False: "MISSES", None: "unknown"}[v.met],
                "how": v.formula,
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(
        "latency SLI = http_req_duration points under the threshold / all points; availability SLI = 1 − failure "
        "rate (http_req_failed). An SLO with an operation counts only requests whose `name` tag equals it."
    )


def delete_control(actor: Actor, r: RunReport) -> None:
    """Delete the run (lead role; the service checks it)."""
    if not can(actor, "loadtest.delete"):
        return
    confirm = st.checkbox(f"I want to delete run #{r.id}", key=f"loadtests.delete.confirm.{r.id}")
    if st.button("Delete run", key=f"loadtests.delete.{r.id}", disabled=not confirm):
        with shown_errors("deleting the run"):
            with session_scope() as s:
                loadtest_service.delete_run(s, actor=actor, run_id=r.id, root=settings().loadtests.dir)
            clear_loadtest_caches()
            st.session_state.pop("loadtests.run", None)
            st.rerun()

"""Compare runs: two runs side by side with deltas and overlaid series; a service's trend with regressions."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.loadtest_data import run_reports, run_series
from app.ui import loadtest_charts as charts
from app.ui.errors import shown_errors
from services.loadtests import compare

actor = current_actor()
st.title("Compare load-test runs")

with shown_errors("comparing runs"):
    runs = run_reports(actor, actor.name)
    if len(runs) < 1:
        st.info("No runs yet; import some on the Load tests page.")
        st.stop()
    by_id = {r.id: r for r in runs}
    ids = list(by_id)
    left, right = st.columns(2)
    a_id = left.selectbox(
        "Run A (baseline)", ids, index=min(1, len(ids) - 1), key="compare.a", format_func=lambda i: by_id[i].title
    )
    b_id = right.selectbox("Run B", ids, index=0, key="compare.b", format_func=lambda i: by_id[i].title)
    a, b = by_id[a_id], by_id[b_id]
    table = compare.deltas(a, b)
    st.dataframe(
        table.assign(change=table["change"].map(lambda v: "—" if pd.isna(v) else f"{v:+.1%}")),
        hide_index=True,
        width="stretch",
        key="compare.deltas",
        column_config={c: st.column_config.NumberColumn(format="%.4g") for c in ("run A", "run B", "B − A")},
    )
    if a.has_points and b.has_points:
        bucket = st.select_slider(
            "Bucket", options=[1, 5, 10, 30, 60], value=5, key="compare.bucket", format_func=lambda s: f"{s} s"
        )
        frames = {a.title: run_series(a.points_file or "", bucket), b.title: run_series(b.points_file or "", bucket)}
        cols = st.columns(2)
        for i, field in enumerate(("rps", "p95_ms", "failures", "vus")):
            cols[i % 2].altair_chart(charts.overlaid(frames, field), width="stretch")
    else:
        st.info("Overlaid series need the raw points of both runs.")

    st.subheader("Trend across runs", divider="gray")
    services = sorted({r.service for r in runs})
    service = st.selectbox("Service", services, key="compare.service")
    trend = compare.trend([r for r in runs if r.service == service])
    st.caption(compare.RULE)
    flagged = trend[trend["regression"]]
    if len(flagged):
        st.warning("Regressions: " + ", ".join(f"#{r}" for r in flagged["run"]))
    for col, (field, title) in zip(
        st.columns(3), (("p95_ms", "p95 (ms)"), ("failure_rate", "failure rate"), ("peak_rps", "peak RPS")), strict=True
    ):
        if trend[field].notna().any():
            col.altair_chart(charts.trend(trend, field, title), width="stretch")
    st.dataframe(trend.drop(columns=["imported_at"]), hide_index=True, width="stretch", key="compare.trend")

"""Load tests: import k6 results, list runs, and one run's figures, thresholds, series, endpoints and SLO verdict."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.data import slo_definitions
from app.loadtest_data import run_reports
from app.ui import format as fmt
from app.ui import loadtest_detail as detail
from app.ui.errors import shown_errors
from app.ui.linked import preselect
from app.ui.loadtest_upload import upload_form
from app.ui.safe import inert

actor = current_actor()
st.title("Load tests")
upload_form(actor)

with shown_errors("loading the load-test runs"):
    runs = run_reports(actor, actor.name)
    if not runs:
        st.info(
            "No runs yet. Import a k6 summary and/or its `--out json` file above, or from a terminal; "
            "to try it with the real k6 run kept in this repository: `sre-backoffice loadtest import "
            "tests/fixtures/k6/summary.json tests/fixtures/k6/out.ndjson --service mana --label sample`."
        )
        st.stop()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "run": r.id,
                    "imported": fmt.when(r.imported_at),
                    "service": r.service,
                    "label": r.label,
                    "git ref": r.git_ref,
                    "requests": r.requests,
                    "p95 (ms)": r.duration_ms["p95"],
                    "failure rate": fmt.pct(r.failure_rate, 2),
                    "thresholds": {True: "passed", False: "FAILED", None: "—"}[r.thresholds_ok],
                    "raw points": "yes" if r.has_points else "no",
                }
                for r in runs
            ]
        ),
        hide_index=True,
        width="stretch",
        key="loadtests.runs",
    )
    ids = [r.id for r in runs]
    preselect("loadtests.run", "run", ids)
    if st.session_state.get("loadtests.run") not in ids:
        st.session_state["loadtests.run"] = ids[0]
    by_id = {r.id: r for r in runs}
    chosen = st.selectbox("Run", ids, key="loadtests.run", format_func=lambda i: by_id[i].title)
    run = by_id[chosen]
    st.caption(
        inert(
            f"Files: {', '.join(f['name'] + ' (' + f['format'] + ')' for f in run.files)} · imported by "
            f"{run.imported_by} {fmt.when(run.imported_at)}"
            + (f" · ran {fmt.when(run.started_at)} – {fmt.when(run.ended_at)}" if run.started_at else "")
        )
    )
    detail.figures(run)
    detail.thresholds_and_checks(run)
    st.subheader("Over time and per endpoint", divider="gray")
    detail.series_and_endpoints(run)
    st.subheader("Verdict against the SLOs", divider="gray")
    detail.slo_verdict(run, slo_definitions(actor, actor.name))
    detail.delete_control(actor, run)

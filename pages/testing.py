"""Test runs: import JUnit XML or TRX reports, list runs, one run's failures, and trends, flaky tests, the slowest
tests and what changed across a service's runs of one kind."""

import streamlit as st

from app.auth import current_actor
from app.resources import settings
from app.testrun_data import failures, history, newest_run_id, runs
from app.ui import testrun_detail as detail
from app.ui import testrun_trends as trends
from app.ui.errors import shown_errors
from app.ui.linked import preselect
from app.ui.safe import inert
from app.ui.testrun_upload import upload_form

actor = current_actor()
st.title("Test runs")
upload_form(actor)

with shown_errors("loading the test runs"):
    newest = newest_run_id(actor)
    all_runs = runs(actor, actor.role, newest)
    if not all_runs:
        st.info(
            "No test runs yet. Import the JUnit XML or TRX reports of a run above, or from a pipeline: "
            "`sre-backoffice testrun import results.xml --service mana --kind unit --commit $COMMIT`."
        )
        st.stop()
    service, kind = detail.filters(all_runs, settings().telemetry.service_name)
    shown = [r for r in all_runs if r.service == service and r.kind == kind]
    detail.runs_table(shown)

    st.subheader("One run", divider="gray")
    ids = [r.id for r in shown]
    preselect("testing.run", "run", ids)
    if st.session_state.get("testing.run") not in ids:
        st.session_state["testing.run"] = ids[0]
    by_id = {r.id: r for r in shown}
    run = by_id[st.selectbox("Run", ids, key="testing.run", format_func=lambda i: by_id[i].title)]
    detail.files(run)
    detail.failure_list(failures(actor, actor.role, run.id))

    h = history(actor, actor.role, newest, service, kind)
    st.subheader(inert(f"Across the last {len(h.runs)} {kind} runs of {service}"), divider="gray")
    trends.trends(h)
    st.markdown("**Flaky tests**")
    trends.flaky(h)
    st.markdown("**The slowest 20 tests**")
    trends.slowest(h)
    st.subheader("What changed", divider="gray")
    trends.what_changed(h)

"""Logs: run KQL (from the catalogue or typed) against the configured telemetry source."""

from datetime import UTC, datetime, timedelta

import streamlit as st

from app.auth import current_actor
from app.data import service_name
from app.ui.errors import shown_errors
from services.telemetry import catalogue
from services.telemetry.formatting import format_frame
from services.telemetry.queries_service import run_user_query

RANGES = {
    "Last 30 minutes": timedelta(minutes=30),
    "Last hour": timedelta(hours=1),
    "Last 24 hours": timedelta(days=1),
    "Last 7 days": timedelta(days=7),
    "Last 30 days": timedelta(days=30),
}

actor = current_actor()
st.title("Logs (KQL)")
queries = catalogue.catalogue()
names = ["(write my own)", *queries]
left, right = st.columns([2, 1])
chosen = left.selectbox(
    "Start from a catalogue query",
    names,
    key="logs.catalogue",
    format_func=lambda n: n if n not in queries else f"{queries[n].title} ({n})",
)
span = right.selectbox("Time range", list(RANGES), index=2, key="logs.range")
end = datetime.now(UTC)
start = end - RANGES[span]
if chosen in queries:
    q = queries[chosen]
    st.caption(q.description)
    default = (
        q.render(**{p: {"start": start, "end": end, "service": service_name()}.get(p, "") for p in q.params})
        if set(q.params) <= {"start", "end", "service"}
        else q.text
    )
else:
    default = "AppRequests\n| summarize requests = count() by Name\n| order by requests desc"
text = st.text_area("KQL", value=default, height=180, key=f"logs.text.{chosen}")
if st.button("Run", type="primary", key="logs.run"):
    with shown_errors("running the query"):
        result = run_user_query(text, actor=actor, timespan=(start, end))
        if result.warning:
            st.warning(result.warning)
        st.caption(f"{len(result.frame):,} rows in {result.elapsed_s * 1000:,.0f} ms from {result.source}")
        st.dataframe(result.frame, hide_index=True, width="stretch")
        st.download_button(
            "Download CSV", format_frame(result.frame, "csv"), file_name="query.csv", mime="text/csv", key="logs.csv"
        )

"""Logs: run KQL from the catalogue, your saved queries or typed, against the configured telemetry source."""

import streamlit as st

from app.auth import current_actor
from app.data import service_name
from app.ui.clef_upload import clef_upload
from app.ui.errors import shown_errors
from app.ui.kql_chart import MAX_CHART_ROWS, line_chart, time_shape
from app.ui.safe import inert
from app.ui.timerange import time_range
from services.db import session_scope
from services.logs import service as saved
from services.monitoring.common import grain_for
from services.telemetry import catalogue
from services.telemetry.formatting import format_frame
from services.telemetry.queries_service import run_user_query

OWN = "(write my own)"
DEFAULT_TEXT = "AppRequests\n| summarize requests = count() by Name\n| order by requests desc"

actor = current_actor()
st.title("Logs (KQL)")
queries = catalogue.catalogue()
mine: dict[str, tuple[int, str, str]] = {}
with shown_errors("reading your saved queries"), session_scope() as s:
    mine = {f"saved:{q.id}": (q.id, q.name, q.text) for q in saved.list_saved_queries(s, actor=actor)}
left, right = st.columns([2, 1])
with right:
    start, end = time_range("logs")


def _label(key: str) -> str:
    if key in queries:
        return f"{queries[key].title} ({key})"
    if key in mine:
        return f"★ {mine[key][1]} (mine)"
    return key


chosen = left.selectbox("Start from", [OWN, *mine, *queries], key="logs.catalogue", format_func=_label)
defaults = {
    "start": start,
    "end": end,
    "service": service_name(),
    "bucket": grain_for(start, end),
    "limit": 20,
    "metric": "orders.value",
}
if chosen in queries:
    q = queries[chosen]
    st.caption(q.description)
    missing = [p for p in q.params if p not in defaults]
    default = q.render(**{p: defaults[p] for p in q.params}) if not missing else q.text
    if missing:
        st.caption(f"Replace {', '.join('{' + p + '}' for p in missing)} with values before running.")
elif chosen in mine:
    default = mine[chosen][2]
else:
    default = DEFAULT_TEXT
# a catalogue query's text holds the range's times: a new range gives it fresh text
scope = f"{chosen}.{st.session_state.get('logs.range', '')}" if chosen in queries else chosen
text = st.text_area("KQL", value=default, height=200, key=f"logs.text.{scope}")
if st.button("Run", type="primary", key="logs.run"):
    st.session_state.pop("logs.result", None)
    with shown_errors("running the query"):
        st.session_state["logs.result"] = run_user_query(text, actor=actor, timespan=(start, end))

result = st.session_state.get("logs.result")
if result is not None:
    if result.warning:
        st.warning(result.warning, icon=":material/content_cut:")
    st.caption(f"{len(result.frame):,} rows in {result.elapsed_s * 1000:,.0f} ms from {result.source}")
    if result.frame.empty:
        st.info("The query returned no rows; try a wider time range.")
    else:
        chart = line_chart(result.frame)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        elif time_shape(result.frame) is not None and len(result.frame) > MAX_CHART_ROWS:
            st.caption(f"No chart for more than {MAX_CHART_ROWS:,} rows; summarize by bin() to chart it.")
        st.dataframe(result.frame, hide_index=True, width="stretch")
        st.download_button(
            "Download CSV", format_frame(result.frame, "csv"), file_name="query.csv", mime="text/csv", key="logs.csv"
        )

flash = st.session_state.pop("logs.flash", None)
if flash:
    st.success(inert(flash))
changed = ""
with st.expander("Save this query", icon=":material/bookmark_add:", expanded=chosen in mine):
    name = st.text_input("Name", value=mine[chosen][1] if chosen in mine else "", key=f"logs.save.name.{chosen}")
    overwrite = st.checkbox("Overwrite my query of that name", key="logs.save.overwrite")
    if st.button("Save", key="logs.save"):
        with shown_errors("saving the query"), session_scope() as s:
            _, created = saved.save_query(s, actor=actor, name=name, text=text, overwrite=overwrite)
            changed = f"{'Saved' if created else 'Updated'} {name.strip()!r}; only you see it."
    if chosen in mine:
        query_id, query_name, _ = mine[chosen]
        new_name = st.text_input("New name", value=query_name, key=f"logs.rename.name.{query_id}")
        c1, c2 = st.columns(2)
        if c1.button("Rename", key="logs.rename"):
            with shown_errors("renaming the query"), session_scope() as s:
                saved.rename_query(s, actor=actor, query_id=query_id, name=new_name)
                changed = f"Renamed {query_name!r} to {new_name.strip()!r}."
        if c2.button("Delete", key="logs.delete"):
            with shown_errors("deleting the query"), session_scope() as s:
                saved.delete_query(s, actor=actor, query_id=query_id)
                changed = f"Deleted {query_name!r}."
if changed:  # outside the transaction: st.rerun() stops the script
    st.session_state["logs.flash"] = changed
    st.rerun()

clef_upload(actor)

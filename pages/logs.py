"""Logs: run KQL from the catalogue, your saved queries or typed, against the configured telemetry source."""

import streamlit as st

from app.auth import current_actor
from app.data import service_name
from app.resources import settings
from app.ui.clef_upload import clef_upload
from app.ui.errors import shown_errors
from app.ui.query_result import query_result
from app.ui.query_start import Mine, start_from
from app.ui.safe import inert
from app.ui.saved_query_panel import saved_query_panel
from app.ui.timerange import time_range
from services.db import session_scope
from services.errors import ServiceError
from services.saved_queries import service as saved
from services.telemetry import catalogue, portal
from services.telemetry.queries_service import run_user_query

actor = current_actor()
st.title("Logs (KQL)")
queries = catalogue.catalogue()
mine: Mine = {}
with shown_errors("reading your saved queries"), session_scope() as s:
    mine = {f"saved:{q.id}": (q.id, q.name, q.text) for q in saved.list_saved_queries(s, actor=actor)}
left, right = st.columns([2, 1])
with right:
    start, end = time_range("logs")
chosen, default = start_from(left, queries, mine, service=service_name(), start=start, end=end)
# a catalogue query's text holds the range's times: a new range gives it fresh text
scope = f"{chosen}.{st.session_state.get('logs.range', '')}" if chosen in queries else chosen
text = st.text_area("KQL", value=default, height=200, key=f"logs.text.{scope}")
if st.button("Run", type="primary", key="logs.run"):
    st.session_state.pop("logs.result", None)
    with shown_errors("running the query"):
        st.session_state["logs.result"] = run_user_query(text, actor=actor, timespan=(start, end))
try:
    if link := portal.link_for(text, settings=settings(), timespan=(start, end)):
        st.link_button("Open in the Azure portal", link, icon=":material/open_in_new:")
except ServiceError as exc:
    st.caption(inert(exc))

if (result := st.session_state.get("logs.result")) is not None:
    query_result(result)
saved_query_panel(actor, chosen=chosen, mine=mine, text=text)
clef_upload(actor)

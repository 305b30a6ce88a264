"""Triage queue: open incidents by severity and age, acknowledge clocks, claim, classify by the protocol."""

from datetime import UTC, datetime

import streamlit as st

from app.auth import current_actor
from app.ui.errors import shown_errors
from app.ui.incident_actions import apply_open
from app.ui.incident_detail import incident_detail
from app.ui.incident_forms import new_incident_form, severity_editor
from app.ui.triage_queue import bulk_acknowledge, filters, kept_incident, pick_incident, queue_table
from services.db import session_scope
from services.incidents.queue import triage_queue

actor = current_actor()
st.title("Triage queue")
apply_open()

f = filters()
with shown_errors("loading the triage queue"):
    with session_scope() as s:
        queue = triage_queue(
            s,
            actor=actor,
            now=datetime.now(UTC),
            statuses=f.statuses or None,
            services=[f.service] if f.service else None,
            severities=f.severities or None,
            classifications=f.classifications or None,
            assignee=f.assignee or None,
        )
    queue_table(queue)
    bulk_acknowledge(actor, queue)
    kept = kept_incident(actor, queue)
    if queue or kept:
        chosen = pick_incident(queue, kept)
        st.divider()
        incident_detail(actor, chosen)

with st.expander("Open an incident by hand"):
    new_incident_form(actor)
with st.expander("Severity definitions (leads edit)"), shown_errors("loading severity definitions"):
    severity_editor(actor)

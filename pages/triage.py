"""Triage queue: open incidents by severity and age, acknowledge clocks, claim, classify by the protocol."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.incident_detail import incident_detail
from app.ui.incident_forms import new_incident_form, severity_editor
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.models import CLASSIFICATIONS, STATUSES
from services.incidents.queue import triage_queue
from services.incidents.severities import SEVERITIES
from services.incidents.workflow import OPEN_STATUSES

actor = current_actor()
st.title("Triage queue")
if flash := st.session_state.pop("triage.flash", None):
    st.success(flash)


def clock_text(item) -> str:  # type: ignore[no-untyped-def]
    c = item.clock
    if c.acknowledged:
        return f"acknowledged after {fmt.span(c.waited)}" + (" (late)" if c.breached else "")
    return f"OVERDUE by {fmt.span(c.remaining)}" if c.breached else f"{fmt.span(c.remaining)} left"


with st.expander("Filters", expanded=False):
    f1, f2, f3 = st.columns(3)
    statuses = f1.multiselect("Status", STATUSES, default=list(OPEN_STATUSES), key="triage.status")
    severities = f2.multiselect("Severity", SEVERITIES, key="triage.severity")
    classifications = f3.multiselect("Classification", CLASSIFICATIONS, key="triage.classification")
    g1, g2 = st.columns(2)
    service = g1.text_input("Service", key="triage.service")
    assignee = g2.text_input("Assignee", key="triage.assignee")

with shown_errors("loading the triage queue"):
    with session_scope() as s:
        queue = triage_queue(
            s,
            actor=actor,
            now=datetime.now(UTC),
            statuses=statuses or None,
            services=[service] if service else None,
            severities=severities or None,
            classifications=classifications or None,
            assignee=assignee or None,
        )
    new = [q for q in queue if q.incident["status"] == "new"]
    c = st.columns(3)
    c[0].metric("Incidents in the queue", len(queue))
    c[1].metric("Waiting for acknowledgement", len(new))
    c[2].metric("Acknowledge target breached", sum(1 for q in new if q.clock.breached))
    if not queue:
        st.info("Nothing in the queue for these filters.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "id": q.incident["id"],
                        "severity": q.incident["severity"],
                        "title": q.incident["title"],
                        "service": q.incident["service"],
                        "status": q.incident["status"],
                        "classification": q.incident["classification"],
                        "assignee": q.incident["assignee"] or "—",
                        "age": fmt.span(q.age),
                        "acknowledge clock": clock_text(q),
                    }
                    for q in queue
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if new:
        picked = st.multiselect(
            "Acknowledge several", [q.incident["id"] for q in new], key="triage.bulk", format_func=lambda i: f"#{i}"
        )
        if st.button("Acknowledge selected", key="triage.bulk.ack", disabled=not picked):
            with shown_errors("acknowledging"):
                with session_scope() as s:
                    incidents.bulk_acknowledge(s, actor=actor, incident_ids=picked)
                st.session_state["triage.flash"] = f"Acknowledged {len(picked)} incident(s)."
                st.rerun()
    if queue:
        chosen = st.selectbox(
            "Open an incident",
            [q.incident["id"] for q in queue],
            key="triage.chosen",
            format_func=lambda i: next(
                f"#{i} {q.incident['severity']} {q.incident['title']}" for q in queue if q.incident["id"] == i
            ),
        )
        st.divider()
        incident_detail(actor, chosen)

with st.expander("Open an incident by hand"):
    new_incident_form(actor)
with st.expander("Severity definitions (leads edit)"), shown_errors("loading severity definitions"):
    severity_editor(actor)

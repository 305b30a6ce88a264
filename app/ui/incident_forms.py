"""The form that opens an incident by hand."""

from __future__ import annotations

import streamlit as st

from app.ui.errors import shown_errors
from app.ui.incident_actions import open_next, rerun_saying
from services.auth import Actor
from services.config import get_settings
from services.db import session_scope
from services.incidents import service as incidents
from services.incidents.schemas import parse_incident_input
from services.incidents.severities import SEVERITIES, definitions, update_definition


def new_incident_form(actor: Actor) -> None:
    """Title, service, severity, description, evidence; the service layer validates and checks the role."""
    with st.form("triage.new", clear_on_submit=True):
        title = st.text_input("Title")
        c1, c2 = st.columns(2)
        service = c1.text_input("Service", value=get_settings().telemetry.service_name)
        severity = c2.selectbox("Severity", SEVERITIES, index=2)
        description = st.text_area("What is happening")
        operation_ids = st.text_input("OperationIds (comma-separated, optional)")
        evidence = st.text_area("Evidence KQL (optional)")
        submitted = st.form_submit_button("Open incident", type="primary")
    if submitted:
        with shown_errors("opening the incident"):
            data = parse_incident_input(
                {
                    "title": title,
                    "service": service,
                    "severity": severity,
                    "description": description,
                    "operation_ids": [o.strip() for o in operation_ids.split(",") if o.strip()],
                    "evidence_kql": evidence or None,
                }
            )
            with session_scope() as s:
                iid = incidents.create_incident(s, actor=actor, data=data).id
            open_next(iid, f"Opened incident #{iid}.")


def severity_editor(actor: Actor) -> None:
    """Leads edit the written scope and acknowledge target of each severity (the service checks the role)."""
    with session_scope() as s:
        defs = {k: (d.scope, d.ack_target_minutes) for k, d in definitions(s, actor=actor).items()}
    sev = st.selectbox("Severity", list(defs), key="triage.sev.edit")
    with st.form("triage.sev.form"):
        scope = st.text_area("Scope (what makes an incident this severe)", defs[sev][0])
        minutes = st.number_input("Acknowledge within (minutes)", min_value=0, value=defs[sev][1], step=5)
        saved = st.form_submit_button("Save definition")
    if saved:
        with shown_errors("saving the severity definition"):
            with session_scope() as s:
                update_definition(s, actor=actor, severity=sev, scope=scope, ack_target_minutes=int(minutes))
            rerun_saying(f"{sev} definition saved.")

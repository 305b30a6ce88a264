"""Audit log: the chain's state, then every change made through the service layer, newest first."""

import streamlit as st

from app.auth import current_actor
from app.ui.audit_view import record_diff, records_table, words
from app.ui.errors import shown_errors
from services import audit
from services.db import session_scope

actor = current_actor()
st.title("Audit log")
st.caption(
    "Append-only and hash-chained: each record carries SHA-256 of the previous record's hash and its own content, "
    "so a record edited, deleted or slipped in breaks the chain there. `sre-backoffice audit export` (leads, admins) "
    "writes a period with the chain head for an auditor."
)
ENTITIES = [
    "slo",
    "incident",
    "severity",
    "runbook",
    "postmortem",
    "alert_rule",
    "loadtest_run",
    "saved_query",
    "telemetry_store",
    "feature",
    "gate_template",
]
entity = st.selectbox(
    "Entity", ["(all)", *ENTITIES], key="audit.entity", format_func=lambda e: e if e == "(all)" else words(e)
)
with shown_errors("reading the audit log"):
    with session_scope() as s:
        chain = audit.verify_chain(s, actor=actor)
        records = audit.list_records(s, actor=actor, entity=None if entity == "(all)" else entity)
    if chain.ok:
        st.success(chain.summary(), icon=":material/verified:")
    else:
        st.error(chain.summary(), icon=":material/gpp_bad:")
    if not records:
        st.info(
            "No changes recorded yet: every change made on these pages, the CLI or the API is written here."
            if entity == "(all)"
            else f"No {words(entity)} changed yet; pick (all) to see every record."
        )
    else:
        records_table(records)
        record_diff(records)

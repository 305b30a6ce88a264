"""Audit log: every change made through the service layer, newest first."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui import format as fmt
from app.ui.errors import shown_errors
from services import audit
from services.db import session_scope

actor = current_actor()
st.title("Audit log")
st.caption("Append-only: who changed what, when, with the values before and after.")
ENTITIES = ["slo", "incident", "severity", "runbook", "postmortem", "alert_rule", "loadtest_run", "saved_query"]
entity = st.selectbox("Entity", ["(all)", *ENTITIES], key="audit.entity")
with shown_errors("reading the audit log"):
    with session_scope() as s:
        records = audit.list_records(s, actor=actor, entity=None if entity == "(all)" else entity)
        rows = [
            {
                "when": fmt.when(r.at),
                "who": f"{r.actor} ({r.role})",
                "action": r.action,
                "entity": f"{r.entity} {r.entity_id or ''}".strip(),
                "before": r.before,
                "after": r.after,
            }
            for r in records
        ]
    if not rows:
        st.info("No changes recorded yet.")
    else:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

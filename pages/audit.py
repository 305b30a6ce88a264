"""Audit log: the chain's state, then every change made through the service layer, newest first."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui import format as fmt
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
entity = st.selectbox("Entity", ["(all)", *ENTITIES], key="audit.entity")
with shown_errors("reading the audit log"):
    with session_scope() as s:
        chain = audit.verify_chain(s, actor=actor)
        records = audit.list_records(s, actor=actor, entity=None if entity == "(all)" else entity)
        rows = [
            {
                "record": r.id,
                "when": fmt.when(r.at),
                "who": f"{r.actor} ({r.role})",
                "os user": r.os_user or "",
                "action": r.action,
                "entity": f"{r.entity} {r.entity_id or ''}".strip(),
                "changes": "; ".join(audit.changes(r.before, r.after)),
            }
            for r in records
        ]
    if chain.ok:
        st.success(chain.summary(), icon=":material/verified:")
    else:
        st.error(chain.summary(), icon=":material/gpp_bad:")
    if not rows:
        st.info("No changes recorded yet.")
    else:
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            width="stretch",
            column_config={"changes": st.column_config.TextColumn("changes (field: before → after)", width="large")},
        )

"""Postmortems: blameless reviews of incidents, with impact from telemetry and action items."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui.errors import shown_errors
from app.ui.linked import preselect
from app.ui.postmortem_editor import postmortem_editor
from services.db import session_scope
from services.incidents import service as incidents
from services.postmortems import service as postmortems

actor = current_actor()
st.title("Postmortems")
first, last = postmortems.REQUIRED_FOR[0], postmortems.REQUIRED_FOR[-1]
st.caption(f"Every {first}–{last} incident gets one when it is resolved; any incident can have one on demand.")

with shown_errors("loading postmortems"):
    with session_scope() as s:
        all_incidents = {i.id: i.as_dict() for i in incidents.list_incidents(s, actor=actor)}
        pms = [
            (
                p.incident_id,
                p.status,
                p.updated_at,
                len(p.action_items or []),
                sum(1 for a in p.action_items or [] if not a.get("done")),
            )
            for p in postmortems.list_postmortems(s, actor=actor)
        ]
    if pms:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "incident": f"#{iid} {all_incidents[iid]['severity']} {all_incidents[iid]['title']}",
                        "status": status,
                        "action items": n,
                        "open action items": open_n,
                    }
                    for iid, status, _, n, open_n in pms
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info("No postmortems yet.")
    if all_incidents:
        with_pm = [iid for iid, *_ in pms]
        order = with_pm + [i for i in all_incidents if i not in with_pm]
        preselect("pm.incident", "incident", order)
        chosen = st.selectbox(
            "Incident",
            order,
            key="pm.incident",
            format_func=lambda i: (
                f"#{i} {all_incidents[i]['severity']} {all_incidents[i]['title']}"
                + ("" if i in with_pm else " (no postmortem yet)")
            ),
        )
        st.divider()
        postmortem_editor(actor, chosen)

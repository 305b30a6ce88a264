"""Incident metrics: MTTA and MTTR by severity and month, classifications, budget burned, postmortem follow-through."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui.errors import shown_errors
from app.ui.mean_times import mean_times_chart, mean_times_table
from services.db import session_scope
from services.incidents import metrics

actor = current_actor()
st.title("Incident metrics")
st.caption(
    "MTTA = mean(acknowledged − detected) over acknowledged incidents; MTTR = mean(resolved − detected) "
    "over resolved incidents; grouped by the month the incident was detected (UTC)."
)

with shown_errors("computing incident metrics"):
    with session_scope() as s:
        frame = metrics.incident_frame(s, actor=actor)
        follow = metrics.postmortem_follow_through(s, actor=actor)
    c = st.columns(4)
    c[0].metric("Incidents", len(frame))
    c[1].metric("Postmortems published", follow["published"])
    c[2].metric("Postmortems in progress", follow["in_progress"])
    c[3].metric("Open action items", follow["open_action_items"])
    if frame.empty:
        st.info("No incidents yet: open one by hand on the Triage queue, or give an alert rule an incident action.")
    else:
        table = metrics.mtta_mttr(frame)
        st.subheader("MTTA and MTTR", divider="gray")
        mean_times_table(table)
        if (chart := mean_times_chart(table)) is not None:
            st.altair_chart(chart, width="stretch")
        left, right = st.columns(2)
        left.subheader("By classification", divider="gray")
        left.dataframe(metrics.by_classification(frame), hide_index=True, width="stretch")
        right.subheader("Error budget burned per incident", divider="gray")
        if follow["budget_burned"]:
            right.dataframe(
                pd.DataFrame(follow["budget_burned"]).assign(burned=lambda d: d["burned"].map(lambda v: f"{v:.1%}")),
                hide_index=True,
                width="stretch",
                column_config={
                    "incident_id": st.column_config.NumberColumn("incident", format="%d"),
                    "slo": st.column_config.TextColumn("SLO"),
                    "burned": st.column_config.TextColumn("error budget burned"),
                },
            )
        else:
            right.info("Computed from a postmortem's impact: open the incident's postmortem and compute its impact.")

"""Incident metrics: MTTA and MTTR by severity and month, classifications, budget burned, postmortem follow-through."""

import altair as alt
import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui.errors import shown_errors
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
        st.info("No incidents yet.")
    else:
        table = metrics.mtta_mttr(frame)
        st.subheader("MTTA and MTTR (minutes)", divider="gray")
        st.dataframe(table.round(1), hide_index=True, width="stretch")
        long = table.melt(
            id_vars=["month", "severity"], value_vars=["mtta_min", "mttr_min"], var_name="measure", value_name="minutes"
        ).dropna()
        if not long.empty:
            st.altair_chart(
                alt.Chart(long)
                .mark_bar()
                .encode(
                    x=alt.X("month:N", title="month detected (UTC)"),
                    xOffset="severity:N",
                    y=alt.Y("minutes:Q"),
                    color="severity:N",
                    row=alt.Row("measure:N", title=None),
                    tooltip=["month", "severity", "measure", alt.Tooltip("minutes:Q", format=".1f")],
                ),
                width="stretch",
            )
        left, right = st.columns(2)
        left.subheader("By classification", divider="gray")
        left.dataframe(metrics.by_classification(frame), hide_index=True, width="stretch")
        right.subheader("Error budget burned per incident", divider="gray")
        if follow["budget_burned"]:
            right.dataframe(
                pd.DataFrame(follow["budget_burned"]).assign(burned=lambda d: d["burned"].map(lambda v: f"{v:.1%}")),
                hide_index=True,
                width="stretch",
            )
        else:
            right.info("Computed on a postmortem's impact section.")

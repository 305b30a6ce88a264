"""Notification log: every delivery with its state, attempts and last error, and each rule's firing history."""

import pandas as pd
import streamlit as st

from app.auth import current_actor
from app.ui.errors import shown_errors
from services.alerts import log as alert_log
from services.db import session_scope

actor = current_actor()
st.title("Notification log")
with shown_errors("loading notifications"):
    with session_scope() as s:
        sent = alert_log.notifications(s, actor=actor)
        fired = alert_log.history(s, actor=actor)
    c = st.columns(4)
    c[0].metric("Notifications", len(sent))
    c[1].metric("Sent", sum(m["status"] == "sent" for m in sent))
    c[2].metric("Waiting to retry", sum(m["status"] == "pending" and m["attempts"] > 0 for m in sent))
    c[3].metric("Failed for good", sum(m["status"] == "failed" for m in sent))
    st.subheader("Deliveries", divider="gray")
    if sent:
        st.dataframe(pd.DataFrame(sent), hide_index=True, width="stretch")
    else:
        st.info("Nothing has been notified yet.")
    st.subheader("Firing history", divider="gray")
    if fired:
        st.dataframe(pd.DataFrame(fired), hide_index=True, width="stretch")
    else:
        st.info("No rule has fired yet.")

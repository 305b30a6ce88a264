"""Live metrics: request and failure rates, p95, dependency calls and the latest exceptions, refreshed every 5 s."""

import streamlit as st

from app.auth import current_actor
from app.data import live_snapshot, now_floor, service_name
from app.ui.errors import shown_errors
from app.ui.live_figures import WINDOW_MIN, live_figures, live_freshness
from services.monitoring import live

actor = current_actor()
service = service_name()
spark_min = int(live.SPARK.total_seconds() // 60)
st.title("Live metrics")
st.caption(
    f"Polls the stored telemetry of **{service}** every 5 seconds: the figures cover the last {WINDOW_MIN} minutes, "
    f"the sparklines the last {spark_min} minutes per minute. This is not a live stream: on Azure, ingestion delay "
    "applies (rows usually arrive one to a few minutes after they happen), so check the newest timestamp below."
)


@st.fragment(run_every="5s")
def live_panel() -> None:
    """One refresh: the live queries and their figures."""
    with shown_errors("refreshing live metrics"):
        snap = live_snapshot(actor, actor.role, service, now_floor(5))
        for note in snap.notes:
            st.warning(note)
        live_figures(snap)
        live_freshness(snap)


live_panel()

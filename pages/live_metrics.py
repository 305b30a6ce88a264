"""Live metrics: request and failure rates, p95, dependency calls, every role's CPU and memory, the latest exceptions
and the stop/start gaps, refreshed every 5 s."""

from datetime import UTC, datetime

import streamlit as st

from app.auth import current_actor
from app.data import live_gaps, live_snapshot, service_name
from app.ui.errors import shown_errors
from app.ui.gap_table import gap_section
from app.ui.live_figures import WINDOW_MIN, live_figures, live_freshness, live_usage
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
        now = datetime.now(UTC)
        # the window ends with the 5-second slot: a row ingested a second ago is in it, and viewers share the slot
        snap = live_snapshot(actor, actor.role, service, live.slot_end(now))
        for note in snap.notes:
            st.warning(note)
        live_figures(snap)
        live_usage(snap)
        live_freshness(snap)
        found = live_gaps(actor, actor.role, live.gap_range(now)[1])
        gap_section(found, over="every role, the last hour", key="live.gaps")


live_panel()

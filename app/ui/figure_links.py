"""Blocks that show a figure and open its detail: the failures chart whose bars link to their bin, and the releases
table of Performance (the Home Development tile's figure)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.ui import format as fmt
from app.ui.linked import range_params
from app.ui.monitoring import failures_chart, picked_bin, table
from app.ui.safe import inert
from app.ui.zone import zone_name
from services.monitoring.failures import FailuresOverview


def failures_over_time(ov: FailuresOverview, role: str) -> None:
    """Failed requests per bin; a clicked bar offers its bin's requests and its failures, at the same role."""
    event = st.altair_chart(failures_chart(ov.over_time), width="stretch", on_select="rerun", key="failures.chart")
    st.caption(
        f"Bins of {ov.grain}; failure rate = failed / requests per bin (requests counted as sum(ItemCount)). "
        "Click a bar to open its requests."
    )
    if (picked := picked_bin(event, ov.grain)) is not None:
        b1, b2 = st.columns(2)
        b1.page_link(
            "../pages/transactions.py",
            label=f"Requests of {fmt.when(picked[0])} – {fmt.when(picked[1])}",
            icon=":material/search:",
            query_params=range_params(*picked, role=role),
        )
        b2.page_link(
            "../pages/failures.py",
            label="Failures of this bin only",
            icon=":material/zoom_in:",
            query_params=range_params(*picked, role=role),
        )


def by_release(releases: pd.DataFrame, role: str) -> None:
    """Each release that served requests in the range: first and last request, requests, failed and p95."""
    st.subheader("By release", divider="gray")
    zone = zone_name()
    seen = st.column_config.DatetimeColumn
    table(
        releases,
        order=["AppVersion", "first_seen", "last_seen", "requests", "failed", "p95_ms"],
        empty="No release served requests in this range.",
        AppVersion=st.column_config.TextColumn("release (AppVersion)", width="medium"),
        first_seen=seen(f"first request ({zone})", format="YYYY-MM-DD HH:mm", timezone=zone),
        last_seen=seen(f"last request ({zone})", format="YYYY-MM-DD HH:mm", timezone=zone),
    )
    st.caption(
        f"{len(releases)} release(s) of {inert(role) if role else 'every role'} served requests in the range (the Home "
        "tile's figure over 30 days), oldest first; p95 over each release's request rows."
    )

"""CPU % and memory per role and role instance as the monitoring pages show them, with the notice for a role that
sent no performance counters (instead of zeros)."""

from __future__ import annotations

import streamlit as st

from app.ui.safe import inert
from services.monitoring import counters

COLUMNS = {
    "cpu_pct": st.column_config.NumberColumn("CPU %", format="%.1f"),
    "memory_mb": st.column_config.NumberColumn("memory (MB)", format="%.0f"),
    "cpu_samples": st.column_config.NumberColumn("CPU samples"),
}


def usage_section(usage: counters.Counters, *, roles: list[str], window: str, key: str) -> None:
    """One row per role and per role instance, the definition under it, and a notice for each of `roles` without
    counters in the window."""
    for role in usage.silent(roles):
        st.info(inert(counters.missing(role, window)))
    if usage.roles:
        st.dataframe(usage.frame(), hide_index=True, width="stretch", key=key, column_config=COLUMNS)
        st.caption(counters.FORMULA)

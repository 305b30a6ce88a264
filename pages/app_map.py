"""Application map: the roles with their CPU % and memory, what they call, and which calls are unhealthy."""

import streamlit as st

from app.auth import current_actor
from app.data import catalogue_query
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.gap_table import gap_section
from app.ui.safe import inert
from app.ui.timerange import time_range
from app.ui.usage_table import usage_section
from services.monitoring import appmap

actor = current_actor()
st.title("Application map")
st.caption("A node per role (AppRoleName) and per dependency target, as in Application Insights' Application map.")
start, end = time_range("appmap")
with shown_errors("drawing the application map"):
    amap = appmap.app_map(catalogue_query, actor=actor, start=start, end=end)
    for note in amap.notes:
        st.warning(note)
    if amap.nodes.empty and amap.edges.empty:
        st.info(f"No requests or dependency calls between {fmt.when(start)} and {fmt.when(end)}; widen the range.")
        st.stop()
    st.graphviz_chart(amap.dot, width="stretch")
    st.caption(
        appmap.RULE + " Edge labels: calls, failure rate = failed / calls, average duration. A role with a stop/start "
        "gap is amber (unless red) and names its silent instances; a role's CPU % and memory are its role "
        "instances' performance counters."
    )
    pct = {
        "AppRoleName": st.column_config.TextColumn("role"),
        "Target": st.column_config.TextColumn("dependency target"),
        "DependencyType": st.column_config.TextColumn("type"),
        "avg_ms": st.column_config.NumberColumn("average (ms)", format="%.1f"),
        "failure_rate": st.column_config.NumberColumn("failure rate", format="percent"),
    }
    st.dataframe(amap.edges, hide_index=True, width="stretch", column_config=pct, key="appmap.edges")
    if amap.usage is not None:
        window = f"{fmt.when(start)} – {fmt.when(end)}"
        usage_section(amap.usage, roles=amap.roles, window=window, key="appmap.usage")
    gap_section(amap.gaps, over="that began in the range", key="appmap.gaps")
    st.subheader("Open a node", divider="gray")
    node = st.selectbox("Node", amap.node_names, key="appmap.node")
    callers = appmap.callers(amap, node)
    for role in callers:
        params = {"role": role}
        c1, c2 = st.columns(2)
        c1.page_link(
            "../pages/failures.py", label=inert(f"Failures of {role}"), icon=":material/error:", query_params=params
        )
        c2.page_link(
            "../pages/performance.py",
            label=inert(f"Performance of {role}"),
            icon=":material/timer:",
            query_params=params,
        )
    if node not in amap.roles:
        st.caption(inert(f"{node} is a dependency target; the links open the roles that call it."))
        st.dataframe(amap.edges[amap.edges["Target"] == node], hide_index=True, width="stretch", column_config=pct)

"""Performance: duration percentiles per operation, one operation's distribution, slow dependencies and samples."""

import streamlit as st

from app.auth import current_actor
from app.data import catalogue_query
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.figure_links import by_release
from app.ui.linked import preselect
from app.ui.monitoring import COLUMNS, histogram, operations_table, pick, samples_table, table
from app.ui.timerange import time_range
from services.monitoring import failures, figures, performance

actor = current_actor()
st.title("Performance")
st.caption("Request durations as in Application Insights' Performance blade, from the same KQL.")
c1, c2 = st.columns(2)
with c1:
    start, end = time_range("performance")
with shown_errors("reading performance"), c2:
    roles = failures.roles(catalogue_query, actor=actor, start=start, end=end)
    role = pick("Role (AppRoleName)", roles, "performance.role", "role")
with shown_errors("reading performance"):
    ops = performance.operations(catalogue_query, actor=actor, start=start, end=end, role=role)
    if ops.empty:
        st.info(f"No requests between {fmt.when(start)} and {fmt.when(end)}; pick a wider time range or another role.")
        st.stop()
    operations_table(ops, performance.all_operations(catalogue_query, actor=actor, start=start, end=end, role=role))
    st.caption(
        "Percentiles with percentile() (nearest rank locally, an estimate on Azure), over rows, not ItemCount; "
        f"{performance.ALL_OPERATIONS} takes them over every request's own duration."
    )
    by_release(figures.releases(catalogue_query, actor=actor, service=role, start=start, end=end), role)
    names = list(ops["Name"])
    preselect("performance.operation", "operation", names)  # a link's ?operation=, once; then the user's choice
    if st.session_state.get("performance.operation") not in names:
        st.session_state.pop("performance.operation", None)
    operation = st.selectbox("Operation", names, key="performance.operation")
    row = ops.set_index("Name").loc[operation]
    m = st.columns(5)
    m[0].metric("requests", fmt.num(row["requests"]))
    for col, field in zip(m[1:], performance.DURATIONS, strict=True):
        col.metric(COLUMNS[field]["label"], fmt.num(row[field], 1))
    st.subheader("Duration distribution", divider="gray")
    dist = performance.distribution(catalogue_query, actor=actor, start=start, end=end, operation=operation, role=role)
    st.altair_chart(histogram(dist), width="stretch")
    st.caption(
        "Ten bands per decade: bucket = floor(10 · log10(DurationMs)), band = [10^(bucket/10), 10^((bucket+1)/10)) ms."
    )
    st.subheader("Slowest dependencies in this operation", divider="gray")
    deps = performance.dependencies(catalogue_query, actor=actor, start=start, end=end, operation=operation, role=role)
    if deps.empty:
        st.info("No dependency calls within this operation's requests: pick another operation or a wider range.")
    else:
        table(
            deps,
            order=["calls", "failed", "avg_ms", "p95_ms", "Target", "Name", "DependencyType"],
            Target=st.column_config.TextColumn("target", width=260),
            Name=st.column_config.TextColumn("call", width=260),
            failed=st.column_config.NumberColumn("failed calls", format="%d", width=85),
        )
    st.caption("Dependency calls whose OperationId is one of this operation's requests.")
    st.subheader("Sample operations in a duration band", divider="gray")
    labels = dict(zip(dist["band"], dist["bucket"], strict=True))
    chosen = st.selectbox("Duration band", list(labels), index=len(labels) - 1, key="performance.band")
    samples = performance.samples(
        catalogue_query, actor=actor, start=start, end=end, operation=operation, bucket=labels[chosen], role=role
    )
    samples_table(samples, "performance.samples")

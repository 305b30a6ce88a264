"""Failures: failed requests over time and by operation, their codes, exceptions and dependencies, and samples."""

import streamlit as st

from app.auth import current_actor
from app.data import catalogue_query
from app.ui import format as fmt
from app.ui.errors import shown_errors
from app.ui.figure_links import failures_over_time
from app.ui.monitoring import pick, samples_table, table
from app.ui.safe import inert
from app.ui.timerange import time_range
from services.monitoring import failures

actor = current_actor()
st.title("Failures")
st.caption("Failed requests (Success == false) as in Application Insights' Failures blade, from the same KQL.")
c1, c2 = st.columns(2)
with c1:
    start, end = time_range("failures")
with shown_errors("reading failures"), c2:
    role = pick(
        "Role (AppRoleName)",
        failures.roles(catalogue_query, actor=actor, start=start, end=end),
        "failures.role",
        "role",
    )
with shown_errors("reading failures"):
    ov = failures.overview(catalogue_query, actor=actor, start=start, end=end, role=role)
    for note in ov.notes:
        st.warning(note)
    if not ov.requests:
        st.info(
            f"No requests between {fmt.when(start)} and {fmt.when(end)}"
            f"{' for ' + inert(role) if role else ''}; pick a wider time range or another role."
        )
        st.stop()
    m1, m2, m3 = st.columns(3)
    m1.metric("requests", fmt.num(ov.requests))
    m2.metric("failed requests", fmt.num(ov.failed))
    m3.metric("failure rate", fmt.pct(ov.failure_rate, 2))
    failures_over_time(ov, role)
    st.subheader("By operation", divider="gray")
    table(ov.operations)
    failing = list(ov.operations.loc[ov.operations["failed"] > 0, "Name"])
    operation = pick("Operation", failing, "failures.operation", "operation")
    bd = failures.breakdown(catalogue_query, actor=actor, start=start, end=end, role=role, operation=operation)
    st.subheader(inert(f"What failed requests of {operation or 'every operation'} have in common"), divider="gray")
    k1, k2 = st.columns([1, 2])  # the counts first: a long exception type or target never hides them
    with k1:
        st.markdown("**Top response codes**")
        table(bd.codes)
    with k2:
        st.markdown("**Top exception types**")
        table(
            bd.exceptions,
            order=["exceptions", "share", "ExceptionType"],
            empty="No exception was logged within these requests.",
        )
    st.markdown("**Top failing dependencies**")
    table(
        bd.dependencies,
        order=["failed_calls", "share", "Target", "DependencyType", "ResultCode"],
        empty="No failed dependency call within these requests: the failure is the operation's own.",
    )
    st.caption(
        "Share of a code = its failed requests / all failed requests of the selection. Exceptions and failed "
        "dependency calls are those logged within the operation (same OperationName, as in the portal); "
        "their share = count / the listed total."
    )
    st.subheader("Sample failed operations", divider="gray")
    code = pick("Result code", [str(c) for c in bd.codes["ResultCode"]], "failures.code")
    samples = failures.samples(
        catalogue_query, actor=actor, start=start, end=end, role=role, operation=operation, result_code=code
    )
    samples_table(samples, "failures.samples")

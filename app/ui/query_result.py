"""A Logs query's result: what was cut, how many rows from where in how long, a chart when the rows are a time
series, the rows and a CSV download."""

from __future__ import annotations

import streamlit as st

from app.ui.kql_chart import MAX_CHART_ROWS, line_chart, time_shape
from services.telemetry.formatting import format_frame
from services.telemetry.source import QueryResult


def query_result(result: QueryResult) -> None:
    """The result of one run, with a chart only where one can be drawn."""
    for notice in result.notices:
        st.warning(notice, icon=":material/content_cut:")
    st.caption(f"{len(result.frame):,} rows in {result.elapsed_s * 1000:,.0f} ms from {result.source}")
    if result.frame.empty:
        st.info("The query returned no rows; try a wider time range.")
        return
    chart = line_chart(result.frame)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    elif time_shape(result.frame) is not None and len(result.frame) > MAX_CHART_ROWS:
        st.caption(f"No chart for more than {MAX_CHART_ROWS:,} rows; summarize by bin() to chart it.")
    st.dataframe(result.frame, hide_index=True, width="stretch")
    st.download_button(
        "Download CSV", format_frame(result.frame, "csv"), file_name="query.csv", mime="text/csv", key="logs.csv"
    )

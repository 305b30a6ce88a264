"""A Logs query's result: what was cut, how many rows from where in how long, a chart (a line over time, else bars
by the first text column), the rows with times to the second in the display zone, and a CSV download."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app.ui import format as fmt
from app.ui.kql_chart import MAX_BARS, MAX_CHART_ROWS, bar_chart, line_chart, numeric_columns, text_columns, time_shape
from app.ui.zone import zone_name
from services.telemetry.formatting import format_frame
from services.telemetry.series import long_form, readable_arrays
from services.telemetry.source import QueryResult


def time_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """Each time column shown in the display zone to the second (the stored microseconds stay in the CSV)."""
    zone = zone_name()
    return {
        c: st.column_config.DatetimeColumn(f"{c} ({zone})", format="YYYY-MM-DD HH:mm:ss", timezone=zone)
        for c in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[c])
    }


def _chart(frame: pd.DataFrame) -> None:
    series = long_form(frame)  # a make-series result: one row per bin
    if series is not None:
        frame = series
        st.caption("The series drawn one point per bin, as `render timechart` does; the table keeps their arrays.")
    numbers = numeric_columns(frame)
    if not numbers:
        return
    if time_shape(frame) is not None:
        chart = line_chart(frame)
        if chart is not None:
            st.altair_chart(chart, width="stretch")
        elif len(frame) > MAX_CHART_ROWS:
            st.caption(f"No chart for more than {MAX_CHART_ROWS:,} rows; summarize by bin() to chart it.")
        return
    if len(frame) == 1 and not text_columns(frame):  # one row of figures, e.g. `summarize count()`
        for col, name in zip(st.columns(min(len(numbers), 6)), numbers, strict=False):
            value = float(frame[name].iloc[0])
            col.metric(name, fmt.num(None if pd.isna(value) else value, 0 if value.is_integer() else 2))
        return
    measure = numbers[0]
    if len(numbers) > 1:
        measure = st.selectbox("Chart the column", numbers, key="logs.chart.measure")
    bars = bar_chart(frame, measure)
    if bars is not None:
        st.altair_chart(bars, width="stretch")
        if len(frame) > MAX_BARS:
            st.caption(f"The chart shows the first {MAX_BARS} of {len(frame):,} rows, in the query's order.")


def query_result(result: QueryResult) -> None:
    """The result of one run, with a chart wherever a column holds numbers."""
    for notice in result.notices:
        st.warning(notice, icon=":material/content_cut:")
    st.caption(f"{len(result.frame):,} rows in {result.elapsed_s * 1000:,.0f} ms from {result.source}")
    if result.frame.empty:
        st.info("The query returned no rows; try a wider time range, or drop a `where` clause.")
        return
    _chart(result.frame)
    shown = readable_arrays(result.frame)
    st.dataframe(shown, hide_index=True, width="stretch", column_config=time_columns(shown))
    st.download_button(
        "Download CSV", format_frame(result.frame, "csv"), file_name="query.csv", mime="text/csv", key="logs.csv"
    )

"""Automatic charts for query results: a datetime column plus numeric columns become an Altair line chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

from app.ui.time_axis import zoned_time

MAX_CHART_ROWS = 5_000  # Altair refuses more rows than this by default; the table still shows them
MAX_SERIES = 20


def time_shape(frame: pd.DataFrame) -> tuple[str, list[str], str | None] | None:
    """(time column, numeric columns, series column) when the rows look time-bucketed, else None."""
    times = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    numbers = [
        c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    if not times or not numbers or len(frame) < 2:
        return None
    texts = [c for c in frame.columns if frame[c].dtype == object and c not in times]
    series = next((c for c in texts if 1 < frame[c].nunique() <= MAX_SERIES), None)
    return times[0], numbers, series


def line_chart(frame: pd.DataFrame, *, height: int = 260) -> alt.Chart | None:
    """A line per numeric column (and per value of a low-cardinality text column) over the time column, or None."""
    shape = time_shape(frame)
    if shape is None or len(frame) > MAX_CHART_ROWS:
        return None
    time_col, numbers, series = shape
    keep = [time_col, *numbers, *([series] if series else [])]
    long = frame[keep].melt(id_vars=[time_col, *([series] if series else [])], var_name="measure", value_name="value")
    if series:
        long["measure"] = long[series].astype(str) + (" · " + long["measure"] if len(numbers) > 1 else "")
    t = zoned_time(long.sort_values(time_col), time_col, title=time_col)
    return (
        alt.Chart(t.data)
        .mark_line(point=len(frame) <= 60)
        .encode(
            x=t.x,
            y=alt.Y("value:Q", title=None),
            color=alt.Color("measure:N", title=None),
            tooltip=[t.tooltip, "measure", alt.Tooltip("value:Q", format=",.3~f")],
        )
        .properties(height=height)
    )


def share_chart(
    frame: pd.DataFrame, *, time_col: str, series: str, colors: dict[str, str] | None = None, height: int = 240
) -> alt.Chart:
    """Stacked areas of `share` per `series` value over time (shares of each bucket add up to 100 %)."""
    scale = alt.Scale(domain=list(colors), range=list(colors.values())) if colors else alt.Undefined
    # an outcome absent from a bucket has share 0 there; without the zero the area would be drawn across the gap
    wide = frame.pivot_table(index=time_col, columns=series, values="share", aggfunc="sum", fill_value=0.0)
    full = wide.reset_index().melt(id_vars=time_col, var_name=series, value_name="share")
    counts = frame[[time_col, series, "verifications"]] if "verifications" in frame else None
    if counts is not None:
        full = full.merge(counts, on=[time_col, series], how="left").fillna({"verifications": 0})
    t = zoned_time(full, time_col)  # after the pivot: two instants never merge on one wall-clock time
    return (
        alt.Chart(t.data)
        .mark_area()
        .encode(
            x=t.x,
            y=alt.Y("share:Q", stack="normalize", axis=alt.Axis(format="%"), title="share"),
            color=alt.Color(f"{series}:N", title=None, scale=scale),
            tooltip=[t.tooltip, series, alt.Tooltip("share:Q", format=".1%"), "verifications"],
        )
        .properties(height=height)
    )


def count_bars(frame: pd.DataFrame, *, time_col: str, value_col: str, height: int = 240) -> alt.Chart:
    """Counts per time bucket as bars (a quiet bucket is a gap, not a line across it); every column in the tooltip."""
    t = zoned_time(frame, time_col)
    return (
        alt.Chart(t.data)
        .mark_bar()
        .encode(
            x=t.x,
            y=alt.Y(f"{value_col}:Q", title=value_col.replace("_", " ")),
            tooltip=[t.tooltip, *(c for c in frame.columns if c != time_col)],
        )
        .properties(height=height)
    )

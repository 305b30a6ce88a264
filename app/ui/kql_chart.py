"""Automatic charts for query results: a datetime column plus numeric columns become an Altair line chart; numeric
columns without a time column become bars, one per value of the first text column."""

from __future__ import annotations

import altair as alt
import pandas as pd

from app.ui.time_axis import zoned_time

MAX_CHART_ROWS = 5_000  # Altair refuses more rows than this by default; the table still shows them
MAX_SERIES = 20
MAX_BARS = 50


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """The columns holding numbers (true/false is not a number to chart)."""
    return [
        c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]


def _is_text(values: pd.Series) -> bool:
    if pd.api.types.is_string_dtype(values):
        return True
    present = values.dropna()  # an object column is text when what it holds is text (not dynamic JSON values)
    return pd.api.types.is_object_dtype(values) and len(present) > 0 and all(isinstance(v, str) for v in present)


def text_columns(frame: pd.DataFrame) -> list[str]:
    """The columns holding text, in the result's order."""
    return [c for c in frame.columns if _is_text(frame[c])]


def time_shape(frame: pd.DataFrame) -> tuple[str, list[str], str | None] | None:
    """(time column, numeric columns, series column) when the rows look time-bucketed, else None."""
    times = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    numbers = numeric_columns(frame)
    if not times or not numbers or len(frame) < 2:
        return None
    texts = [c for c in frame.columns if c not in times and (frame[c].dtype == object or _is_text(frame[c]))]
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


def bar_labels(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    """One label per row and its axis title: the first text column's value; the text columns joined when that value
    repeats (a Name per ResultCode); the row's number in front when even those repeat; the row number without text."""
    texts = text_columns(frame)
    if not texts:
        return pd.Series([f"row {i + 1}" for i in range(len(frame))], index=frame.index), "row"
    label = frame[texts[0]].fillna("").astype(str)
    title = texts[0]
    if label.duplicated().any() and len(texts) > 1:
        label = frame[texts].fillna("").astype(str).agg(" · ".join, axis=1)
        title = " · ".join(texts)
    if label.duplicated().any():
        label = pd.Series([f"{i + 1}. {v}" for i, v in enumerate(label)], index=frame.index)
    return label, title


def bar_chart(frame: pd.DataFrame, measure: str | None = None, *, most: int = MAX_BARS) -> alt.Chart | None:
    """Horizontal bars of a numeric column (the first, or `measure`) by the first text column, in the result's order
    (the query's `order by` decides); the first `most` rows. None with a time column (a line chart's job) or no
    number."""
    numbers = numeric_columns(frame)
    if frame.empty or not numbers or any(pd.api.types.is_datetime64_any_dtype(frame[c]) for c in frame.columns):
        return None
    measure = measure if measure in numbers else numbers[0]
    shown = frame.head(most)
    labels, title = bar_labels(shown)
    # plain field names: a KQL column may hold dots or brackets, which Vega-Lite would read as a path
    data = pd.DataFrame({"label": labels.to_numpy(), "value": shown[measure].astype(float).to_numpy()})
    others = [c for c in numbers if c != measure][:5]
    for i, c in enumerate(others):
        data[f"other{i}"] = shown[c].astype(float).to_numpy()
    tooltip = [
        alt.Tooltip("label:N", title=title),
        alt.Tooltip("value:Q", title=measure, format=",.3~f"),
        *(alt.Tooltip(f"other{i}:Q", title=c, format=",.3~f") for i, c in enumerate(others)),
    ]
    return (
        alt.Chart(data)
        .mark_bar(color="#0b6bcb")
        .encode(
            y=alt.Y(
                "label:N", sort=list(data["label"]), title=title, axis=alt.Axis(labelLimit=360, labelOverlap=False)
            ),
            x=alt.X("value:Q", title=measure),
            tooltip=tooltip,
        )
        .properties(height=alt.Step(24))  # a row per bar, every label readable
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

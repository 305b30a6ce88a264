"""A backtest on a timeline: the rule's value at each evaluation, its threshold as a dashed line, and the periods it
fired shaded, on the display zone's clock."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app.ui import format as fmt
from app.ui.time_axis import LONG_FORMAT, wall_clock, zoned_time
from services.alerts.backtest import MOST_DIMENSIONS, Timeline

FIRING = "#d33"
TIME_TITLE = "evaluated at"


def backtest_chart(tl: Timeline, *, value_title: str) -> alt.LayerChart:
    """Layers: shaded firing periods (rect), the value per evaluation (line), the threshold (rule)."""
    t = zoned_time(tl.evaluations, "at", title=TIME_TITLE)
    daily = t.format == LONG_FORMAT  # days on the axis: one tick a day, not each date printed twice at 00 and 12
    x = alt.X(
        "at:T",
        title=f"{TIME_TITLE} ({t.zone})",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format=t.format, labelOverlap=True, tickCount="day" if daily else alt.Undefined),
    )
    split = bool((tl.evaluations["dimension"] != "").any())
    colour = alt.Color("dimension:N", title="dimension") if split else alt.value("#0b6bcb")
    y = alt.Y("value:Q", title=value_title)
    line = (
        alt.Chart(t.data)
        .mark_line(point=len(t.data) <= 120)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=[t.tooltip, *(["dimension"] if split else []), alt.Tooltip("value:Q", format=",.3~f")],
        )
    )
    periods = tl.firing_periods()
    shown = periods.assign(
        start=wall_clock(periods["start"], t.zone),
        end=wall_clock(periods["end"], t.zone),
        lasted=periods["minutes"].map(lambda m: fmt.elapsed(minutes=m)),
    )
    rects = (
        alt.Chart(shown)
        .mark_rect(color=FIRING, fillOpacity=0.15, strokeOpacity=0.5)  # the stroke shows a single firing step
        .encode(
            x=alt.X("start:T", scale=alt.Scale(type="utc"), title=f"{TIME_TITLE} ({t.zone})"),
            x2="end:T",
            tooltip=[*(["dimension"] if split else []), alt.Tooltip("lasted:N", title="firing for")],
        )
    )
    threshold = (
        alt.Chart()
        .mark_rule(color=FIRING, strokeDash=[6, 4])
        .encode(y=alt.YDatum(tl.threshold, title=value_title), tooltip=alt.value(f"threshold {tl.threshold:g}"))
    )
    return alt.LayerChart(layer=[rects, line, threshold]).properties(height=260)


def summary(tl: Timeline, days: int) -> str:
    """What the chart shows, in sentences: how often and how long it fired, the threshold, the dimension values."""
    periods = tl.firing_periods()
    fired = sum(t.state == "fired" for t in tl.transitions)
    kept = tl.evaluations["dimension"].nunique()
    said = []
    if fired:
        lasted = fmt.elapsed(minutes=float(periods["minutes"].sum()))
        said.append(f"Fired {'once' if fired == 1 else f'{fired} times'} in {days} days, for {lasted} in all (shaded).")
    said.append(
        f"Dashed line: the threshold {tl.threshold:g}; a point per evaluation, {fmt.when(tl.start)} to "
        f"{fmt.when(tl.end)}."
    )
    if tl.dimensions_seen > kept:
        said.append(
            f"{kept} of {tl.dimensions_seen} dimension values shown (at most {MOST_DIMENSIONS}: those that fired "
            "first, then those that came closest)."
        )
    return " ".join(said)


def backtest_view(tl: Timeline, *, days: int, value_title: str) -> None:
    """The chart, what it shows in a sentence or two, and the fired/resolved times in an expander."""
    if not tl.transitions:
        st.info(f"The rule would not have fired in the last {days} days; the chart shows how close it came.")
    st.altair_chart(backtest_chart(tl, value_title=value_title), width="stretch")
    st.caption(summary(tl, days))
    if tl.transitions:
        with st.expander("Fired and resolved times"):
            st.dataframe(
                pd.DataFrame(
                    [
                        {"at": fmt.when(x.at), "state": x.state, "dimension": x.dimension, "value": x.value}
                        for x in tl.transitions
                    ]
                ),
                hide_index=True,
                width="stretch",
            )

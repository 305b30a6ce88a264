"""Altair charts for one SLO: SLI over time and the error-budget burn-down."""

from __future__ import annotations

import altair as alt
import pandas as pd

from app.ui.time_axis import zoned_time


def sli_chart(frame: pd.DataFrame, objective: float) -> alt.LayerChart:
    """SLI per bin with the objective as a rule."""
    t = zoned_time(frame, "TimeGenerated", tooltip_title="bin start")
    data = t.data.assign(sli_pct=frame["sli"] * 100)
    line = (
        alt.Chart(data)
        .mark_line(point=False)
        .encode(
            x=t.x,
            y=alt.Y("sli_pct:Q", title="SLI %", scale=alt.Scale(zero=False)),
            tooltip=[
                t.tooltip,
                alt.Tooltip("sli_pct:Q", title="SLI %", format=".3f"),
                alt.Tooltip("good:Q", format=",.0f"),
                alt.Tooltip("total:Q", format=",.0f"),
            ],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"objective": [objective]}))
        .mark_rule(color="#d33", strokeDash=[6, 3])
        .encode(y="objective:Q")
    )
    return (line + rule).properties(height=240)


def burndown_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Budget left as bad requests accumulate over the window, from 100 % at its start, with the zero line."""
    t = zoned_time(frame, "TimeGenerated", tooltip_title="bin start")
    data = t.data.assign(remaining_pct=frame["budget_remaining"] * 100)
    area = (
        alt.Chart(data)
        .mark_area(line=True, opacity=0.25)
        .encode(
            x=t.x,
            y=alt.Y("remaining_pct:Q", title="budget remaining %"),
            tooltip=[
                t.tooltip,
                alt.Tooltip("remaining_pct:Q", title="remaining %", format=".1f"),
                alt.Tooltip("cum_bad:Q", title="bad requests so far", format=",.0f"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#d33").encode(y="y:Q")
    return (area + zero).properties(height=240)

"""MTTA and MTTR per month and severity, as people read them: "2 d 7 h", not 3310 minutes."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app.ui import format as fmt

MEASURES = {"mtta_min": "MTTA", "mttr_min": "MTTR"}


def mean_times_table(table: pd.DataFrame) -> None:
    """The month, severity, incident count and the two means in words."""
    shown = table.assign(**{MEASURES[c].lower(): table[c].map(lambda v: fmt.elapsed(minutes=v)) for c in MEASURES})
    st.dataframe(
        shown[["month", "severity", "incidents", "mtta", "mttr"]],
        hide_index=True,
        width="stretch",
        column_config={
            "month": st.column_config.TextColumn("month detected (UTC)"),
            "mtta": st.column_config.TextColumn("MTTA (mean time to acknowledge)"),
            "mttr": st.column_config.TextColumn("MTTR (mean time to resolve)"),
        },
    )


def mean_times_chart(table: pd.DataFrame) -> alt.FacetChart | None:
    """A bar per month and severity, one row per measure, the mean in words in the tooltip; None without means."""
    long = table.melt(
        id_vars=["month", "severity"], value_vars=list(MEASURES), var_name="measure", value_name="minutes"
    ).dropna()
    if long.empty:
        return None
    hours = long["minutes"].max() >= 180  # a day of minutes is an unreadable axis; hours are not
    long = long.assign(
        measure=long["measure"].map(MEASURES),
        value=long["minutes"] / (60 if hours else 1),
        took=long["minutes"].map(lambda v: fmt.elapsed(minutes=v)),
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("month:N", title="month detected (UTC)"),
            xOffset="severity:N",
            y=alt.Y("value:Q", title="hours" if hours else "minutes"),
            color="severity:N",
            row=alt.Row("measure:N", title=None),
            tooltip=["month", "severity", "measure", alt.Tooltip("took:N", title="mean time")],
        )
    )

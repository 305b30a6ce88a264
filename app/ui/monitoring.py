"""Charts and links shared by the monitoring pages (Failures, Performance, Transactions, Application map)."""

from __future__ import annotations

from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from app.ui.safe import inert
from app.ui.time_axis import zoned_time
from app.ui.zone import zone_name
from services.monitoring.failures import transaction_params

ALL = "(all)"


def failures_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Failed requests per bin (bars) and the failure rate (line, right axis)."""
    t = zoned_time(frame, "TimeGenerated", tooltip_title="bin start")
    data = t.data.assign(rate_pct=frame["failure_rate"].astype(float) * 100)
    base = alt.Chart(data).encode(x=t.x)
    tooltip = [
        t.tooltip,
        alt.Tooltip("failed:Q", format=",.0f"),
        alt.Tooltip("requests:Q", format=",.0f"),
        alt.Tooltip("rate_pct:Q", title="failure rate %", format=".2f"),
    ]
    bars = base.mark_bar(color="#d33", opacity=0.7).encode(
        y=alt.Y("failed:Q", title="failed requests"), tooltip=tooltip
    )
    line = base.mark_line(color="#444").encode(y=alt.Y("rate_pct:Q", title="failure rate %"), tooltip=tooltip)
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=220)


def histogram(frame: pd.DataFrame) -> alt.Chart:
    """Requests per duration band (log-scaled bands, in order)."""
    return (
        alt.Chart(frame)
        .mark_bar(color="#0b6bcb")
        .encode(
            x=alt.X("band:N", sort=list(frame["band"]), title="duration band (ms, log-scaled)"),
            y=alt.Y("requests:Q", title="requests"),
            tooltip=["band", alt.Tooltip("requests:Q", format=",.0f")],
        )
        .properties(height=220)
    )


def gantt_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Bars from start to start + duration, one row per item indented by depth; failures red, instants as diamonds."""
    colour = alt.condition("datum.failed", alt.value("#d33"), alt.value("#0b6bcb"))
    labels = list(rows["label"])
    y = alt.Y("label:N", sort=labels, scale=alt.Scale(domain=labels), title=None, axis=alt.Axis(labelLimit=460))
    tooltip: list[str | alt.Tooltip] = [
        "label",
        "item_type",
        alt.Tooltip("offset_ms:Q", title="starts at ms"),
        "duration_ms",
        "failed",
    ]
    base = alt.Chart(rows).encode(y=y, color=colour, tooltip=tooltip)
    bars = (
        base.transform_filter("datum.duration_ms > 0")
        .mark_bar(height=14)
        .encode(x=alt.X("offset_ms:Q", title="ms since the transaction started"), x2="end_ms:Q")
    )
    instants = base.transform_filter("datum.duration_ms <= 0").mark_point(shape="diamond", filled=True, size=110)
    # LayerChart itself, not alt.layer(): no facet encodings here, so never the FacetChart alt.layer() may return
    return alt.LayerChart(layer=[bars, instants.encode(x="offset_ms:Q")]).properties(height=26 * len(rows) + 20)


def with_links(frame: pd.DataFrame) -> pd.DataFrame:
    """Sample operations with a `transaction` column linking to the Transactions page."""
    out = frame.copy()
    out["transaction"] = [
        "transactions?" + urlencode(transaction_params(str(o), t))
        for o, t in zip(out["OperationId"], out["TimeGenerated"], strict=True)
    ]
    return out


def samples_table(frame: pd.DataFrame, key: str) -> None:
    """A table of sample operations, each linking to its end-to-end transaction, and a page link for one."""
    if frame.empty:
        st.info("No operations match; pick another operation, band or time range.")
        return
    zone = zone_name()
    st.dataframe(
        with_links(frame),
        hide_index=True,
        width="stretch",
        key=f"{key}.table",
        column_config={
            "transaction": st.column_config.LinkColumn("transaction", display_text="open"),
            "TimeGenerated": st.column_config.DatetimeColumn(
                f"time ({zone})", format="YYYY-MM-DD HH:mm:ss.SSS", timezone=zone
            ),
            "DurationMs": st.column_config.NumberColumn("duration ms", format="%.1f"),
        },
    )
    chosen = st.selectbox("Open a transaction", list(frame["OperationId"]), key=f"{key}.pick")
    at = frame.loc[frame["OperationId"] == chosen, "TimeGenerated"].iloc[0]
    st.page_link(
        "../pages/transactions.py",
        label=inert(f"End-to-end transaction {chosen}"),
        icon=":material/receipt_long:",
        query_params=transaction_params(str(chosen), at),
    )


def pick(label: str, options: list[str], key: str, param: str | None = None) -> str:
    """A selectbox with an "(all)" first option; a query parameter can preselect a value. Returns '' for all."""
    choices = [ALL, *options]
    wanted = st.query_params.get(param) if param else None
    if wanted and wanted not in choices:
        choices.append(wanted)
    index = choices.index(wanted) if wanted in choices else 0
    value = st.selectbox(label, choices, index=index, key=key)
    return "" if value == ALL else str(value)

"""Charts and links shared by the monitoring pages (Failures, Performance, Transactions, Application map)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from app.ui.linked import linked, preselect
from app.ui.safe import inert
from app.ui.time_axis import zoned_time
from app.ui.zone import zone_name
from services.monitoring.failures import transaction_params

ALL = "(all)"
_N = st.column_config.NumberColumn
_T = st.column_config.TextColumn
# the workspace's column names in the team's words, with a width that shows what a user needs to read
COLUMNS: dict[str, Any] = {
    "Name": _T("operation", width="large"),
    "requests": _N("requests", format="%d"),
    "failed": _N("failed requests", format="%d"),
    "failure_rate": _N("failure rate", format="percent"),
    "ResultCode": _T("result code", width=85),
    "share": _N("share", format="percent", width="small"),
    "ExceptionType": _T("exception type", width="large"),
    "exceptions": _N("exceptions", format="%d", width="small"),
    "Target": _T("target", width="large"),
    "DependencyType": _T("type", width="small"),
    "failed_calls": _N("failed calls", format="%d", width="small"),
    "calls": _N("calls", format="%d", width="small"),
    "avg_ms": _N("average (ms)", format="%.1f"),
    "p50_ms": _N("p50 (ms)", format="%.1f"),
    "p95_ms": _N("p95 (ms)", format="%.1f"),
    "p99_ms": _N("p99 (ms)", format="%.1f"),
    "OperationId": _T("operation id", width=240),
    "Success": st.column_config.CheckboxColumn("succeeded", width=75),
    "AppRoleName": _T("role", width=90),
    "DurationMs": _N("duration (ms)", format="%.1f", width=95),
}


SAMPLE_ORDER = [
    "TimeGenerated",
    "Name",
    "ResultCode",
    "DurationMs",
    "transaction",
    "AppRoleName",
    "Success",
    "OperationId",
]


def columns(frame: pd.DataFrame, **override: Any) -> dict[str, Any]:
    """The column configuration of `frame`'s columns (COLUMNS, then `override` for a column that means more)."""
    return {c: override.get(c, COLUMNS.get(c)) for c in frame.columns if c in override or c in COLUMNS}


def table(
    frame: pd.DataFrame,
    *,
    order: list[str] | None = None,
    key: str | None = None,
    empty: str = "",
    **override: Any,
) -> None:
    """A monitoring table in the team's words, the figures first when `order` says so, stretched to the page; the
    `empty` note instead of a table without rows, when given."""
    if frame.empty and empty:
        st.info(empty)
        return
    st.dataframe(
        frame, hide_index=True, width="stretch", column_config=columns(frame, **override), column_order=order, key=key
    )


def operations_table(ops: pd.DataFrame, total: pd.DataFrame) -> None:
    """Per operation: requests, average and percentiles; the all-operations row first, as the portal shows it."""
    table(pd.concat([total, ops], ignore_index=True) if not total.empty else ops)


BIN = "bin_utc"  # the bin's start as ISO UTC text: what a click on a bar hands back
PICK = "picked_bin"


def failures_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Failed requests per bin (bars, a click picks one) and the failure rate (line, right axis)."""
    t = zoned_time(frame, "TimeGenerated", tooltip_title="bin start")
    bins = pd.to_datetime(frame["TimeGenerated"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    data = t.data.assign(rate_pct=frame["failure_rate"].astype(float) * 100, **{BIN: bins})
    base = alt.Chart(data).encode(x=t.x)
    pick = alt.selection_point(name=PICK, fields=[BIN], on="click")
    tooltip = [
        t.tooltip,
        alt.Tooltip("failed:Q", format=",.0f"),
        alt.Tooltip("requests:Q", format=",.0f"),
        alt.Tooltip("rate_pct:Q", title="failure rate %", format=".2f"),
    ]
    bars = (
        base.mark_bar(color="#d33")
        .encode(
            y=alt.Y("failed:Q", title="failed requests"),
            tooltip=tooltip,
            opacity=alt.condition(pick, alt.value(0.8), alt.value(0.35)),
        )
        .add_params(pick)
    )
    line = base.mark_line(color="#444").encode(y=alt.Y("rate_pct:Q", title="failure rate %"), tooltip=tooltip)
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=220)


def picked_bin(event: Any, grain: timedelta) -> tuple[datetime, datetime] | None:
    """The (start, end] of the bar a user clicked on the failures chart, or None (nothing or something else)."""
    points = ((event or {}).get("selection") or {}).get(PICK) or []
    value = points[0].get(BIN) if points and isinstance(points[0], dict) else None
    try:
        start = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return (start, start + grain) if start is not None and start.tzinfo else None


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
    table(
        with_links(frame),
        key=f"{key}.table",
        # what a user reads first, then the link; the long id last: clipped on a narrow screen, it is in the picker
        order=[c for c in SAMPLE_ORDER if c in frame.columns or c == "transaction"],
        Name=_T("operation", width=220),
        transaction=st.column_config.LinkColumn("transaction", display_text="open", width=85),
        TimeGenerated=st.column_config.DatetimeColumn(
            f"time ({zone})", format="YYYY-MM-DD HH:mm:ss.SSS", timezone=zone, width=170
        ),
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
    wanted = linked(param) if param else None
    if wanted and wanted not in choices:
        choices.append(wanted)
    if param:
        preselect(key, param, choices)  # each new link once; afterwards the user's own choice stands
    if st.session_state.get(key) not in choices:
        st.session_state.pop(key, None)
    value = st.selectbox(label, choices, key=key)
    return "" if value == ALL else str(value)

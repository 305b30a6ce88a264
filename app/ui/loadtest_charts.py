"""Altair charts for load-test runs: series over time, runs overlaid, throughput versus latency, trends."""

from __future__ import annotations

import altair as alt
import pandas as pd

from app.ui.time_axis import elapsed_text, elapsed_x, zoned_time

SERIES = {
    "vus": "VUs",
    "rps": "requests / s",
    "p95_ms": "p95 (ms)",
    "failures": "failed requests",
}
COUNTS = {"vus", "failures", "requests"}


def value_axis(field: str) -> alt.Axis:
    """Whole numbers for counts, no trailing zeros for rates and latencies, a percent for failure rates."""
    if field in COUNTS:
        return alt.Axis(format=",d", tickMinStep=1)
    return alt.Axis(format=".2~%" if field == "failure_rate" else ",~r")


def over_time(frame: pd.DataFrame, field: str, *, color: str | None = None, height: int = 160) -> alt.Chart:
    """One figure per bucket against the bucket's start on the display clock."""
    t = zoned_time(frame[["bucket", field]].dropna(), "bucket", tooltip_title="bucket start")
    return (
        alt.Chart(t.data)
        .mark_line(point=True, color=color or "#1f77b4")
        .encode(
            x=t.x,
            y=alt.Y(f"{field}:Q", title=SERIES.get(field, field), axis=value_axis(field)),
            tooltip=[t.tooltip, alt.Tooltip(f"{field}:Q", format=",.2f")],
        )
        .properties(height=height)
    )


def overlaid(frames: dict[str, pd.DataFrame], field: str, *, height: int = 200) -> alt.Chart:
    """Several runs' figure against the time since each run's start (mm:ss)."""
    data = pd.concat([f[["elapsed_s", field]].assign(run=name) for name, f in frames.items()], ignore_index=True)
    data = data.dropna().assign(elapsed=lambda d: elapsed_text(d["elapsed_s"]))
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=elapsed_x("elapsed_s", data["elapsed_s"].max() if len(data) else 0),
            y=alt.Y(f"{field}:Q", title=SERIES.get(field, field), axis=value_axis(field)),
            color=alt.Color("run:N", title=None),
            tooltip=["run:N", alt.Tooltip("elapsed:N", title="elapsed"), alt.Tooltip(f"{field}:Q", format=",.2f")],
        )
        .properties(height=height)
    )


SUSTAINED = "sustained: whole bucket, p95 within the SLO"
LOG_TICKS_MS = [1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000]  # a log axis labelled at 1-3-10 steps
OVER = "whole bucket, p95 over the SLO"
PARTIAL = "partial bucket (the run covers part of it)"


def bucket_kind(curve: pd.DataFrame, threshold_ms: float) -> pd.Series:
    """Each bucket's kind on the chart: sustained, over the SLO, or partial (not judged)."""
    over = curve["full"] & (curve["p95_ms"] > threshold_ms)
    return pd.Series(
        [SUSTAINED if s else OVER if o else PARTIAL for s, o in zip(curve["sustained"], over, strict=True)],
        index=curve.index,
        dtype=object,
    )


def throughput_latency(curve: pd.DataFrame, threshold_ms: float) -> alt.LayerChart:
    """RPS against p95 per bucket, coloured by kind (sustained green, over the SLO red, partial grey); the SLO
    threshold as a rule. p95 on a log scale, so the knee and the threshold stay readable next to a saturated
    bucket of seconds."""
    t = zoned_time(curve.dropna(subset=["p95_ms"]), "bucket", tooltip_title="bucket start")
    data = t.data.assign(kind=lambda f: bucket_kind(f, threshold_ms))
    log = bool(len(data)) and bool((data["p95_ms"] > 0).all()) and threshold_ms > 0
    points = (
        alt.Chart(data)
        .mark_circle(size=70)
        .encode(
            x=alt.X("rps:Q", title="requests / s (per bucket)", axis=value_axis("rps")),
            y=alt.Y(
                "p95_ms:Q",
                title="p95 (ms, log scale)" if log else "p95 (ms)",
                axis=alt.Axis(format=",~r", values=LOG_TICKS_MS) if log else value_axis("p95_ms"),
                scale=alt.Scale(type="log") if log else alt.Undefined,
            ),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=[SUSTAINED, OVER, PARTIAL], range=["#2ca02c", "#d33", "#999999"]),
                legend=alt.Legend(orient="bottom", labelLimit=400),
            ),
            tooltip=[
                t.tooltip,
                alt.Tooltip("rps:Q", format=",.2f"),
                alt.Tooltip("p95_ms:Q", format=",.1f"),
                alt.Tooltip("vus:Q", title="VUs"),
                alt.Tooltip("kind:N", title="bucket"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"t": [threshold_ms]})).mark_rule(color="#d33", strokeDash=[6, 3]).encode(y="t:Q")
    return (points + rule).properties(height=300)


def trend(frame: pd.DataFrame, field: str, title: str) -> alt.LayerChart:
    """A figure across runs against their import time on the display clock, regressions in red."""
    t = zoned_time(frame.dropna(subset=[field]), "imported_at", title="imported")
    data = t.data.assign(run_label=lambda f: "#" + f["run"].astype(str))
    y = alt.Y(f"{field}:Q", title=title, axis=value_axis(field))
    line = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=60))
        .encode(
            x=t.x,
            y=y,
            tooltip=["run_label:N", "title:N", t.tooltip, alt.Tooltip(f"{field}:Q", format=",.4f"), "regression:N"],
        )
    )
    flagged = alt.Chart(data[data["regression"]]).mark_point(color="#d33", size=160, shape="diamond", filled=True)
    return (line + flagged.encode(x=t.x, y=y)).properties(height=180)

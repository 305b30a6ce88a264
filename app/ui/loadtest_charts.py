"""Altair charts for load-test runs: series over time, runs overlaid, throughput versus latency, trends."""

from __future__ import annotations

import altair as alt
import pandas as pd

SERIES = {
    "vus": "VUs",
    "rps": "requests / s",
    "p95_ms": "p95 (ms)",
    "failures": "failed requests",
}


def over_time(frame: pd.DataFrame, field: str, *, color: str | None = None, height: int = 160) -> alt.Chart:
    """One figure per bucket against the bucket's time."""
    data = frame[["bucket", field]].dropna()
    return (
        alt.Chart(data)
        .mark_line(point=True, color=color or "#1f77b4")
        .encode(
            x=alt.X("bucket:T", title=None),
            y=alt.Y(f"{field}:Q", title=SERIES.get(field, field)),
            tooltip=[alt.Tooltip("bucket:T", title="bucket start"), alt.Tooltip(f"{field}:Q", format=",.2f")],
        )
        .properties(height=height)
    )


def overlaid(frames: dict[str, pd.DataFrame], field: str, *, height: int = 200) -> alt.Chart:
    """Several runs' figure against seconds since each run's start."""
    data = pd.concat([f[["elapsed_s", field]].assign(run=name) for name, f in frames.items()], ignore_index=True)
    return (
        alt.Chart(data.dropna())
        .mark_line(point=True)
        .encode(
            x=alt.X("elapsed_s:Q", title="seconds since the run started"),
            y=alt.Y(f"{field}:Q", title=SERIES.get(field, field)),
            color=alt.Color("run:N", title=None),
            tooltip=["run:N", alt.Tooltip("elapsed_s:Q", title="s"), alt.Tooltip(f"{field}:Q", format=",.2f")],
        )
        .properties(height=height)
    )


def throughput_latency(curve: pd.DataFrame, threshold_ms: float) -> alt.LayerChart:
    """RPS against p95 per bucket; sustained buckets highlighted; the SLO threshold as a rule."""
    data = curve.dropna(subset=["p95_ms"]).assign(
        kind=lambda f: f["sustained"].map({True: "sustained (whole bucket, p95 within SLO)", False: "other"})
    )
    points = (
        alt.Chart(data)
        .mark_circle(size=70)
        .encode(
            x=alt.X("rps:Q", title="requests / s (per bucket)"),
            y=alt.Y("p95_ms:Q", title="p95 (ms)"),
            color=alt.Color("kind:N", title=None, scale=alt.Scale(range=["#2ca02c", "#999999"])),
            tooltip=[
                alt.Tooltip("bucket:T", title="bucket start"),
                alt.Tooltip("rps:Q", format=",.2f"),
                alt.Tooltip("p95_ms:Q", format=",.1f"),
                alt.Tooltip("vus:Q", title="VUs"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"t": [threshold_ms]})).mark_rule(color="#d33", strokeDash=[6, 3]).encode(y="t:Q")
    return (points + rule).properties(height=300)


def trend(frame: pd.DataFrame, field: str, title: str) -> alt.Chart:
    """A figure across runs, regressions in red."""
    data = frame.dropna(subset=[field]).assign(run_label=lambda f: "#" + f["run"].astype(str))
    return (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=60))
        .encode(
            x=alt.X("imported_at:T", title=None),
            y=alt.Y(f"{field}:Q", title=title),
            tooltip=["run_label:N", "title:N", alt.Tooltip(f"{field}:Q", format=",.4f"), "regression:N"],
        )
        .properties(height=180)
    ) + alt.Chart(data[data["regression"]]).mark_point(color="#d33", size=160, shape="diamond", filled=True).encode(
        x="imported_at:T", y=f"{field}:Q"
    )

"""The Performance view: duration percentiles per operation, one operation's distribution and slow dependencies."""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd

from services.auth import Actor
from services.monitoring.common import fetch, to_int
from services.telemetry.runner import Runner, may_read

PER_DECADE = 10  # log-scaled bands per decade, as in performance_distribution.kql
ALL_OPERATIONS = "All operations"
DURATIONS = ("avg_ms", "p50_ms", "p95_ms", "p99_ms")


def operations(run: Runner, *, actor: Actor, start: datetime, end: datetime, role: str = "") -> pd.DataFrame:
    """Per operation: requests, average, p50, p95 and p99 duration (ms), busiest first."""
    may_read(actor)
    frame = to_int(fetch(run, "performance_operations", start, end, [], actor=actor, role=role), "requests")
    for col in DURATIONS:
        if col in frame:
            frame[col] = frame[col].astype(float)
    return frame


def all_operations(run: Runner, *, actor: Actor, start: datetime, end: datetime, role: str = "") -> pd.DataFrame:
    """One row named "All operations": requests, average and percentiles over every request's own duration (the
    query reads the raw rows: a p95 of percentiles would be no p95 at all)."""
    may_read(actor)
    frame = to_int(fetch(run, "performance_all_operations", start, end, [], actor=actor, role=role), "requests")
    frame = frame[frame["requests"] > 0] if "requests" in frame else frame  # no request: no row, as per operation
    for col in DURATIONS:
        if col in frame:
            frame[col] = frame[col].astype(float)
    return frame.assign(Name=ALL_OPERATIONS)[["Name", *frame.columns]]


def band(bucket: int) -> tuple[float, float]:
    """The [low, high) duration in ms of a log-scaled bucket (bucket 0 also holds everything under 1 ms)."""
    bucket = int(bucket)
    low = 0.0 if bucket <= 0 else float(10 ** (bucket / PER_DECADE))
    return low, float(10 ** ((bucket + 1) / PER_DECADE))


def band_label(bucket: int) -> str:
    """A band as text, like '100–126 ms'."""
    low, high = band(bucket)
    return f"< {_ms(high)} ms" if low == 0 else f"{_ms(low)}–{_ms(high)} ms"


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    digits = max(0, 2 - math.floor(math.log10(value)))
    return f"{value:.{digits}f}"


def distribution(
    run: Runner, *, actor: Actor, start: datetime, end: datetime, operation: str, role: str = ""
) -> pd.DataFrame:
    """Requests per log-scaled duration band of one operation: bucket, low_ms, high_ms, band, requests."""
    may_read(actor)
    frame = to_int(
        fetch(run, "performance_distribution", start, end, [], actor=actor, role=role, operation=operation), "requests"
    )
    if frame.empty:
        return pd.DataFrame(columns=["bucket", "low_ms", "high_ms", "band", "requests"])
    frame["bucket"] = frame["bucket"].astype("int64")
    bands = [band(b) for b in frame["bucket"]]
    frame["low_ms"] = [b[0] for b in bands]
    frame["high_ms"] = [b[1] for b in bands]
    frame["band"] = [band_label(b) for b in frame["bucket"]]
    return frame[["bucket", "low_ms", "high_ms", "band", "requests"]]


def dependencies(
    run: Runner, *, actor: Actor, start: datetime, end: datetime, operation: str, role: str = ""
) -> pd.DataFrame:
    """The dependency calls within one operation's requests, slowest on average first (top 20)."""
    may_read(actor)
    frame = to_int(
        fetch(run, "performance_dependencies", start, end, [], actor=actor, role=role, operation=operation),
        "calls",
        "failed",
    )
    for col in ("avg_ms", "p95_ms"):
        if col in frame:
            frame[col] = frame[col].astype(float)
    return frame


def samples(
    run: Runner, *, actor: Actor, start: datetime, end: datetime, operation: str, bucket: int, role: str = ""
) -> pd.DataFrame:
    """The 50 slowest requests of one operation in one duration band."""
    may_read(actor)
    low, high = band(bucket)
    return fetch(
        run,
        "performance_samples",
        start,
        end,
        [],
        actor=actor,
        role=role,
        operation=operation,
        bucket=int(bucket),  # a numpy integer would not render as a KQL literal
        low_ms=low * 0.999,
        high_ms=high * 1.001,
    )

"""What every monitoring view shares: running catalogue queries, the permission, time bins and shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from services.auth import Actor, require
from services.telemetry import catalogue
from services.telemetry.source import QueryResult, TelemetrySource

# run(name, start, end, **params) -> QueryResult: a catalogue query by name (the app passes a cached one)
Runner = Callable[..., QueryResult]

GRAINS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(days=1),
)


def source_runner(source: TelemetrySource) -> Runner:
    """A Runner that renders a catalogue query and runs it on `source` over [start, end]."""

    def run(name: str, start: datetime, end: datetime, **params: Any) -> QueryResult:
        text = catalogue.render(name, start=start, end=end, **params)
        return source.query(text, timespan=(start, end), name=name)

    return run


def allowed(actor: Actor) -> None:
    """Reading telemetry needs telemetry.query (viewer and up)."""
    require(actor, "telemetry.query")


def fetch(run: Runner, name: str, start: datetime, end: datetime, notes: list[str], **params: Any) -> pd.DataFrame:
    """The rows of one catalogue query; a partial or cut result adds its warning to `notes`."""
    result = run(name, start, end, **params)
    if result.warning:
        notes.append(result.warning)
    return result.frame


def grain_for(start: datetime, end: datetime, most_bins: int = 120) -> timedelta:
    """The smallest of 1m, 5m, 15m, 1h, 3h, 6h, 1d that keeps the range within `most_bins` bins."""
    span = end - start
    return next((g for g in GRAINS if span / g <= most_bins), GRAINS[-1])


def with_share(frame: pd.DataFrame, column: str, total: float | None = None) -> pd.DataFrame:
    """Add `share` = column / total (the column's sum when no total is given); 0 when the total is 0."""
    out = frame.copy()
    denominator = float(out[column].sum()) if total is None else float(total)
    out["share"] = out[column].astype(float) / denominator if denominator else 0.0
    return out


def to_int(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Counts as plain integers (sums arrive as floats or decimals from some sources)."""
    for c in columns:
        if c in frame:
            frame[c] = frame[c].fillna(0).astype("int64")
    return frame

"""What every monitoring view shares: reading catalogue queries through a Runner, time bins and shares."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from services.auth import Actor
from services.telemetry.kql import KqlValue
from services.telemetry.runner import Runner

GRAINS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(days=1),
)


def fetch(
    run: Runner, name: str, start: datetime, end: datetime, notes: list[str], *, actor: Actor, **params: KqlValue
) -> pd.DataFrame:
    """The rows of one catalogue query read by `actor`; a partial or cut result, or files left out, add their
    notices to `notes` (once each: every query of a page may name the same file)."""
    result = run(name, actor=actor, start=start, end=end, **params)
    notes.extend(n for n in result.notices if n not in notes)
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

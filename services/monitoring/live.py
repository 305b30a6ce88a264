"""Live metrics: incoming and failed request rates, p95, dependency calls and the latest exceptions of the last minutes.

It polls stored telemetry (on Azure, ingestion delay applies: the newest rows are a few minutes old), so every
snapshot says the newest timestamp it saw. Figures cover the last WINDOW; the sparklines the last SPARK minutes in
BUCKET steps. One batch of five catalogue queries per refresh (one round trip on Azure); the fifth is every role's
CPU % and memory over the window (services.monitoring.counters). The stop/start gaps of every
role (services.monitoring.gaps) are counted in whole minutes, so they are read once a minute (`recent_gaps`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from services.auth import Actor
from services.monitoring import counters, gaps
from services.telemetry import runner
from services.telemetry.source import QuerySpec, TelemetrySource

WINDOW = timedelta(minutes=5)
SPARK = timedelta(minutes=15)
BUCKET = timedelta(minutes=1)
LOOKBACK = timedelta(days=1)  # how far back to look for the newest row when the live window is empty
REFRESH = timedelta(seconds=5)
# an instance needs its steady half hour inside the range: gaps that began in the last hour show
GAPS_LOOKBACK = timedelta(minutes=90)
SERIES_COLUMNS = ["bucket", "requests", "failed", "p95_ms", "calls", "calls_failed"]


@dataclass(frozen=True)
class LiveSnapshot:
    """One refresh of the live view, with every number behind it."""

    service: str
    at: datetime
    window: timedelta
    requests: int
    failed: int
    p95_ms: float | None
    calls: int
    calls_failed: int
    newest: datetime | None
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    exceptions: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    usage: counters.Counters | None = None  # every role's CPU % and memory over the window

    @property
    def request_rate(self) -> float:
        """Incoming requests per second over the window."""
        return self.requests / self.window.total_seconds()

    @property
    def failed_rate(self) -> float:
        """Failed requests per second over the window."""
        return self.failed / self.window.total_seconds()

    @property
    def failure_ratio(self) -> float | None:
        """failed / requests (None without requests)."""
        return self.failed / self.requests if self.requests else None

    @property
    def call_rate(self) -> float:
        """Dependency calls per second over the window."""
        return self.calls / self.window.total_seconds()

    @property
    def lag(self) -> timedelta | None:
        """How far the newest row is behind `at` (ingestion delay plus quiet time)."""
        return None if self.newest is None else self.at - self.newest


def slot_end(now: datetime) -> datetime:
    """The end of the 5-second refresh slot `now` falls in: the page's `at`, so every viewer in one slot shares one
    snapshot and a row stamped up to the moment of the refresh (ingested a second ago) is inside its window."""
    now = now.astimezone(UTC)
    floor = now.replace(second=now.second - now.second % 5, microsecond=0)
    return floor + REFRESH


def specs(*, service: str, at: datetime, limit: int = 10) -> list[QuerySpec]:
    """The refresh's queries: requests over the window, request and dependency series, latest exceptions, and every
    role's CPU and memory over the window."""
    start, spark = at - WINDOW, at - SPARK
    return [
        runner.spec("live_requests", start=start, end=at, service=service),
        runner.spec("live_requests_series", start=spark, end=at, service=service, bucket=BUCKET),
        runner.spec(
            "live_dependencies_series", start=spark, end=at, service=service, bucket=BUCKET, window_start=start
        ),
        runner.spec("live_exceptions", start=start, end=at, service=service, limit=limit),
        runner.spec(counters.QUERY, start=start, end=at, role=""),
    ]


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _time(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)).to_pydatetime()


def minute_grid(at: datetime) -> pd.DataFrame:
    """One row per bucket of the sparkline window, oldest first (the first and last buckets are partial)."""
    first = pd.Timestamp(at - SPARK).floor(BUCKET)
    return pd.DataFrame({"bucket": pd.date_range(first, pd.Timestamp(at).floor(BUCKET), freq=BUCKET)})


def merge_series(at: datetime, requests: pd.DataFrame, dependencies: pd.DataFrame) -> pd.DataFrame:
    """Request and dependency buckets on one minute grid; quiet minutes count zero (p95 stays empty)."""
    base = minute_grid(at)
    req = requests[["bucket", "requests", "failed", "p95_ms"]] if len(requests) else None
    dep = (
        dependencies[["bucket", "calls", "failed"]].rename(columns={"failed": "calls_failed"})
        if len(dependencies)
        else None
    )
    out = base if req is None else base.merge(req, on="bucket", how="left")
    out = out if dep is None else out.merge(dep, on="bucket", how="left")
    for col in ("requests", "failed", "calls", "calls_failed"):
        out[col] = out[col].fillna(0).astype("int64") if col in out else 0
    out["p95_ms"] = out["p95_ms"].astype(float) if "p95_ms" in out else float("nan")
    return out[SERIES_COLUMNS]


def snapshot(source: TelemetrySource, *, actor: Actor, service: str, at: datetime | None = None) -> LiveSnapshot:
    """Run the live queries as of `at` (default now) and gather the figures; looks further back when all is quiet."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    started = time.perf_counter()
    req, series, deps, exc, use = runner.run_batch(source, specs(service=service, at=at), actor=actor)
    notes = tuple(dict.fromkeys(n for r in (req, series, deps, exc, use) for n in r.notices))
    row = req.frame.iloc[0] if len(req.frame) else pd.Series(dtype=object)
    d = deps.frame
    newest = [t for t in (_time(row.get("newest")), _time(d["newest"].max()) if len(d) else None) if t is not None]
    seen = max(newest) if newest else None
    if seen is None:
        old = runner.run(source, "live_newest", actor=actor, start=at - LOOKBACK, end=at, service=service).frame
        seen = _time(old["newest"].iloc[0]) if len(old) else None
    return LiveSnapshot(
        service=service,
        at=at,
        window=WINDOW,
        requests=int(_num(row.get("requests")) or 0),
        failed=int(_num(row.get("failed")) or 0),
        p95_ms=_num(row.get("p95_ms")),
        calls=int(d["calls_window"].sum()) if len(d) else 0,
        calls_failed=int(d["failed_window"].sum()) if len(d) else 0,
        newest=seen,
        series=merge_series(at, series.frame, d),
        exceptions=exc.frame,
        notes=notes,
        elapsed_s=time.perf_counter() - started,
        usage=counters.summarise(use.frame, start=at - WINDOW, end=at),
    )


def gap_range(at: datetime) -> tuple[datetime, datetime]:
    """The range the gaps are read over as of `at`: GAPS_LOOKBACK up to the start of `at`'s minute."""
    end = at.astimezone(UTC).replace(second=0, microsecond=0)
    return end - GAPS_LOOKBACK, end


def recent_gaps(source: TelemetrySource, *, actor: Actor, at: datetime) -> list[gaps.Gap]:
    """The stop/start gaps of every role that began in the last hour as of `at`'s minute (the same for every refresh
    within the minute: the page reads them once a minute)."""
    start, end = gap_range(at)
    return gaps.find(runner.bound(source), actor=actor, start=start, end=end, notes=[])

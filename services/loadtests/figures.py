"""Merge what a summary and raw points say about one run into the rows to store.

Raw points win for figures (they hold every request, and give p99 and per-endpoint numbers); the summary wins for
thresholds (k6's own verdict, including submetric thresholds that NDJSON does not list) and for the request rate
(k6 divides by the whole test duration, which the points alone do not show). A figure neither file holds is None.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from services.loadtests.models import LoadTestCheck, LoadTestEndpoint, LoadTestRun, LoadTestThreshold
from services.loadtests.schemas import KIND_LABELS, POINT_KINDS, InputFile, ParsedPoints, ParsedSummary
from services.uploads import future_note

DURATION_KEYS = {"avg": "avg", "min": "min", "med": "med", "max": "max", "p90": "p(90)", "p95": "p(95)", "p99": "p(99)"}


def _int(v: float | None) -> int | None:
    return None if v is None else round(v)


def build_rows(
    summary: ParsedSummary | None, points: ParsedPoints | None
) -> tuple[dict[str, Any], list[LoadTestThreshold], list[LoadTestCheck], list[LoadTestEndpoint]]:
    """The run's column values and its child rows."""
    sm = summary.metrics if summary else {}
    pm = points.metrics if points else {}
    best = pm or sm
    dur = best.get("http_req_duration", {})
    reqs = best.get("http_reqs", {})
    failed = best.get("http_req_failed", {})
    duration_s = summary.duration_s if summary and summary.duration_s else None
    if duration_s is None and points and points.started_at is not None and points.ended_at is not None:
        duration_s = (points.ended_at - points.started_at).total_seconds() or None
    rps = sm.get("http_reqs", {}).get("rate")
    if rps is None and reqs.get("count") is not None and duration_s:
        rps = reqs["count"] / duration_s
    vus_max = sm.get("vus_max", {}).get("max") or sm.get("vus", {}).get("max") or pm.get("vus", {}).get("max")
    values: dict[str, Any] = {
        "started_at": points.started_at if points else None,
        "ended_at": points.ended_at if points else None,
        "duration_s": duration_s,
        "requests": int(reqs.get("count", 0)),
        "failed_requests": _int(failed.get("passes")),  # http_req_failed: `passes` counts FAILED requests
        "failure_rate": failed.get("rate"),
        "rps": rps,
        "peak_rps": points.peak_rps if points else None,
        "iterations": _int(best.get("iterations", {}).get("count")),
        "vus_max": _int(vus_max),
        "points": points.points if points else 0,
        "metrics": {name: dict(v) for name, v in sorted((sm | pm).items())},
    }
    for key, k6_key in DURATION_KEYS.items():
        values[f"duration_{key}_ms"] = dur.get(k6_key)
    found = summary.thresholds if summary else (points.thresholds if points else [])
    thresholds = [
        LoadTestThreshold(metric=t.metric, expression=t.expression, ok=t.ok, observed=t.observed, source=t.source)
        for t in found
    ]
    check_src = summary.checks if summary and summary.checks else (points.checks if points else [])
    checks = [LoadTestCheck(name=c.name[:400], passes=c.passes, fails=c.fails) for c in check_src]
    endpoints = [
        LoadTestEndpoint(
            name=e.name[:400],
            requests=e.requests,
            failures=e.failures,
            failure_rate=e.failure_rate,
            avg_ms=e.avg_ms,
            p95_ms=e.p95_ms,
        )
        for e in (points.endpoints if points else [])
    ]
    return values, thresholds, checks, endpoints


def new_run(values: dict[str, Any], **fields: Any) -> LoadTestRun:
    """A LoadTestRun from build_rows' values plus the import's own fields."""
    return LoadTestRun(**values, **fields)


def input_files(found: Iterable[tuple[InputFile, str]], points: ParsedPoints | None) -> list[dict[str, Any]]:
    """The run's `files` entries: name, format and size, and for raw points how many are dated ahead."""
    out: list[dict[str, Any]] = []
    for f, kind in found:
        entry: dict[str, Any] = {"name": f.name, "format": KIND_LABELS[kind], "bytes": os.path.getsize(f.path)}
        if points is not None and kind in POINT_KINDS and points.future_points:
            entry["future_points"] = points.future_points
            entry["latest_point"] = points.ended_at.isoformat() if points.ended_at else None
        out.append(entry)
    return out


def notices(run: LoadTestRun) -> list[str]:
    """What the import's message adds to its figures: points dated more than a day in the future."""
    out = []
    for entry in run.files or []:
        latest = entry.get("latest_point")
        note = future_note(
            int(entry.get("future_points") or 0),
            datetime.fromisoformat(latest) if latest else None,
            what=f"points of {entry.get('name')}",
        )
        if note:
            out.append(note[:1].upper() + note[1:] + ".")
    return out

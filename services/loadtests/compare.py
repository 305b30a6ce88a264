"""Two runs side by side, and the trend of a service's runs with regressions flagged.

Regression rule (each run against the median of the runs of the same service imported before it):
  p95           worse when more than 10 % above the median p95
  failure rate  worse when more than 10 % above the median failure rate and at least 0.1 percentage point higher
  peak RPS      worse when more than 10 % below the median peak RPS
"""

from __future__ import annotations

import statistics

import pandas as pd

from services.loadtests.report import RunReport

TOLERANCE = 0.10
MIN_FAILURE_STEP = 0.001
RULE = (
    "A run is flagged when, against the median of the earlier runs of the same service, its p95 is more than 10 % "
    "higher, its failure rate more than 10 % (and ≥ 0.1 percentage point) higher, or its peak RPS more than 10 % lower."
)


def figures(r: RunReport) -> dict[str, float | None]:
    """The figures compared between runs."""
    d = r.duration_ms
    return {
        "requests": float(r.requests),
        "RPS (k6 rate)": r.rps,
        "peak RPS (busiest 1-min average)": r.peak_rps,
        "failure rate": r.failure_rate,
        **{f"http_req_duration {k} (ms)": d.get(k) for k in ("avg", "min", "med", "p90", "p95", "p99", "max")},
        "iterations": None if r.iterations is None else float(r.iterations),
        "VUs max": None if r.vus_max is None else float(r.vus_max),
    }


def deltas(a: RunReport, b: RunReport) -> pd.DataFrame:
    """Figure by figure: run A, run B, B − A and the change in percent of A."""
    fa, fb = figures(a), figures(b)
    rows = []
    for key in fa:
        x, y = fa[key], fb[key]
        delta = None if x is None or y is None else y - x
        pct = None if delta is None or not x else delta / x
        rows.append({"figure": key, "run A": x, "run B": y, "B − A": delta, "change": pct})
    return pd.DataFrame(rows)


def _worse(value: float | None, previous: list[float], *, higher_is_worse: bool, min_step: float = 0.0) -> bool:
    if value is None or not previous:
        return False
    median = statistics.median(previous)
    if higher_is_worse:
        return value > median * (1 + TOLERANCE) and value - median >= min_step
    return value < median * (1 - TOLERANCE)


def trend(reports: list[RunReport]) -> pd.DataFrame:
    """Runs of one service, oldest first, with p95, failure rate, peak RPS and the regression flags."""
    ordered = sorted(reports, key=lambda r: (r.imported_at, r.id))
    rows = []
    for i, r in enumerate(ordered):
        before = ordered[:i]
        prev = {
            "p95": [x.duration_ms["p95"] for x in before if x.duration_ms["p95"] is not None],
            "fr": [x.failure_rate for x in before if x.failure_rate is not None],
            "peak": [x.peak_rps for x in before if x.peak_rps is not None],
        }
        flags = {
            "p95 regression": _worse(r.duration_ms["p95"], prev["p95"], higher_is_worse=True),
            "failure-rate regression": _worse(
                r.failure_rate, prev["fr"], higher_is_worse=True, min_step=MIN_FAILURE_STEP
            ),
            "peak-RPS regression": _worse(r.peak_rps, prev["peak"], higher_is_worse=False),
        }
        rows.append(
            {
                "run": r.id,
                "title": r.title,
                "imported_at": r.imported_at,
                "p95_ms": r.duration_ms["p95"],
                "failure_rate": r.failure_rate,
                "peak_rps": r.peak_rps,
                **flags,
                "regression": any(flags.values()),
            }
        )
    return pd.DataFrame(rows)

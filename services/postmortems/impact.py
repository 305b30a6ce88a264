"""A postmortem's impact, computed from telemetry for the incident's window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from services.auth import Actor
from services.slos import budget
from services.slos.evaluation import SloDefinition, evaluate
from services.telemetry import runner
from services.telemetry.source import TelemetrySource

DEFAULT_THRESHOLD_MS = 300.0


def _n(frame: pd.DataFrame, col: str) -> int:
    v = frame[col].iloc[0] if len(frame) and col in frame else 0
    return 0 if v is None or pd.isna(v) else round(float(v))


def compute_impact(
    source: TelemetrySource, *, actor: Actor, service: str, start: datetime, end: datetime, slos: list[SloDefinition]
) -> dict[str, Any]:
    """Failed requests, affected users and accounts in (start, end], and the error budget each SLO lost to it.

    budget burned = bad requests in the incident window / allowed bad requests over the SLO window ending at `end`.
    SLOs of another service, or scoped to one operation, are left out.
    """
    mine = [s for s in slos if s.service == service and not s.operation]
    thresholds = {s.threshold_ms or DEFAULT_THRESHOLD_MS for s in mine if s.kind == "latency"} or {DEFAULT_THRESHOLD_MS}
    frames: dict[float, pd.DataFrame] = {}
    for threshold in sorted(thresholds):
        frames[threshold] = runner.run(
            source, "incident_impact", actor=actor, start=start, end=end, service=service, threshold_ms=threshold
        ).frame
    first = frames[min(frames)]
    statuses = {st.slo.id: st for st in evaluate(source, mine, actor=actor, at=end)} if mine else {}
    per_slo = []
    for slo in mine:
        f = frames[slo.threshold_ms or DEFAULT_THRESHOLD_MS] if slo.kind == "latency" else first
        bad = _n(f, "slow") if slo.kind == "latency" else _n(f, "failed")
        st = statuses[slo.id]
        per_slo.append(
            {
                "slo": slo.name,
                "bad": bad,
                "allowed_bad": round(st.allowed_bad, 1),
                "burned": None if st.allowed_bad <= 0 else bad / st.allowed_bad,
                "formula": f"{bad:,} / ({budget.error_budget(slo.objective):.4g} × {st.total:,} requests in "
                f"{slo.window_days} d)",
            }
        )
    return {
        "service": service,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "requests": _n(first, "requests"),
        "failed": _n(first, "failed"),
        "users": _n(first, "users"),
        "accounts": _n(first, "accounts"),
        "slos": per_slo,
    }


def telemetry_markers(
    source: TelemetrySource, *, actor: Actor, service: str, start: datetime, end: datetime
) -> list[dict[str, str]]:
    """Timeline entries read from telemetry: the first failing minute, the worst minute, and releases first seen
    from six hours before the incident to its end."""
    f = runner.run(source, "incident_failures_per_minute", actor=actor, start=start, end=end, service=service).frame
    out: list[dict[str, str]] = []
    failing = f[f["failed"] > 0] if len(f) else f
    if len(failing):
        first = failing.iloc[0]
        worst = failing.iloc[int(failing["failed"].to_numpy().argmax())]
        out.append(
            {
                "at": pd.Timestamp(first["minute"]).isoformat(),
                "text": f"Telemetry: first failed requests ({int(first['failed'])} in that minute)",
            }
        )
        out.append(
            {
                "at": pd.Timestamp(worst["minute"]).isoformat(),
                "text": f"Telemetry: failures peaked at {int(worst['failed'])} of {int(worst['requests'])} "
                "requests in one minute",
            }
        )
    since = start - pd.Timedelta(hours=6)
    rel = runner.run(source, "releases", actor=actor, start=since, end=end, service=service).frame
    for _, r in rel.iloc[1:].iterrows():  # the first version was already running; each later one is a release
        out.append(
            {
                "at": pd.Timestamp(r["first_seen"]).isoformat(),
                "text": f"Telemetry: release {r['AppVersion']} first served requests",
            }
        )
    return sorted(out, key=lambda m: m["at"])

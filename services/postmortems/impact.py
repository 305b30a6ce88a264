"""A postmortem's impact, computed from telemetry for the incident's window and signature, beside the whole
service's figures over the same window."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from services.auth import Actor
from services.slos import budget
from services.slos.evaluation import SloDefinition, evaluate
from services.telemetry import runner
from services.telemetry.source import TelemetrySource

DEFAULT_THRESHOLD_MS = 300.0
FIGURES = ("requests", "failed", "slow", "users", "accounts")


@dataclass(frozen=True)
class Signature:
    """What marks the incident's requests (services/telemetry/queries/incident_impact.kql says how they match)."""

    operation: str = ""
    result_code: str = ""
    dependency: str = ""
    exception_type: str = ""

    @classmethod
    def of(cls, incident: Any) -> Signature:
        """The signature an incident row (or its as_dict()) carries; missing fields are empty."""
        get = incident.get if isinstance(incident, dict) else (lambda f: getattr(incident, f, None))
        return cls(**{f: str(get(f) or "") for f in ("operation", "result_code", "dependency", "exception_type")})

    def given(self) -> dict[str, str]:
        """The fields that are set."""
        return {k: v for k, v in asdict(self).items() if v}


def _n(frame: pd.DataFrame, col: str) -> int:
    v = frame[col].iloc[0] if len(frame) and col in frame else 0
    return 0 if v is None or pd.isna(v) else round(float(v))


def _burned(bad: int, allowed: float) -> float | None:
    return None if allowed <= 0 else bad / allowed


def compute_impact(
    source: TelemetrySource,
    *,
    actor: Actor,
    service: str,
    start: datetime,
    end: datetime,
    slos: list[SloDefinition],
    signature: Signature | None = None,
) -> dict[str, Any]:
    """Requests, failed and slow requests, affected users and accounts in (start, end]: those with the incident's
    signature ("incident") and the whole service's ("service_wide"), and the error budget each SLO lost to each.

    budget burned = bad requests in the incident window / allowed bad requests over the SLO window ending at `end`.
    SLOs of another service, scoped to one operation, or counting their own queries (ratio) are left out.
    """
    sig = signature or Signature()
    mine = [s for s in slos if s.service == service and not s.operation and s.counts_requests]
    thresholds = {s.threshold_ms or DEFAULT_THRESHOLD_MS for s in mine if s.kind == "latency"} or {DEFAULT_THRESHOLD_MS}
    specs = [
        runner.spec("incident_impact", start=start, end=end, service=service, threshold_ms=threshold, **asdict(sig))
        for threshold in sorted(thresholds)
    ]
    frames = dict(zip(sorted(thresholds), (r.frame for r in runner.run_batch(source, specs, actor=actor)), strict=True))
    first = frames[min(frames)]
    statuses = {st.slo.id: st for st in evaluate(source, mine, actor=actor, at=end)} if mine else {}
    per_slo = []
    for slo in mine:
        f = frames[slo.threshold_ms or DEFAULT_THRESHOLD_MS] if slo.kind == "latency" else first
        col = "slow" if slo.kind == "latency" else "failed"
        bad, service_bad = _n(f, f"sig_{col}"), _n(f, col)
        st = statuses[slo.id]
        per_slo.append(
            {
                "slo": slo.name,
                "bad": bad,
                "service_bad": service_bad,
                "allowed_bad": round(st.allowed_bad, 1),
                "burned": _burned(bad, st.allowed_bad),
                "service_burned": _burned(service_bad, st.allowed_bad),
                "formula": f"{bad:,} / ({budget.error_budget(slo.objective):.4g} × {st.total:,} requests in "
                f"{slo.window_days} d)",
            }
        )
    return {
        "service": service,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "signature": sig.given(),
        "threshold_ms": min(frames),
        "incident": {k: _n(first, f"sig_{k}") for k in FIGURES},
        "service_wide": {k: _n(first, k) for k in FIGURES},
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

"""The capacity plan: throughput versus latency from a ramping run, the highest sustained RPS within the latency
SLO, the headroom against production's peak and the replicas a chosen headroom needs.

sustained bucket  = a whole time bucket (the run covers all of it) whose p95 ≤ the SLO threshold; by default 60 s
                    (the sustained RPS is then a 1-minute average, like production's peak RPS), shorter for a run
                    too short for six of them (default_bucket_s)
sustained RPS     = the highest RPS among sustained buckets
per-replica RPS   = sustained RPS / replicas the run measured
headroom now      = sustained RPS / production peak RPS − 1
replicas needed   = ceil(peak × (1 + headroom) / per-replica RPS)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from services.auth import Actor
from services.errors import InvalidInput
from services.monitoring import figures
from services.telemetry import runner
from services.telemetry.source import TelemetrySource

BUCKETS_S = (60, 30, 15, 10, 5)
MIN_BUCKETS = 6


def default_bucket_s(duration_s: float | None) -> int:
    """The bucket a run is first planned with: the longest of BUCKETS_S that gives it at least MIN_BUCKETS buckets
    (60 s for a run of six minutes or more, so the sustained RPS is a 1-minute average like production's peak), 1 s
    for a run shorter than 30 s, 60 s when the run's length is unknown."""
    if duration_s is None:
        return BUCKETS_S[0]
    return next((b for b in BUCKETS_S if duration_s / b >= MIN_BUCKETS), 1)


def curve(frame: pd.DataFrame, *, threshold_ms: float) -> pd.DataFrame:
    """Per bucket: RPS, p95, whether the bucket is whole, and whether it is sustained (whole and p95 ≤ threshold)."""
    if frame.empty:
        return frame.assign(sustained=pd.Series(dtype=bool))
    out = frame.copy()
    out["sustained"] = out["full"] & (out["requests"] > 0) & (out["p95_ms"] <= threshold_ms)
    return out


def sustained_rps(frame: pd.DataFrame) -> float | None:
    """The highest RPS among sustained buckets, or None when no bucket qualifies."""
    if frame.empty or not frame["sustained"].any():
        return None
    return float(frame.loc[frame["sustained"], "rps"].max())


@dataclass(frozen=True)
class CapacityPlan:
    """The numbers of a capacity plan."""

    sustained_rps: float
    measured_replicas: int
    peak_rps: float
    headroom: float

    @property
    def per_replica_rps(self) -> float:
        """Sustained RPS one replica serves."""
        return self.sustained_rps / self.measured_replicas

    @property
    def headroom_now(self) -> float | None:
        """How far the measured capacity is above the production peak (0.5 = 50 % above)."""
        return None if self.peak_rps <= 0 else self.sustained_rps / self.peak_rps - 1

    @property
    def target_rps(self) -> float:
        """The load to plan for: peak × (1 + headroom)."""
        return self.peak_rps * (1 + self.headroom)

    @property
    def replicas(self) -> int:
        """ceil(peak × (1 + headroom) / per-replica RPS), at least 1."""
        return max(1, math.ceil(self.target_rps / self.per_replica_rps - 1e-9))


def plan(*, sustained_rps: float, measured_replicas: int, peak_rps: float, headroom: float) -> CapacityPlan:
    """Validate the inputs and build the plan."""
    if sustained_rps <= 0:
        raise InvalidInput("The run has no sustained throughput within the latency SLO; nothing to plan from.")
    if measured_replicas < 1:
        raise InvalidInput("The run measured at least one replica; enter 1 or more.")
    if headroom < 0:
        raise InvalidInput("Headroom is a percentage above the peak, 0 or more.")
    return CapacityPlan(sustained_rps, measured_replicas, max(peak_rps, 0.0), headroom)


def production_peak_rps(
    source: TelemetrySource, *, actor: Actor, service: str, end: datetime, start: datetime | None = None
) -> float | None:
    """Production's peak RPS over (start, end] (default the 30 days before `end`): the Home tile's definition, the
    busiest 1-minute average (services.monitoring.figures); None without requests."""
    since = start or end - timedelta(days=30)
    peak = figures.peak_rps(runner.bound(source), actor=actor, service=service, start=since, end=end)
    return peak.rps if peak.requests else None


def hpa_yaml(
    *, name: str, namespace: str, min_replicas: int, max_replicas: int, cpu_utilization: int = 70, comment: str = ""
) -> str:
    """A Kubernetes HorizontalPodAutoscaler (autoscaling/v2) for the plan."""
    head = "".join(f"# {line}\n" for line in comment.splitlines() if line)
    return (
        f"{head}apiVersion: autoscaling/v2\n"
        "kind: HorizontalPodAutoscaler\n"
        "metadata:\n"
        f"  name: {name}\n"
        f"  namespace: {namespace}\n"
        "spec:\n"
        "  scaleTargetRef:\n"
        "    apiVersion: apps/v1\n"
        "    kind: Deployment\n"
        f"    name: {name}\n"
        f"  minReplicas: {min_replicas}\n"
        f"  maxReplicas: {max(max_replicas, min_replicas)}\n"
        "  metrics:\n"
        "    - type: Resource\n"
        "      resource:\n"
        "        name: cpu\n"
        "        target:\n"
        "          type: Utilization\n"
        f"          averageUtilization: {cpu_utilization}\n"
    )

"""The capacity plan's second sizing: replicas from CPU per request, beside the replicas from RPS.

Over one window (production's, or a load-test run's from its start to its end), for the run's role:

CPU per request  = (average CPU % × instances) / requests per second
                   average CPU % and instances per minute from the role's "% Processor Time" samples
                   (services.monitoring.counters), requests per second = its AppRequests / seconds in the window
                   (services.monitoring.figures); in % of one role instance per request per second
replicas needed  = ceil(target RPS × CPU per request / target utilisation %), target RPS = peak × (1 + headroom)
binds            = the sizing that asks for more replicas; the HorizontalPodAutoscaler targets the same utilisation

A load-test run's window counts only when the store's telemetry saw the run: its requests per second in the window
at least MATCHED × the run's own (k6's rate). Otherwise the run loaded an environment this store does not watch
(a test API, a staging slot whose telemetry goes elsewhere), and the window's CPU and requests are somebody else's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from services.auth import Actor
from services.errors import InvalidInput
from services.monitoring import counters, figures
from services.telemetry.runner import Runner

DEFAULT_UTILISATION = 70  # % CPU the HorizontalPodAutoscaler keeps each replica at
MATCHED = 0.5  # a run's window counts when the store saw at least this share of the run's requests per second
FORMULA = (
    "CPU per request = (average CPU % × instances) / requests per second over the window; replicas = ceil(target "
    "RPS × CPU per request / target utilisation %); the sizing that asks for more replicas binds."
)


class NoCounters(InvalidInput):
    """The role sent no % Processor Time sample in the window."""

    def __init__(self, role: str, start: datetime, end: datetime) -> None:
        window = f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"
        super().__init__(counters.missing(role, window))
        self.role, self.start, self.end = role, start, end


class OtherEnvironment(InvalidInput):
    """The store's telemetry in a run's window did not see the run's load."""


@dataclass(frozen=True)
class CpuPerRequest:
    """What one request per second costs a role in CPU over a window, with the figures behind it."""

    source: str  # "production" or "load-test run #7"
    role: str
    start: datetime
    end: datetime
    cpu_pct: float  # the average % Processor Time sample
    instances: float  # role instances reporting in an average minute
    rps: float  # requests / seconds in the window

    @property
    def value(self) -> float:
        """(average CPU % × instances) / requests per second."""
        return self.cpu_pct * self.instances / self.rps


def cpu_per_request(
    run: Runner, *, actor: Actor, role: str, start: datetime, end: datetime, source: str
) -> CpuPerRequest:
    """CPU per request of `role` over (start, end]; NoCounters without CPU samples, InvalidInput without requests."""
    load = counters.cpu_load(run, actor=actor, role=role, start=start, end=end)
    if load is None:
        raise NoCounters(role, start, end)
    health = figures.health(run, actor=actor, service=role, start=start, end=end)
    if health.requests == 0:
        raise InvalidInput(
            f"No requests for {role} in {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC: CPU per request needs "
            "requests per second."
        )
    return CpuPerRequest(source, role, start, end, load.cpu_pct, load.instances, health.average_rps)


def run_cpu_per_request(
    run: Runner, *, actor: Actor, role: str, start: datetime, end: datetime, source: str, run_rps: float | None
) -> CpuPerRequest:
    """CPU per request over a load-test run's window; OtherEnvironment when the store's telemetry of `role` there
    has fewer than MATCHED × the run's requests per second (NoCounters, InvalidInput as cpu_per_request)."""
    found = cpu_per_request(run, actor=actor, role=role, start=start, end=end, source=source)
    if run_rps and found.rps < MATCHED * run_rps:
        raise OtherEnvironment(
            f"the store's telemetry of {role} in the run's window has {found.rps:,.3f} requests/s against the "
            f"run's {run_rps:,.2f}: the run loaded an environment whose telemetry is not in this store, so its CPU "
            "per request is left out (run the test where this store's telemetry comes from)"
        )
    return found


@dataclass(frozen=True)
class CpuSizing:
    """Replicas from CPU per request: the highest measured one (the conservative), at the target utilisation."""

    target_rps: float
    measured: tuple[CpuPerRequest, ...]
    utilisation_pct: int

    @property
    def used(self) -> CpuPerRequest:
        """The measurement the sizing uses: the highest CPU per request."""
        return max(self.measured, key=lambda m: m.value)

    @property
    def cpu_needed_pct(self) -> float:
        """target RPS × CPU per request: the CPU the target load needs, in % of one role instance."""
        return self.target_rps * self.used.value

    @property
    def replicas(self) -> int:
        """ceil(target RPS × CPU per request / target utilisation %), at least 1."""
        return max(1, math.ceil(self.cpu_needed_pct / self.utilisation_pct - 1e-9))


def sizing(*, target_rps: float, measured: list[CpuPerRequest], utilisation_pct: int) -> CpuSizing:
    """Validate the inputs and size from CPU per request."""
    if not measured:
        raise InvalidInput("No CPU per request was measured; the plan sizes from RPS only.")
    if not 1 <= utilisation_pct <= 100:
        raise InvalidInput("Target utilisation is a percentage of one role instance's CPU, 1 to 100.")
    return CpuSizing(max(target_rps, 0.0), tuple(measured), utilisation_pct)


def binding(*, rps_replicas: int, cpu_replicas: int | None) -> str:
    """Which sizing binds: the one asking for more replicas."""
    if cpu_replicas is None or rps_replicas > cpu_replicas:
        return "RPS"
    return "CPU" if cpu_replicas > rps_replicas else "both"


def replicas_needed(*, rps_replicas: int, cpu_replicas: int | None) -> int:
    """The binding sizing's replicas: the larger of the two (RPS alone without CPU per request)."""
    return max(rps_replicas, cpu_replicas or 0)

"""What production showed of one dependency, and the behaviours a stub set answers with.

A *behaviour* is one way the dependency answered one request shape (method + path template): a status code, a timeout
or a broken connection. Its latency is summarised as a lognormal fit (median = e^mean(ln d), sigma = sd(ln d)), the
shape WireMock's `delayDistribution` takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

OK, STATUS, TIMEOUT, FAULT = "ok", "status", "timeout", "fault"
KINDS = (OK, STATUS, TIMEOUT, FAULT)
# the ResultCode an HTTP dependency gets when the client gave up waiting or the connection broke (.NET SDK, the
# Azure Monitor OpenTelemetry exporter, Serilog's sink): REFERENCE.md's AppDependencies section and the SDK sources
TIMEOUT_CODES = frozenset({"timeout", "timedout", "canceled", "cancelled", "taskcanceled", "operationcanceled"})
FAULT_CODES = frozenset(
    {"faulted", "connectionreset", "connectionrefused", "socketexception", "nameresolutionfailure", "error", "0", ""}
)
WIREMOCK_FAULT = "CONNECTION_RESET_BY_PEER"  # what a reset connection looks like to the client


@dataclass(frozen=True)
class Behaviour:
    """One way the dependency answered: kind (ok, status, timeout, fault) and the code it showed."""

    kind: str
    result_code: str

    @property
    def label(self) -> str:
        """The selector value a test sends (header or scenario state) to ask for this behaviour."""
        if self.kind == TIMEOUT:
            return "timeout"
        if self.kind == FAULT:
            return "connection-reset"
        return f"status-{self.result_code}"

    @property
    def status(self) -> int | None:
        """The HTTP status WireMock answers with (a timeout answers 504 once its delay is over; a fault none)."""
        if self.kind == TIMEOUT:
            return 504
        if self.kind == FAULT:
            return None
        return int(self.result_code)

    @property
    def words(self) -> str:
        """How a person reads it."""
        if self.kind == TIMEOUT:
            return f"timed out (ResultCode {self.result_code})"
        if self.kind == FAULT:
            return f"connection failed (ResultCode {self.result_code or 'empty'})"
        return f"answered {self.result_code}"


def classify(result_code: str, success: bool) -> Behaviour:
    """The behaviour a dependency row's ResultCode and Success say."""
    code = result_code.strip()
    if code.isdigit() and 100 <= int(code) <= 599:
        return Behaviour(OK if success and int(code) < 400 else STATUS, code)
    if code.lower() in TIMEOUT_CODES:
        return Behaviour(TIMEOUT, code)
    if success:  # a success with a non-HTTP code ("OK", "0"): an answer the client took as good
        return Behaviour(OK, "200")
    return Behaviour(FAULT, code)


@dataclass
class Latency:
    """Sums over calls of ln(duration) that merge exactly across groups; the lognormal fit and quantiles read them."""

    samples: int = 0
    log_sum: float = 0.0
    log_sq: float = 0.0
    p50_ms: float = 0.0  # the largest group's median (an exact merge of medians is not possible)
    max_ms: float = 0.0

    def add(self, other: Latency) -> None:
        """Merge another group's sums (median: the bigger group's)."""
        if other.samples > self.samples:
            self.p50_ms = other.p50_ms
        self.samples += other.samples
        self.log_sum += other.log_sum
        self.log_sq += other.log_sq
        self.max_ms = max(self.max_ms, other.max_ms)

    @property
    def median_ms(self) -> float:
        """The fitted lognormal's median: e^(mean of ln d)."""
        return math.exp(self.log_sum / self.samples) if self.samples else 0.0

    @property
    def sigma(self) -> float:
        """The fitted lognormal's sigma: the sample standard deviation of ln d (0 for fewer than two calls)."""
        if self.samples < 2:
            return 0.0
        mean = self.log_sum / self.samples
        var = (self.log_sq - self.samples * mean * mean) / (self.samples - 1)
        return math.sqrt(max(var, 0.0))


@dataclass
class Observation:
    """One behaviour of one request shape over the window: calls (sampling-weighted) and latency."""

    method: str
    path: str  # the path template: /citizens/{id}/status
    behaviour: Behaviour
    calls: int = 0
    latency: Latency = field(default_factory=Latency)
    example_url: str = ""

    @property
    def shape(self) -> tuple[str, str]:
        """The request shape: method and path template."""
        return self.method, self.path

    def as_dict(self) -> dict[str, Any]:
        """What a stub-set version keeps of it (and the page shows)."""
        return {
            "method": self.method,
            "path": self.path,
            "kind": self.behaviour.kind,
            "result_code": self.behaviour.result_code,
            "label": self.behaviour.label,
            "calls": self.calls,
            "samples": self.latency.samples,
            "median_ms": round(self.latency.median_ms, 3),
            "sigma": round(self.latency.sigma, 4),
            "p50_ms": round(self.latency.p50_ms, 3),
            "max_ms": round(self.latency.max_ms, 3),
            "example_url": self.example_url,
        }


def observation_from(d: dict[str, Any]) -> Observation:
    """An observation as a stub-set version keeps it (as_dict), read back; latency from the fitted median and sigma."""
    samples = int(d.get("samples") or 0)
    median, sigma = float(d.get("median_ms") or 0.0), float(d.get("sigma") or 0.0)
    mean = math.log(median) if median > 0 else 0.0
    log_sq = samples * mean * mean + sigma * sigma * max(samples - 1, 0)  # the sums that give back mean and sigma
    latency = Latency(samples, mean * samples, log_sq, float(d.get("p50_ms") or 0.0), float(d.get("max_ms") or 0.0))
    behaviour = Behaviour(str(d["kind"]), str(d["result_code"]))
    return Observation(
        str(d["method"]), str(d["path"]), behaviour, int(d.get("calls") or 0), latency, str(d.get("example_url") or "")
    )

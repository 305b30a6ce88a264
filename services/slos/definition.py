"""An SLO's plain values, detached from the database session, and how it reads in words and in JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.slos.models import Slo


@dataclass(frozen=True)
class SloDefinition:
    """The plain values of an SLO, detached from the database session (safe to cache and pass around)."""

    id: int
    name: str
    service: str
    operation: str | None
    kind: str
    objective: float
    threshold_ms: float | None
    window_days: int
    version: int = 1
    description: str = ""
    good_query: str | None = None
    bad_query: str | None = None
    total_query: str | None = None

    @classmethod
    def of(cls, slo: Slo) -> SloDefinition:
        """Copy the fields of a stored SLO."""
        return cls(
            slo.id,
            slo.name,
            slo.service,
            slo.operation,
            slo.kind,
            slo.objective,
            slo.threshold_ms,
            slo.window_days,
            slo.version,
            slo.description,
            slo.good_query,
            slo.bad_query,
            slo.total_query,
        )

    @property
    def counts_requests(self) -> bool:
        """True for availability and latency SLOs, whose events are the service's requests (a ratio SLO counts the
        rows of its own queries, so request-based views such as load-test verdicts leave it out)."""
        return self.kind != "ratio"

    @property
    def events(self) -> str:
        """What the SLO counts, in words: requests, or the events of a ratio SLO's queries."""
        return "requests" if self.counts_requests else "events"

    def ratio_queries(self) -> dict[str, str]:
        """A ratio SLO's queries in evaluation order: {"good" or "bad": text, "total": text}."""
        numerator = {"bad": self.bad_query} if self.bad_query else {"good": self.good_query or ""}
        return {**numerator, "total": self.total_query or ""}

    def describe_sli(self) -> str:
        """The SLI in words."""
        scope = f"{self.service}" + (f" {self.operation}" if self.operation else "")
        if self.kind == "ratio":
            if self.bad_query:
                return "(rows of the total query − rows of the bad query) / rows of the total query (sum of ItemCount)"
            return "rows of the good query / rows of the total query (sum of ItemCount)"
        if self.kind == "latency":
            return f"requests of {scope} faster than {self.threshold_ms:g} ms / all requests"
        return f"successful requests of {scope} / all requests"

    def describe_target(self) -> str:
        """The objective in words, e.g. 'mana latency: 99 % of requests of mana faster than 300 ms over 30 days'."""
        scope = f"{self.service}" + (f" {self.operation}" if self.operation else "")
        if self.kind == "ratio":
            return f"{self.name}: {self.objective:g} % of the events of {scope} good over {self.window_days} days"
        good = f"faster than {self.threshold_ms:g} ms" if self.kind == "latency" else "successful"
        return f"{self.name}: {self.objective:g} % of requests of {scope} {good} over {self.window_days} days"

    def as_json(self) -> dict[str, Any]:
        """The definition's fields as `slo list --json` and `slo status --json` print them."""
        return {
            "name": self.name,
            "kind": self.kind,
            "service": self.service,
            "operation": self.operation,
            "objective": self.objective,
            "threshold_ms": self.threshold_ms if self.kind == "latency" else None,
            "window_days": self.window_days,
            "good_query": self.good_query,
            "bad_query": self.bad_query,
            "total_query": self.total_query,
        }

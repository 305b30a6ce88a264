"""A run with its thresholds, checks and endpoints as plain values: safe to cache, print as JSON, or render."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from services.loadtests.models import LoadTestCheck, LoadTestEndpoint, LoadTestRun, LoadTestThreshold

DURATION_KEYS = ("avg", "min", "med", "max", "p90", "p95", "p99")


@dataclass(frozen=True)
class RunReport:
    """Everything the run page, `loadtest show --json` and the comparison need about one run."""

    id: int
    service: str
    label: str
    git_ref: str
    files: list[dict[str, Any]]
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    requests: int
    failed_requests: int | None
    failure_rate: float | None
    rps: float | None
    peak_rps: float | None
    duration_ms: dict[str, float | None]
    iterations: int | None
    vus_max: int | None
    points: int
    points_file: str | None
    imported_at: datetime
    imported_by: str
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        """How a run is named in lists: #id service label @ref."""
        extra = " ".join(x for x in (self.label, f"@{self.git_ref}" if self.git_ref else "") if x)
        return f"#{self.id} {self.service}" + (f" {extra}" if extra else "")

    @property
    def has_points(self) -> bool:
        """Whether raw points were imported (per-endpoint and over-time views need them)."""
        return bool(self.points_file)

    @property
    def thresholds_ok(self) -> bool | None:
        """All thresholds passed (None when there are none or one could not be judged)."""
        oks = [t["ok"] for t in self.thresholds]
        if not oks or any(o is None for o in oks):
            return None if not oks or all(o is not False for o in oks) else False
        return all(oks)

    def as_json(self) -> dict[str, Any]:
        """The `loadtest show --json` object."""
        out = asdict(self)
        for key in ("started_at", "ended_at", "imported_at"):
            out[key] = None if out[key] is None else out[key].isoformat()
        out["thresholds_ok"] = self.thresholds_ok
        return out


def build(
    run: LoadTestRun,
    thresholds: list[LoadTestThreshold],
    checks: list[LoadTestCheck],
    endpoints: list[LoadTestEndpoint],
) -> RunReport:
    """Copy a stored run and its children into a RunReport."""
    return RunReport(
        id=run.id,
        service=run.service,
        label=run.label,
        git_ref=run.git_ref,
        files=list(run.files or []),
        started_at=run.started_at,
        ended_at=run.ended_at,
        duration_s=run.duration_s,
        requests=run.requests,
        failed_requests=run.failed_requests,
        failure_rate=run.failure_rate,
        rps=run.rps,
        peak_rps=run.peak_rps,
        duration_ms={k: getattr(run, f"duration_{k}_ms") for k in DURATION_KEYS},
        iterations=run.iterations,
        vus_max=run.vus_max,
        points=run.points,
        points_file=run.points_file,
        imported_at=run.imported_at,
        imported_by=run.imported_by,
        thresholds=[
            {"metric": t.metric, "expression": t.expression, "ok": t.ok, "observed": t.observed, "source": t.source}
            for t in thresholds
        ],
        checks=[{"name": c.name, "passes": c.passes, "fails": c.fails} for c in checks],
        endpoints=[
            {
                "name": e.name,
                "requests": e.requests,
                "failures": e.failures,
                "failure_rate": e.failure_rate,
                "avg_ms": e.avg_ms,
                "p95_ms": e.p95_ms,
            }
            for e in endpoints
        ],
    )

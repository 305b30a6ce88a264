"""A run judged against the service's SLOs, with the numbers and the formula behind each verdict.

latency SLO:      SLI = http_req_duration points under threshold_ms / all http_req_duration points
availability SLO: SLI = 1 − failure rate = 1 − failed / all (http_req_failed points, or the summary's rate)
An SLO with an operation looks only at requests whose k6 `name` tag equals it (raw points needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.loadtests import storage
from services.loadtests.report import RunReport
from services.slos.evaluation import SloDefinition


@dataclass(frozen=True)
class SloVerdict:
    """One SLO's verdict for a run: good/total, SLI, whether it meets the objective, and how it was computed."""

    slo: SloDefinition
    good: int | None
    total: int | None
    sli: float | None
    met: bool | None
    formula: str


def _judge(slo: SloDefinition, good: int, total: int, formula: str) -> SloVerdict:
    sli = good / total if total else None
    met = None if sli is None else sli * 100 >= slo.objective
    shown = "—" if sli is None else f"{sli * 100:.3f} %"
    text = f"{formula} = {good:,} / {total:,} = {shown} vs objective {slo.objective:g} %"
    return SloVerdict(slo, good, total, sli, met, text)


def verdict(run: RunReport, slo: SloDefinition, *, root: Path) -> SloVerdict:
    """Judge one run against one SLO."""
    scope = f" named {slo.operation!r}" if slo.operation else ""
    if slo.kind == "latency":
        formula = f"requests{scope} under {slo.threshold_ms:g} ms / all requests{scope}"
        if not run.has_points:
            return SloVerdict(slo, None, None, None, None, f"{formula}: needs raw points (import the NDJSON or CSV)")
        good, total = storage.latency_counts(
            storage.points_path(root, run.points_file), threshold_ms=float(slo.threshold_ms or 0), name=slo.operation
        )
        return _judge(slo, good, total, formula)
    formula = f"(all requests{scope} − failed) / all requests{scope}"
    if run.has_points:
        failed, total = storage.failure_counts(storage.points_path(root, run.points_file), name=slo.operation)
        return _judge(slo, total - failed, total, formula)
    if slo.operation or run.failed_requests is None:
        return SloVerdict(slo, None, None, None, None, f"{formula}: needs raw points (import the NDJSON or CSV)")
    return _judge(slo, run.requests - run.failed_requests, run.requests, formula)


def verdicts(run: RunReport, slos: list[SloDefinition], *, root: Path) -> list[SloVerdict]:
    """Judge a run against every SLO of its service."""
    return [verdict(run, s, root=root) for s in slos if s.service == run.service and s.counts_requests]

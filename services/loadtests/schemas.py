"""Validated import options and the plain figures parsed from k6 outputs (detached from any session)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from services.errors import InvalidInput

SUMMARY_KINDS = ("summary_export", "handle_summary")
POINT_KINDS = ("ndjson", "csv")
KIND_LABELS = {
    "summary_export": "k6 --summary-export JSON",
    "handle_summary": "k6 handleSummary JSON",
    "ndjson": "k6 --out json (NDJSON)",
    "csv": "k6 --out csv",
}


class ImportOptions(BaseModel):
    """What a user says about a run when importing it."""

    model_config = ConfigDict(str_strip_whitespace=True)

    service: str
    label: str = ""
    git_ref: str = ""

    @field_validator("service")
    @classmethod
    def _service(cls, v: str) -> str:
        if not v:
            raise ValueError("must not be empty (the service the run tested, e.g. mana)")
        return v

    @field_validator("service", "label", "git_ref")
    @classmethod
    def _length(cls, v: str) -> str:
        if len(v) > 200:
            raise ValueError("must be at most 200 characters")
        return v


def parse_import_options(data: dict[str, object]) -> ImportOptions:
    """Validate import options, naming each wrong field in one InvalidInput."""
    try:
        return ImportOptions.model_validate(data)
    except ValidationError as exc:
        parts = [
            f"{'.'.join(str(p) for p in e['loc'])}: {str(e['msg']).removeprefix('Value error, ')}" for e in exc.errors()
        ]
        raise InvalidInput("Nothing was imported. " + "; ".join(parts) + ".") from None


@dataclass(frozen=True)
class InputFile:
    """A file to import: where it is on disk and the name the user knows it by."""

    path: Path
    name: str


@dataclass
class ThresholdResult:
    """One threshold: the metric (or submetric), its expression, observed value and verdict (None: unknown)."""

    metric: str
    expression: str
    ok: bool | None
    observed: float | None
    source: str


@dataclass
class CheckResult:
    """One check's pass and fail counts."""

    name: str
    passes: int
    fails: int


@dataclass
class EndpointResult:
    """Requests, failures and latency of one `name` tag."""

    name: str
    requests: int
    failures: int
    failure_rate: float
    avg_ms: float | None
    p95_ms: float | None


@dataclass
class ParsedSummary:
    """The figures of a summary-export or handleSummary file, metric values keyed the k6 way (avg, p(95), rate…)."""

    kind: str
    metrics: dict[str, dict[str, float]]
    thresholds: list[ThresholdResult]
    checks: list[CheckResult]
    duration_s: float | None


@dataclass
class ParsedPoints:
    """The figures computed from raw points, and the staged Parquet file holding the points."""

    kind: str
    staged: Path
    points: int
    metrics: dict[str, dict[str, float]]
    metric_types: dict[str, str]
    thresholds: list[ThresholdResult]
    checks: list[CheckResult]
    endpoints: list[EndpointResult]
    started_at: datetime | None
    ended_at: datetime | None
    peak_rps: float | None
    future_points: int = 0  # points dated more than a day ahead (ended_at is then the latest of them)
    extra: dict[str, Any] = field(default_factory=dict)

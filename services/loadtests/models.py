"""The load-test tables: one row per run with its summary figures; thresholds, checks and endpoints per run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow


class LoadTestRun(Base):
    """One k6 load-test run: the figures of its summary or raw points (raw points live in a Parquet file)."""

    __tablename__ = "loadtest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(200), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    git_ref: Mapped[str] = mapped_column(String(200), default="")
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_s: Mapped[float | None] = mapped_column(Float)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    failed_requests: Mapped[int | None] = mapped_column(Integer)
    failure_rate: Mapped[float | None] = mapped_column(Float)
    rps: Mapped[float | None] = mapped_column(Float)
    peak_rps: Mapped[float | None] = mapped_column(Float)
    duration_avg_ms: Mapped[float | None] = mapped_column(Float)
    duration_min_ms: Mapped[float | None] = mapped_column(Float)
    duration_med_ms: Mapped[float | None] = mapped_column(Float)
    duration_max_ms: Mapped[float | None] = mapped_column(Float)
    duration_p90_ms: Mapped[float | None] = mapped_column(Float)
    duration_p95_ms: Mapped[float | None] = mapped_column(Float)
    duration_p99_ms: Mapped[float | None] = mapped_column(Float)
    iterations: Mapped[int | None] = mapped_column(Integer)
    vus_max: Mapped[int | None] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)
    points_file: Mapped[str | None] = mapped_column(String(300))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    imported_by: Mapped[str] = mapped_column(String(200), default="")

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps."""
        return {
            "service": self.service,
            "label": self.label,
            "git_ref": self.git_ref,
            "files": self.files,
            "requests": self.requests,
            "failure_rate": self.failure_rate,
            "duration_p95_ms": self.duration_p95_ms,
            "points": self.points,
            "points_file": self.points_file,
        }


class LoadTestThreshold(Base):
    """A k6 threshold of a run: its expression, the observed value and whether it passed (None: not evaluated)."""

    __tablename__ = "loadtest_threshold"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("loadtest_run.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(400))
    expression: Mapped[str] = mapped_column(String(400))
    ok: Mapped[bool | None] = mapped_column(Boolean)
    observed: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20))  # "k6" (the summary's verdict) or "computed" (raw points)


class LoadTestCheck(Base):
    """A k6 check of a run with its pass and fail counts."""

    __tablename__ = "loadtest_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("loadtest_run.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(400))
    passes: Mapped[int] = mapped_column(Integer)
    fails: Mapped[int] = mapped_column(Integer)


class LoadTestEndpoint(Base):
    """Per `name` tag of a run's HTTP requests (only from raw points)."""

    __tablename__ = "loadtest_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("loadtest_run.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(400))
    requests: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    failure_rate: Mapped[float] = mapped_column(Float)
    avg_ms: Mapped[float | None] = mapped_column(Float)
    p95_ms: Mapped[float | None] = mapped_column(Float)

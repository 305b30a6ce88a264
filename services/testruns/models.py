"""The test-run tables: one row per imported run, one per test case in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, UTCDateTime, utcnow


class TestRun(Base):
    """One run of a service's tests of one kind (unit, integration, system, acceptance) for a release or commit."""

    __tablename__ = "test_run"
    __table_args__ = (
        CheckConstraint("kind IN ('unit', 'integration', 'system', 'acceptance')", name="kind_known"),
        CheckConstraint("outcome IN ('passed', 'failed', 'aborted')", name="outcome_known"),
        Index("ix_test_run_service_kind", "service", "kind"),
    )
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    release: Mapped[str | None] = mapped_column(String(50), index=True)
    commit: Mapped[str | None] = mapped_column(String(64), index=True)
    branch: Mapped[str | None] = mapped_column(String(200))
    pipeline_url: Mapped[str | None] = mapped_column(String(500))
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(20))
    tests: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    imported_by: Mapped[str] = mapped_column(String(200))

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit record keeps."""
        return {
            c: getattr(self, c)
            for c in (
                "service",
                "kind",
                "release",
                "commit",
                "branch",
                "pipeline_url",
                "files",
                "outcome",
                "tests",
                "passed",
                "failed",
                "errors",
                "skipped",
                "duration_s",
            )
        }


class TestResult(Base):
    """One test case's result in a run."""

    __tablename__ = "test_result"
    __table_args__ = (
        CheckConstraint("outcome IN ('passed', 'failed', 'error', 'skipped')", name="outcome_known"),
        Index("ix_test_result_test_key", "test_key"),
    )
    __test__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("test_run.id", ondelete="CASCADE"), index=True)
    test_key: Mapped[str] = mapped_column(String(1000))  # suite/classname/name: the same test across runs
    suite: Mapped[str] = mapped_column(String(500))
    classname: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1000))
    outcome: Mapped[str] = mapped_column(String(10))
    duration_s: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    stack: Mapped[str] = mapped_column(Text, default="")
